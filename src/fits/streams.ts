// Opening a FITS file as one decompressed byte stream, chosen by file name. bzip2 goes through
// bzip2.ts (lbzip2, bzip2 or the npm codec; multi-stream files whole).

import { createReadStream } from 'node:fs';
import { PassThrough, type Duplex, type Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { decompressStream, type Bzip2Tool } from './bzip2.js';

export type { Bzip2Tool };

export interface OpenOptions {
  /** How to decompress .bz2: 'auto' (default) prefers lbzip2, then bzip2, then the npm codec. */
  bzip2?: Bzip2Tool;
}

export type Compression = 'none' | 'gzip' | 'bzip2';

export function compressionOf(path: string): Compression {
  const lower = path.toLowerCase();
  if (lower.endsWith('.bz2')) return 'bzip2';
  if (lower.endsWith('.gz')) return 'gzip';
  return 'none';
}

function named(path: string, what: string, err: unknown): Error {
  const e = err instanceof Error ? err : new Error(String(err));
  return new Error(`${what} ${path}: ${e.message}`, { cause: e });
}

/**
 * Pipes `source` through `transforms` into a PassThrough that reports any stage's error (named
 * after the file) and tears the chain down when the consumer goes away early.
 */
function chain(path: string, what: string, source: Readable, transforms: Duplex[] = []): Readable {
  const out = new PassThrough();
  const stages: Readable[] = [source, ...transforms];
  let prev: Readable = source;
  for (const next of transforms) prev = prev.pipe(next);
  prev.pipe(out);
  const destroyAll = () => {
    for (const s of stages) s.destroy();
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

/** A Readable of the decompressed bytes of a .fits, .fits.gz or .fits.bz2 file. */
export function openFitsStream(path: string, opts: OpenOptions = {}): Readable {
  switch (compressionOf(path)) {
    case 'gzip':
      // Node's gunzip reads concatenated gzip members too.
      return chain(path, 'cannot decompress', createReadStream(path), [createGunzip()]);
    case 'bzip2':
      return chain(path, 'cannot decompress', decompressStream(createReadStream(path), { tool: opts.bzip2 }));
    default:
      return chain(path, 'cannot read', createReadStream(path));
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
