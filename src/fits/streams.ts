// Opening a FITS file as one decompressed byte stream, chosen by file name. bzip2 goes through
// the system lbzip2 (parallel) or bzip2, which both read multi-stream files (pbzip2/lbzip2
// output) whole; the pure-JS unbzip2-stream is a slow fallback for machines without either.

import { spawn } from 'node:child_process';
import { accessSync, constants, createReadStream } from 'node:fs';
import { delimiter, join } from 'node:path';
import { PassThrough, type Readable, type Stream } from 'node:stream';
import { createGunzip } from 'node:zlib';
import unbzip2 from 'unbzip2-stream';

export type Bzip2Tool = 'auto' | 'lbzip2' | 'bzip2' | 'js';

export interface OpenOptions {
  /** How to decompress .bz2: 'auto' (default) prefers lbzip2, then bzip2, then the JS fallback. */
  bzip2?: Bzip2Tool;
}

export type Compression = 'none' | 'gzip' | 'bzip2';

export function compressionOf(path: string): Compression {
  const lower = path.toLowerCase();
  if (lower.endsWith('.bz2')) return 'bzip2';
  if (lower.endsWith('.gz')) return 'gzip';
  return 'none';
}

const pathCache = new Map<string, string | null>();

/** Full path of an executable on PATH, or null. Cached: PATH does not change under a daemon. */
export function findOnPath(name: string): string | null {
  const cached = pathCache.get(name);
  if (cached !== undefined) return cached;
  let found: string | null = null;
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
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
  pathCache.set(name, found);
  return found;
}

function named(path: string, what: string, err: unknown): Error {
  const e = err instanceof Error ? err : new Error(String(err));
  return new Error(`${what} ${path}: ${e.message}`, { cause: e });
}

/**
 * Pipes `stages` into a PassThrough that reports any stage's error (named after the file) and
 * tears the chain down when the consumer goes away early.
 */
function chain(path: string, what: string, stages: Stream[]): Readable {
  const out = new PassThrough();
  let prev: Stream = stages[0];
  for (const next of stages.slice(1))
    prev = prev.pipe(next as unknown as NodeJS.WritableStream) as unknown as Stream;
  prev.pipe(out);
  const destroyAll = () => {
    for (const s of stages) (s as Partial<Readable>).destroy?.();
  };
  for (const s of stages) {
    s.on('error', (err) => {
      if (!out.destroyed) out.destroy(named(path, what, err));
      destroyAll();
    });
  }
  out.on('close', destroyAll);
  return out;
}

/**
 * Runs `tool -dc path`. The output only ends once the process has exited with status 0, so a
 * decompressor that dies half-way (corrupt or truncated .bz2) is an error, never a short file.
 */
function spawnDecompressor(tool: string, path: string): Readable {
  const out = new PassThrough();
  const child = spawn(tool, ['-dc', '--', path], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (d: string) => {
    if (stderr.length < 2000) stderr += d;
  });
  child.stdout.pipe(out, { end: false });
  let exited = false;
  child.on('error', (err) => {
    exited = true;
    if (!out.destroyed) out.destroy(named(path, `cannot run ${tool} on`, err));
  });
  child.on('close', (code, signal) => {
    exited = true;
    if (out.destroyed) return;
    if (code === 0) {
      out.end();
      return;
    }
    const how = signal ? `killed by ${signal}` : `exit status ${code}`;
    const detail = stderr.trim() ? `: ${stderr.trim()}` : '';
    out.destroy(new Error(`cannot decompress ${path}: ${tool} -dc ${how}${detail}`));
  });
  // A reader that stops early (a header-only read) must not leave the decompressor running.
  out.on('close', () => {
    if (!exited) child.kill();
  });
  return out;
}

function bzip2Tool(choice: Bzip2Tool): string | null {
  if (choice === 'js') return null;
  if (choice === 'lbzip2' || choice === 'bzip2') return findOnPath(choice) ?? choice;
  return findOnPath('lbzip2') ?? findOnPath('bzip2');
}

/** A Readable of the decompressed bytes of a .fits, .fits.gz or .fits.bz2 file. */
export function openFitsStream(path: string, opts: OpenOptions = {}): Readable {
  switch (compressionOf(path)) {
    case 'gzip':
      // Node's gunzip reads concatenated gzip members too.
      return chain(path, 'cannot decompress', [createReadStream(path), createGunzip()]);
    case 'bzip2': {
      const tool = bzip2Tool(opts.bzip2 ?? 'auto');
      if (tool) return spawnDecompressor(tool, path);
      return chain(path, 'cannot decompress', [createReadStream(path), unbzip2()]);
    }
    default:
      return chain(path, 'cannot read', [createReadStream(path)]);
  }
}

/** An open file as a RandomAccessSource for readFits: header blocks are read, data units skipped. */
export function randomAccessFile(
  fh: { read(buf: Buffer, off: number, len: number, pos: number): Promise<{ bytesRead: number }> },
  size: number,
) {
  return {
    size,
    async readAt(position: number, length: number): Promise<Buffer> {
      const buf = Buffer.allocUnsafe(length);
      const { bytesRead } = await fh.read(buf, 0, length, position);
      return bytesRead === length ? buf : buf.subarray(0, bytesRead);
    },
  };
}
