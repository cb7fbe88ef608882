import { randomBytes, createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, rename, rm, unlink } from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Logger } from '../log/logger.js';
import { decompressStream } from '../storage/decompress.js';

// Decompressed copies of files stored as .bz2, for /file/<name> asked without .bz2. Running
// bzip2 for every such request held downloads to 33 requests/s against ~360/s for plain files
// (issue 17); a copy decompressed once is then served like a plain file (ranges included).
// Bounded by a size budget (server.decompressed_cache_mb); the least recently served copies are
// removed first. A copy is keyed by the stored file's name, size and mtime, so a new version is
// never answered with an old copy. The directory is emptied when the server starts: what it
// holds is only ever a copy.

interface Entry {
  file: string;
  size: number;
  lastUsed: number;
}

export interface CacheStats {
  hits: number;
  misses: number;
  evictions: number;
  bytes: number;
  entries: number;
}

export class DecompressedCache {
  private entries = new Map<string, Entry>();
  private inflight = new Map<string, Promise<Entry | null>>();
  private bytes = 0;
  private ready: Promise<void> | null = null;
  readonly stats = { hits: 0, misses: 0, evictions: 0 };
  private tick = 0;

  constructor(
    private dir: string,
    private budgetBytes: number,
    private log?: Logger,
  ) {}

  get enabled(): boolean {
    return this.budgetBytes > 0;
  }

  snapshot(): CacheStats {
    return { ...this.stats, bytes: this.bytes, entries: this.entries.size };
  }

  /**
   * The path of a whole decompressed copy of the stored file `key` (version: its size and
   * mtime), making it first when needed; null when the cache is off or the file cannot fit.
   * `expectedSize` (the data size on record) lets a file larger than the budget skip the cache.
   */
  async get(
    key: string,
    version: string,
    expectedSize: number | null,
    open: () => Promise<Readable>,
  ): Promise<string | null> {
    if (!this.enabled || (expectedSize !== null && expectedSize > this.budgetBytes)) return null;
    const id = createHash('sha1').update(`${key}\u0000${version}`).digest('hex');
    const have = this.entries.get(id);
    if (have) {
      this.stats.hits++;
      have.lastUsed = ++this.tick;
      return have.file;
    }
    let making = this.inflight.get(id);
    if (making)
      this.stats.hits++; // joins the decompression already under way
    else {
      this.stats.misses++;
      making = this.make(id, key, open).finally(() => this.inflight.delete(id));
      this.inflight.set(id, making);
    }
    const e = await making;
    if (e) e.lastUsed = ++this.tick;
    return e?.file ?? null;
  }

  private async make(id: string, key: string, open: () => Promise<Readable>): Promise<Entry | null> {
    this.ready ??= rm(this.dir, { recursive: true, force: true })
      .then(() => mkdir(this.dir, { recursive: true }))
      .then(() => {});
    await this.ready;
    const file = path.join(this.dir, id);
    const tmp = path.join(this.dir, `.${id}.${randomBytes(4).toString('hex')}`);
    let size = 0;
    try {
      const out = createWriteStream(tmp);
      await pipeline(
        decompressStream(await open(), key),
        async function* (src) {
          for await (const chunk of src) {
            size += (chunk as Buffer).length;
            yield chunk;
          }
        },
        out,
      );
      if (size > this.budgetBytes) {
        await unlink(tmp).catch(() => {});
        return null;
      }
      await rename(tmp, file);
    } catch (e) {
      await unlink(tmp).catch(() => {});
      throw e;
    }
    const entry = { file, size, lastUsed: ++this.tick };
    this.entries.set(id, entry);
    this.bytes += size;
    await this.evict(id);
    return entry;
  }

  /** Least recently served first, until the copies fit the budget (the newest one stays). */
  private async evict(keep: string) {
    if (this.bytes <= this.budgetBytes) return;
    const byAge = [...this.entries.entries()]
      .filter(([id]) => id !== keep)
      .sort((a, b) => a[1].lastUsed - b[1].lastUsed);
    for (const [id, e] of byAge) {
      if (this.bytes <= this.budgetBytes) break;
      this.entries.delete(id);
      this.bytes -= e.size;
      this.stats.evictions++;
      // A download still reading it keeps its open descriptor: unlinking is safe.
      await unlink(e.file).catch((err) =>
        this.log?.warn({ err: (err as Error).message }, 'cache eviction failed'),
      );
    }
  }

  async close(): Promise<void> {
    await Promise.allSettled([...this.inflight.values()]);
  }
}
