import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, open, opendir, rename, stat, unlink, utimes } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { Transform } from 'node:stream';
import type { Storage, StoredFile, WriteOptions } from './types.js';
import { pidAlive } from '../daemon/lockfile.js';

/** Hashes and counts bytes on their way through. */
export function hashingStream(): Transform & { digest(): { md5: string; size: number } } {
  const h = createHash('md5');
  let size = 0;
  const t = new Transform({
    transform(chunk: Buffer, _enc, cb) {
      h.update(chunk);
      size += chunk.length;
      cb(null, chunk);
    },
  });
  let md5: string | undefined;
  return Object.assign(t, { digest: () => ({ md5: (md5 ??= h.digest('hex')), size }) });
}

// The host in a temp name: a store on NFS is shared by several machines, and only the host that
// wrote a temp file can tell whether its writer is still alive (removeOrphanTemps).
const HOST = os.hostname().replace(/[^A-Za-z0-9]+/g, '_');

/** Temp name in the destination directory: the rename is atomic, and a crash leaves an obvious tmp file. */
export function tempNameFor(file: string): string {
  return path.join(
    path.dirname(file),
    `.${path.basename(file)}.tmp-${process.pid}-${Date.now().toString(36)}-${HOST}`,
  );
}

const TEMP_NAME = /^\..+\.tmp-(\d+)-[0-9a-z]+-(.+)$/;

/**
 * Removes the temp files in `dir` (not below) whose writer was a process of this host that is gone
 * (a kill -9 mid-write): they never became a file and nothing refers to them. Returns their names.
 * Temp files of live processes and of other hosts are left alone.
 */
export async function removeOrphanTemps(dir: string): Promise<string[]> {
  const removed: string[] = [];
  const d = await opendir(dir).catch(() => null);
  if (!d) return removed;
  for await (const e of d) {
    const m = TEMP_NAME.exec(e.name);
    if (!e.isFile() || !m || m[2] !== HOST || pidAlive(Number(m[1]))) continue;
    await unlink(path.join(dir, e.name)).catch(() => {});
    removed.push(e.name);
  }
  return removed;
}

/** temp + fsync + verify + rename; a failure removes the temp file and leaves any old file as it was. */
export async function writeFileAtomic(
  file: string,
  data: Readable,
  opts: WriteOptions & { expectSize?: number } = {},
): Promise<{ size: number; md5: string }> {
  await mkdir(path.dirname(file), { recursive: true });
  const tmp = tempNameFor(file);
  const hash = hashingStream();
  try {
    await pipeline(data, hash, createWriteStream(tmp, { flags: 'wx' }));
    const fh = await open(tmp, 'r+');
    try {
      await fh.sync();
    } finally {
      await fh.close();
    }
    const got = hash.digest();
    const st = await stat(tmp);
    if (st.size !== got.size)
      throw new Error(`short write to ${file}: ${st.size} of ${got.size} bytes on disk`);
    if (opts.expectSize !== undefined && got.size !== opts.expectSize) {
      throw new Error(`size mismatch writing ${file}: expected ${opts.expectSize} bytes, got ${got.size}`);
    }
    if (opts.expectMd5 && got.md5 !== opts.expectMd5) {
      throw new Error(`md5 mismatch writing ${file}: expected ${opts.expectMd5}, got ${got.md5}`);
    }
    if (opts.mtime) await utimes(tmp, opts.mtime, opts.mtime);
    await rename(tmp, file);
    return got;
  } catch (e) {
    await unlink(tmp).catch(() => {});
    throw e;
  }
}

export class LocalStorage implements Storage {
  readonly kind = 'local' as const;
  constructor(readonly root: string) {}

  private resolve(key: string): string {
    const p = path.resolve(this.root, key);
    if (p !== this.root && !p.startsWith(this.root + path.sep))
      throw new Error(`key escapes the store: ${key}`);
    return p;
  }

  localPath(key: string): string {
    return this.resolve(key);
  }

  async stat(key: string): Promise<StoredFile | null> {
    try {
      const s = await stat(this.resolve(key));
      if (!s.isFile()) return null;
      return { key, size: s.size, lastmod: s.mtime };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw e;
    }
  }

  async read(key: string, range?: { start: number; end: number }): Promise<Readable> {
    const file = this.resolve(key);
    const fh = await open(file, 'r'); // rejects with ENOENT now, not later on the stream
    // 1 MiB chunks: fewer trips through the hashing and parsing streams (md5 speed near md5sum).
    return createReadStream('', { fd: fh, autoClose: true, highWaterMark: 1 << 20, ...(range ?? {}) });
  }

  write(key: string, data: Readable, opts: WriteOptions = {}) {
    return writeFileAtomic(this.resolve(key), data, opts);
  }

  async delete(key: string): Promise<void> {
    await unlink(this.resolve(key)).catch((e) => {
      if (e.code !== 'ENOENT') throw e;
    });
  }

  /** Keys of the regular files under prefix, from the directory entries alone (no stat). */
  async *listKeys(prefix = '', opts: { shallow?: boolean } = {}): AsyncIterable<string> {
    const base = this.resolve(prefix);
    let dir;
    try {
      dir = await opendir(base, { bufferSize: 1024 });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw e;
    }
    for await (const ent of dir) {
      const key = prefix ? `${prefix.replace(/\/+$/, '')}/${ent.name}` : ent.name;
      if (ent.isDirectory()) {
        if (!opts.shallow && ent.name !== '.snapshot') yield* this.listKeys(key, opts);
      } else if (ent.isFile()) {
        yield key;
      }
    }
  }

  /** Every regular file under prefix with its size and mtime; stats run STAT_BATCH at a time. */
  async *list(prefix = '', opts: { shallow?: boolean } = {}): AsyncIterable<StoredFile> {
    let batch: string[] = [];
    const flush = async () => {
      const stats = await Promise.all(batch.map((k) => this.stat(k)));
      batch = [];
      return stats.filter((x): x is StoredFile => x !== null); // gone meanwhile: not listed
    };
    for await (const key of this.listKeys(prefix, opts)) {
      batch.push(key);
      if (batch.length >= STAT_BATCH) yield* await flush();
    }
    if (batch.length) yield* await flush();
  }
}

/** Concurrent stats while listing: the thread pool works on them together, in order of the listing. */
const STAT_BATCH = 256;
