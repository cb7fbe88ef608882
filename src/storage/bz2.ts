// bzip2 as streams through the system lbzip2 (parallel) or bzip2, for export (always send .bz2)
// and /file/ delivery (convert on the fly both ways). Nothing is buffered whole: bytes flow
// stdin → child → stdout with normal back-pressure.
//
// The output only ends once the child has exited with status 0, so a compressor or decompressor
// that dies half-way (corrupt input, killed) is an error on the stream, never a short file that
// looks complete. A consumer that goes away early kills the child.

import { spawn } from 'node:child_process';
import { PassThrough, type Readable } from 'node:stream';
import unbzip2 from 'unbzip2-stream';
import { findOnPath } from '../fits/streams.js';

export type Bzip2Choice = 'auto' | 'lbzip2' | 'bzip2';

export interface Bz2Options {
  /** Which binary: 'auto' (default) prefers lbzip2, then bzip2. */
  tool?: Bzip2Choice;
  /** Compression level 1-9 (default 9, bzip2's own default). */
  level?: number;
}

function tool(choice: Bzip2Choice = 'auto'): string | null {
  if (choice !== 'auto') return findOnPath(choice);
  return findOnPath('lbzip2') ?? findOnPath('bzip2');
}

/** True when a bzip2 binary is available (compression has no pure-JS fallback). */
export function haveBzip2(): boolean {
  return tool() !== null;
}

function through(bin: string, args: string[], input: Readable, what: string): Readable {
  const out = new PassThrough();
  const child = spawn(bin, args, { stdio: ['pipe', 'pipe', 'pipe'] });
  let stderr = '';
  let exited = false;
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (d: string) => {
    if (stderr.length < 2000) stderr += d;
  });
  const fail = (err: Error) => {
    if (!out.destroyed) out.destroy(err);
    if (!exited) child.kill();
  };
  input.on('error', (e) => fail(new Error(`${what}: input failed: ${e.message}`, { cause: e })));
  // EPIPE when the child dies early: the child's exit status carries the real reason.
  child.stdin.on('error', () => {});
  input.pipe(child.stdin);
  child.stdout.pipe(out, { end: false });
  child.on('error', (e) => {
    exited = true;
    fail(new Error(`${what}: cannot run ${bin}: ${e.message}`, { cause: e }));
  });
  child.on('close', (code, signal) => {
    exited = true;
    if (out.destroyed) return;
    if (code === 0) {
      out.end();
      return;
    }
    const how = signal ? `killed by ${signal}` : `exit status ${code}`;
    out.destroy(new Error(`${what}: ${bin} ${how}${stderr.trim() ? ': ' + stderr.trim() : ''}`));
  });
  out.on('close', () => {
    if (!exited) child.kill();
    if (!input.destroyed) input.unpipe(child.stdin);
  });
  return out;
}

/** The bzip2-compressed bytes of `input`. */
export function compressStream(input: Readable, opts: Bz2Options = {}): Readable {
  const bin = tool(opts.tool);
  if (!bin) throw new Error('cannot compress: neither lbzip2 nor bzip2 is installed');
  const level = Math.min(9, Math.max(1, opts.level ?? 9));
  return through(bin, ['-z', '-c', `-${level}`], input, 'bzip2 compression');
}

/**
 * The decompressed bytes of a .bz2 stream. Both binaries read multi-stream files (pbzip2/lbzip2
 * output) whole; the pure-JS decoder is only a slow fallback for machines without either.
 */
export function decompressStream(input: Readable, opts: Bz2Options = {}): Readable {
  const bin = tool(opts.tool);
  if (bin) return through(bin, ['-d', '-c'], input, 'bzip2 decompression');
  const out = input.pipe(unbzip2());
  input.on('error', (e) => out.destroy(e));
  return out;
}
