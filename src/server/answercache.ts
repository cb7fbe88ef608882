import { listen, type Listener } from '../db/listen.js';
import type { Db } from '../db/pool.js';
import type { Logger } from '../log/logger.js';

// Serialised JSON API answers (/jsonsummary/<date> is ~1.7 MB for a night of 1,000 files and
// ~100 ms to build), kept until the data change. Freshness: migration 007 NOTIFYs
// fitsstore_datachange on every committed change the answers could show; a notification (or any
// doubt: the listening connection lost) starts a new generation, and only entries of the current
// generation are served. The listener (db/listen.ts) connects again by itself; listening again
// starts a new generation too. Before a hit is served, one round trip on the listening connection
// makes sure every notification committed before the request arrived has been heard (PostgreSQL
// sends pending notifications ahead of a query's answer), so a client that changed the data and
// then asks never gets the old answer.

const CHANNEL = 'fitsstore_datachange';

interface Entry {
  generation: number;
  body: Buffer;
}

export class AnswerCache {
  private entries = new Map<string, Entry>(); // in least-recently-used order
  private bytes = 0;
  private generation = 0;
  private listener: Listener | null = null;
  private closed = false;

  constructor(
    private readonly db: Db,
    private readonly maxBytes: number,
    private readonly log: Logger,
  ) {}

  get enabled(): boolean {
    return this.maxBytes > 0 && !this.closed;
  }

  /**
   * The generation answers may be cached under and served from right now, once every change
   * committed before this call has been heard; null when freshness cannot be known (no listener).
   */
  async current(): Promise<number | null> {
    if (!this.enabled) return null;
    // Listening starts with the first request that could use the cache.
    this.listener ??= this.listen();
    if (!(await this.listener.ready())) return null;
    return (await this.listener.sync()) ? this.generation : null;
  }

  get(key: string, generation: number): Buffer | null {
    const e = this.entries.get(key);
    if (!e) return null;
    if (e.generation !== generation) {
      this.drop(key, e);
      return null;
    }
    this.entries.delete(key); // refresh its place in the LRU order
    this.entries.set(key, e);
    return e.body;
  }

  /** Keeps an answer built from data read after current() gave `generation`. */
  put(key: string, generation: number, body: Buffer): void {
    if (generation !== this.generation || body.length > this.maxBytes / 4) return;
    const old = this.entries.get(key);
    if (old) this.drop(key, old);
    this.entries.set(key, { generation, body });
    this.bytes += body.length;
    for (const [k, e] of this.entries) {
      if (this.bytes <= this.maxBytes) break;
      this.drop(k, e);
    }
  }

  stats() {
    return { entries: this.entries.size, bytes: this.bytes, generation: this.generation };
  }

  async close(): Promise<void> {
    this.closed = true;
    this.invalidate();
    await this.listener?.stop();
  }

  private drop(key: string, e: Entry) {
    this.entries.delete(key);
    this.bytes -= e.body.length;
  }

  private invalidate() {
    this.generation++;
    this.entries.clear();
    this.bytes = 0;
  }

  private listen(): Listener {
    return listen({
      // A connection of its own with the pool's settings, not one of the pool's.
      connection: this.db.options,
      channels: [CHANNEL],
      onNotification: () => this.invalidate(),
      // Changes made while nobody listened are unknown: start afresh.
      onListening: () => this.invalidate(),
      onLost: (e) => {
        this.invalidate();
        this.log.warn(
          { err: e.message },
          'answer cache: not listening for data changes; cache dropped, not caching until listening again',
        );
      },
    });
  }
}
