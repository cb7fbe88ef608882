import type pg from 'pg';
import type { Db } from '../db/pool.js';
import type { Logger } from '../log/logger.js';

// Serialised JSON API answers (/jsonsummary/<date> is ~1.7 MB for a night of 1,000 files and
// ~100 ms to build), kept until the data change. Freshness: migration 007 NOTIFYs
// fitsstore_datachange on every committed change the answers could show; a notification (or any
// doubt: the listening connection lost) starts a new generation, and only entries of the current
// generation are served. Before a hit is served, one round trip on the listening connection
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
  private client: pg.PoolClient | null = null;
  private connecting: Promise<void> | null = null;
  private queued: Promise<boolean> | null = null;
  private inflight: Promise<unknown> = Promise.resolve();
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
    if (!this.client) {
      this.connecting ??= this.listen().finally(() => (this.connecting = null));
      await this.connecting;
      if (!this.client) return null;
    }
    return (await this.sync()) ? this.generation : null;
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
    const c = this.client;
    this.client = null;
    if (c) {
      await c.query(`UNLISTEN ${CHANNEL}`).catch(() => {});
      c.release();
    }
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

  private async listen(): Promise<void> {
    let c: pg.PoolClient | undefined;
    try {
      c = await this.db.connect();
      c.on('notification', (n) => {
        if (n.channel === CHANNEL) this.invalidate();
      });
      c.on('error', (e) => this.lost(c!, e));
      await c.query(`LISTEN ${CHANNEL}`);
      // Changes made while nobody listened are unknown: start afresh.
      this.invalidate();
      if (this.closed) {
        c.release();
        return;
      }
      this.client = c;
    } catch (e) {
      this.log.warn(
        { err: (e as Error).message },
        'answer cache: cannot listen for data changes; not caching',
      );
      c?.release(e as Error);
    }
  }

  private lost(c: pg.PoolClient, e: Error) {
    if (this.client !== c) return;
    this.client = null;
    this.invalidate();
    this.log.warn({ err: e.message }, 'answer cache: lost the data-change listener; cache dropped');
    c.release(e);
  }

  /**
   * One SELECT 1 on the listening connection, sent after this call: requests arriving while it
   * waits to be sent share it. Resolves false when the connection failed.
   */
  private sync(): Promise<boolean> {
    if (this.queued) return this.queued;
    const c = this.client!;
    const p = this.inflight.then(async () => {
      this.queued = null; // from here on, a new request needs a newer round trip
      try {
        await c.query('SELECT 1');
        return this.client === c;
      } catch (e) {
        this.lost(c, e as Error);
        return false;
      }
    });
    this.queued = p;
    this.inflight = p;
    return p;
  }
}
