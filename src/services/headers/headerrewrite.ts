// Rewriting the primary header of a FITS file on disk, safely: the new file is always written to a
// temporary name in the destination directory, fsynced, read back (it must parse, and every byte
// after the primary header must hash the same as before), and only then renamed over the target.
// A failure or crash at any point leaves the original untouched; at worst an obvious
// `.<name>.tmp-*` file remains. Used by header updates (in place) and by the visiting-instrument
// copy (source → store).
//
// Two ways to write: an uncompressed file whose header still fits its blocks is cloned
// (copy_file_range / reflink where the filesystem has it) and patched at offset 0; anything else
// (a grown header, .bz2/.gz in or out) is streamed: decompress → new header + the same data →
// compress.

import { createHash } from 'node:crypto';
import { constants, createReadStream, createWriteStream } from 'node:fs';
import { copyFile, chmod, open, rename, stat, unlink } from 'node:fs/promises';
import path from 'node:path';
import { Transform, Writable, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import {
  editHeader,
  headerLength,
  type EditChange,
  type EditOptions,
  type HeaderEdit,
} from '../../fits/edit.js';
import { parseHeader, type FitsHeader } from '../../fits/header.js';
import { readFits } from '../../fits/reader.js';
import { compressBzip2, compressionOf, decompressStream } from '../../storage/decompress.js';
import { tempNameFor } from '../../storage/local.js';

/** Decides the edit from the header as it is (the visiting-instrument repairs need to look first). */
export type EditDecider = (header: FitsHeader) => HeaderEdit;

export interface RewriteOptions extends EditOptions {
  /** Where the result goes; default: over `src` itself. Compression follows this name. */
  dest?: string;
  /**
   * Called with the verified temporary file just before the rename. Tests throw here to simulate
   * a crash between writing and renaming.
   */
  beforeRename?: (tmp: string) => void | Promise<void>;
  /** Write even when the edit changes nothing (a copy to a new place must always be written). */
  always?: boolean;
}

export interface RewriteResult {
  /** Nothing to change: no file was written. */
  unchanged: boolean;
  /** The header kept its size (data offsets unchanged). */
  inPlace: boolean;
  changes: EditChange[];
  /** md5 of every (decompressed) byte after the primary header: the same before and after. */
  dataMd5: string;
  /** Size of the written file as stored. */
  size: number;
}

class HeaderRewriteError extends Error {
  override name = 'HeaderRewriteError';
}

/** Most header a file may have before we give up looking for END (real ones are a few blocks). */
const MAX_HEADER_BYTES = 2880 * 2000;

/**
 * Splits a decompressed FITS stream after its primary header: the header goes to `onHeader`,
 * which returns the replacement; the rest passes through unchanged and is hashed on the way.
 */
class HeaderSplicer extends Transform {
  private head: Buffer[] = [];
  private headLen = 0;
  private done = false;
  readonly tail = createHash('md5');
  tailSize = 0;

  constructor(private readonly onHeader: (header: Buffer) => Buffer) {
    super();
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: (err?: Error | null) => void): void {
    try {
      if (this.done) {
        this.passTail(chunk);
        return cb();
      }
      this.head.push(chunk);
      this.headLen += chunk.length;
      const buf = Buffer.concat(this.head, this.headLen);
      const size = headerLength(buf);
      if (size === null) {
        if (this.headLen > MAX_HEADER_BYTES)
          throw new HeaderRewriteError('no END card in the primary header');
        this.head = [buf];
        return cb();
      }
      this.done = true;
      this.head = [];
      this.push(this.onHeader(buf.subarray(0, size)));
      this.passTail(buf.subarray(size));
      cb();
    } catch (e) {
      cb(e as Error);
    }
  }

  override _flush(cb: (err?: Error | null) => void): void {
    cb(this.done ? null : new HeaderRewriteError('not a FITS file: the primary header has no END card'));
  }

  private passTail(chunk: Buffer): void {
    if (chunk.length === 0) return;
    this.tail.update(chunk);
    this.tailSize += chunk.length;
    this.push(chunk);
  }
}

/** Counts and hashes every byte after the first `skip` bytes, passing everything through. */
function tailHasher(skip: number) {
  const h = createHash('md5');
  let seen = 0;
  let size = 0;
  const t = new Transform({
    transform(chunk: Buffer, _enc, cb) {
      const from = Math.max(0, skip - seen);
      if (from < chunk.length) {
        h.update(chunk.subarray(from));
        size += chunk.length - from;
      }
      seen += chunk.length;
      cb(null, chunk);
    },
  });
  return Object.assign(t, { result: () => ({ md5: h.digest('hex'), size }) });
}

/** The decompressed bytes of a file, compression chosen by `name` (a temp file has none of its own). */
function readDecompressed(file: string, name: string): Readable {
  return decompressStream(createReadStream(file), name);
}

async function readHeaderBlocks(file: string): Promise<Buffer> {
  const fh = await open(file, 'r');
  try {
    let buf = Buffer.alloc(0);
    for (;;) {
      const block = Buffer.alloc(2880 * 4);
      const { bytesRead } = await fh.read(block, 0, block.length, buf.length);
      buf = Buffer.concat([buf, block.subarray(0, bytesRead)]);
      if (headerLength(buf) !== null) return buf;
      if (bytesRead === 0 || buf.length > MAX_HEADER_BYTES) {
        throw new HeaderRewriteError(`${file}: not a FITS file: the primary header has no END card`);
      }
    }
  } finally {
    await fh.close();
  }
}

async function fsyncFile(file: string): Promise<void> {
  const fh = await open(file, 'r+');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

/** fsync the directory so the rename itself survives a power cut. Not every filesystem allows it. */
async function fsyncDir(dir: string): Promise<void> {
  const fh = await open(dir, 'r').catch(() => null);
  if (!fh) return;
  await fh.sync().catch(() => {});
  await fh.close();
}

/**
 * Reads the temporary file back: it must parse as FITS without fatal problems, start with exactly
 * the header we wrote, and carry the same bytes after it as the original did.
 */
async function verify(
  tmp: string,
  destName: string,
  header: Buffer,
  expected: { md5: string; size: number },
) {
  const hasher = tailHasher(header.length);
  const src = readDecompressed(tmp, destName);
  src.on('error', (e) => hasher.destroy(e));
  const result = await readFits(src.pipe(hasher), { wantData: () => false });
  const fatal = result.problems.filter((p) => p.fatal);
  if (fatal.length)
    throw new HeaderRewriteError(`rewritten file does not parse: ${fatal.map((p) => p.message).join('; ')}`);
  const primary = result.hdus[0];
  if (!primary || primary.headerSize !== header.length) {
    throw new HeaderRewriteError('rewritten file: primary header is not the one written');
  }
  const got = hasher.result();
  if (got.md5 !== expected.md5 || got.size !== expected.size) {
    throw new HeaderRewriteError(
      `rewritten file: data changed (md5 ${got.md5} of ${got.size} bytes, expected ${expected.md5} of ${expected.size})`,
    );
  }
}

/** md5 and size of an uncompressed file's bytes from `start` on. */
async function md5OfTail(file: string, start: number): Promise<{ md5: string; size: number }> {
  const h = tailHasher(0);
  await pipeline(createReadStream(file, { start }), h, new Writable({ write: (_c, _e, cb) => cb() }));
  return h.result();
}

/**
 * Rewrites the primary header of `src` (a .fits, .fits.gz or .fits.bz2) with the edit `decide`
 * returns, into `opts.dest` or over `src`. See the module comment for the guarantees.
 */
export async function rewriteHeader(
  src: string,
  decide: EditDecider,
  opts: RewriteOptions = {},
): Promise<RewriteResult> {
  const dest = opts.dest ?? src;
  const srcCompressed = compressionOf(src) !== 'none';
  const destCompressed = compressionOf(dest) !== 'none';
  const mode = dest === src ? (await stat(src)).mode & 0o7777 : undefined;
  const tmp = tempNameFor(dest);
  let edited: ReturnType<typeof editHeader> | undefined;
  const onHeader = (header: Buffer) => {
    edited = editHeader(header, decide(parseHeader(header).header), opts);
    return edited.header;
  };

  try {
    let expected: { md5: string; size: number };
    if (!srcCompressed && !destCompressed) {
      // Look at the header first: when it still fits, clone the file and patch the header.
      const head = await readHeaderBlocks(src);
      const oldSize = headerLength(head)!;
      const newHeader = onHeader(head.subarray(0, oldSize));
      if (edited!.changes.length === 0 && !opts.always) {
        return {
          unchanged: true,
          inPlace: true,
          changes: [],
          dataMd5: (await md5OfTail(src, oldSize)).md5,
          size: (await stat(src)).size,
        };
      }
      if (edited!.inPlace) {
        await copyFile(src, tmp, constants.COPYFILE_FICLONE | constants.COPYFILE_EXCL);
        const fh = await open(tmp, 'r+');
        try {
          await fh.write(newHeader, 0, newHeader.length, 0);
        } finally {
          await fh.close();
        }
        expected = await md5OfTail(src, oldSize);
      } else {
        expected = await streamRewrite(src, dest, tmp, onHeader);
      }
    } else {
      expected = await streamRewrite(src, dest, tmp, onHeader);
      if (edited!.changes.length === 0 && !opts.always) {
        await unlink(tmp);
        return {
          unchanged: true,
          inPlace: true,
          changes: [],
          dataMd5: expected.md5,
          size: (await stat(src)).size,
        };
      }
    }
    await fsyncFile(tmp);
    await verify(tmp, dest, edited!.header, expected);
    if (mode !== undefined) await chmod(tmp, mode);
    await opts.beforeRename?.(tmp);
    const size = (await stat(tmp)).size;
    await rename(tmp, dest);
    await fsyncDir(path.dirname(dest));
    return {
      unchanged: false,
      inPlace: edited!.inPlace,
      changes: edited!.changes,
      dataMd5: expected.md5,
      size,
    };
  } catch (e) {
    await unlink(tmp).catch(() => {});
    throw e;
  }
}

/** src (decompressed) → splicer → (bzip2) → tmp; returns the md5/size of the original data part. */
async function streamRewrite(
  src: string,
  dest: string,
  tmp: string,
  onHeader: (header: Buffer) => Buffer,
): Promise<{ md5: string; size: number }> {
  const splicer = new HeaderSplicer(onHeader);
  const input = readDecompressed(src, src);
  input.on('error', (e) => splicer.destroy(e));
  const spliced = input.pipe(splicer);
  let out: Readable = spliced;
  const kind = compressionOf(dest);
  if (kind === 'bzip2') out = compressBzip2(spliced, dest);
  else if (kind === 'gzip') {
    out = spliced.pipe(createGzip());
    spliced.on('error', (e) => out.destroy(e));
  }
  await pipeline(out, createWriteStream(tmp, { flags: 'wx' }));
  return { md5: splicer.tail.digest('hex'), size: splicer.tailSize };
}
