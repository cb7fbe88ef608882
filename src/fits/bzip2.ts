// bzip2, the one place that chooses how: the system lbzip2 (parallel), else bzip2, else a codec
// from npm (libbzip2 compiled to WebAssembly to compress, pure-JS unbzip2-stream to decompress),
// so a machine with only Node and npm reads and writes .bz2 too, more slowly. The fallback is
// announced once per process (a Node warning on stderr).
//
// Everything streams: bytes flow input → codec → output with back-pressure. A codec that fails
// half-way (corrupt or truncated input, a killed child) is an error on the output, never a short
// stream that looks complete; a consumer that goes away early stops the codec.
//
// Multi-stream .bz2 (pbzip2/lbzip2 output, cat of two files) decompresses whole on every path; the
// JS compressor itself writes one stream per block, as pbzip2 does.

import { spawn, spawnSync } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';
import { PassThrough, Readable, Transform, type Duplex } from 'node:stream';
import unbzip2 from 'unbzip2-stream';
import { wasmCompress } from './bzip2-wasm.js';

/** 'auto' prefers lbzip2, then bzip2, then the npm codec; the others force one. */
export type Bzip2Tool = 'auto' | 'lbzip2' | 'bzip2' | 'js';

export interface Bzip2Options {
  tool?: Bzip2Tool;
  /** Compression level 1-9 (default 9, bzip2's own default). */
  level?: number;
  /** The PATH to look for binaries on (default process.env.PATH). */
  path?: string;
}

const pathCache = new Map<string, string | null>();

/** Full path of an executable on PATH, or null. Cached: PATH does not change under a daemon. */
export function findOnPath(name: string, pathVar = process.env.PATH ?? ''): string | null {
  const key = `${pathVar}\0${name}`;
  const cached = pathCache.get(key);
  if (cached !== undefined) return cached;
  let found: string | null = null;
  for (const dir of pathVar.split(delimiter)) {
    if (!dir) continue;
    const candidate = join(dir, name);
    try {
      accessSync(candidate, constants.X_OK);
      found = candidate;
      break;
    } catch {
      // not here
    }
  }
  pathCache.set(key, found);
  return found;
}

export const JS_FALLBACK_NOTICE = 'bzip2 binaries not found, using the slower JS codec';
let announced = false;

/**
 * The binary to run, or null for the npm codec. A binary asked for by name that is missing is an
 * error naming it (a silent switch would hide a broken install).
 */
export function bzip2Binary(opts: Pick<Bzip2Options, 'tool' | 'path'> = {}): string | null {
  const tool = opts.tool ?? 'auto';
  if (tool === 'js') return null;
  if (tool !== 'auto') {
    const bin = findOnPath(tool, opts.path);
    if (!bin) throw new Error(`${tool} is not installed (not found on PATH)`);
    return bin;
  }
  const bin = findOnPath('lbzip2', opts.path) ?? findOnPath('bzip2', opts.path);
  if (!bin && !announced) {
    announced = true;
    process.emitWarning(JS_FALLBACK_NOTICE, { code: 'FITSSTORE_BZIP2_JS' });
  }
  return bin;
}

function level(opts: Bzip2Options): number {
  return Math.min(9, Math.max(1, Math.trunc(opts.level ?? 9)));
}

/** input → child process stdin; the output ends only once the child exited with status 0. */
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
  // The consumer is done (or gone): stop the child and release the input (an open file, a socket).
  out.on('close', () => {
    if (!exited) child.kill();
    input.unpipe(child.stdin);
    input.destroy();
  });
  return out;
}

/** Compresses in blocks of level × 100 kB, each its own bzip2 stream (as pbzip2 writes). */
class WasmCompressor extends Transform {
  private parts: Buffer[] = [];
  private held = 0;
  constructor(private readonly block: number) {
    super();
  }
  private emit1(all: boolean) {
    let buf = Buffer.concat(this.parts);
    while (buf.length >= this.block || (all && buf.length > 0)) {
      const n = Math.min(this.block, buf.length);
      this.push(wasmCompress(buf.subarray(0, n), this.block / 100_000));
      buf = buf.subarray(n);
    }
    this.parts = buf.length ? [buf] : [];
    this.held = buf.length;
  }
  override _transform(chunk: Buffer, _enc: BufferEncoding, done: (e?: Error | null) => void) {
    this.parts.push(chunk);
    this.held += chunk.length;
    try {
      if (this.held >= this.block) this.emit1(false);
      done();
    } catch (e) {
      done(e as Error);
    }
  }
  override _flush(done: (e?: Error | null) => void) {
    try {
      // An empty input still gives a valid (empty) .bz2, as bzip2 -c < /dev/null does.
      if (this.held === 0 && this.parts.length === 0) this.push(wasmCompress(new Uint8Array(0), 1));
      else this.emit1(true);
      done();
    } catch (e) {
      done(e as Error);
    }
  }
}

/** Pipes input into a codec stream, carrying the input's errors to the output. */
function viaJs(input: Readable, codec: Duplex, what: string): Readable {
  const out = new PassThrough();
  const fail = (e: Error) => {
    if (!out.destroyed) out.destroy(new Error(`${what}: ${e.message}`, { cause: e }));
    codec.destroy();
  };
  input.on('error', fail);
  codec.on('error', fail);
  input.pipe(codec).pipe(out);
  out.on('close', () => {
    input.unpipe(codec);
    input.destroy();
    codec.destroy();
  });
  return out;
}

/** The bzip2-compressed bytes of `input`. */
export function compressStream(input: Readable, opts: Bzip2Options = {}): Readable {
  const bin = bzip2Binary(opts);
  if (bin) return through(bin, ['-z', '-c', `-${level(opts)}`], input, 'bzip2 compression');
  return viaJs(input, new WasmCompressor(level(opts) * 100_000), 'bzip2 compression');
}

/** The decompressed bytes of a .bz2 stream (every concatenated stream of it). */
export function decompressStream(input: Readable, opts: Bzip2Options = {}): Readable {
  const bin = bzip2Binary(opts);
  if (bin) return through(bin, ['-d', '-c'], input, 'bzip2 decompression');
  return viaJs(input, unbzip2(), 'bzip2 decompression');
}

/** compressStream for a buffer in hand (sample files, fixtures). */
export function compressSync(buf: Uint8Array, opts: Bzip2Options = {}): Buffer {
  const bin = bzip2Binary(opts);
  if (!bin) {
    const block = level(opts) * 100_000;
    if (buf.length === 0) return wasmCompress(buf, level(opts));
    const parts: Buffer[] = [];
    for (let i = 0; i < buf.length; i += block)
      parts.push(wasmCompress(buf.subarray(i, i + block), level(opts)));
    return Buffer.concat(parts);
  }
  const r = spawnSync(bin, ['-z', '-c', `-${level(opts)}`], { input: buf, maxBuffer: 1 << 30 });
  if (r.error)
    throw new Error(`bzip2 compression: cannot run ${bin}: ${r.error.message}`, { cause: r.error });
  if (r.status !== 0)
    throw new Error(`bzip2 compression: ${bin} exit status ${r.status}: ${r.stderr?.toString().trim()}`);
  return r.stdout;
}

/** decompressStream for a buffer in hand. */
export async function decompressBuffer(buf: Uint8Array, opts: Bzip2Options = {}): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const chunk of decompressStream(Readable.from([buf]), opts)) parts.push(chunk as Buffer);
  return Buffer.concat(parts);
}
