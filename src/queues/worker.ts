import os from 'node:os';
import type { Db } from '../db/pool.js';
import { isRetryableDbError } from '../db/pool.js';
import { listen } from '../db/listen.js';
import { getParams, type SystemParameters } from '../db/params.js';
import { pidAlive } from '../daemon/lockfile.js';
import { Waker, jitter, sleep } from '../daemon/sleep.js';
import type { Logger } from '../log/logger.js';
import * as engine from './engine.js';
import type { QueueRow } from './engine.js';
import type { QueueTable } from './tables.js';

// The run loop every queue daemon shares: claim → handle → complete/fail/defer, woken by NOTIFY
// with polling as a safety net, heartbeating its rows and sweeping up after dead workers.

/** `settled`: the item needed no work (e.g. an unchanged file): the worker may try batches next. */
export type HandlerResult = void | { defer: number; reason?: string } | { settled: true };
export type Handler = ((
  row: QueueRow,
  ctx: { signal: AbortSignal; log: Logger },
) => Promise<HandlerResult>) & {
  /**
   * Optional: of many claimed rows, the ids already settled without handling (e.g. files found
   * unchanged by one query for all of them); those are completed together. Used once an item
   * came back { settled: true }, with batches growing while whole batches settle; single rows,
   * without this check, otherwise.
   */
  settle?: (rows: QueueRow[]) => Promise<Set<number>>;
};

/** Largest batch claimed for a handler that settles rows in bulk. */
const MAX_BATCH = 256;

export interface WorkerOptions {
  db: Db;
  url: string;
  queue: QueueTable;
  /** --name, e.g. siq1 */
  name: string;
  handler: Handler;
  log: Logger;
  signal: AbortSignal;
  /** Parallel claim loops in this process. */
  concurrency?: number;
  /** --empty / --once: drain the queue, then return. */
  once?: boolean;
  /** Called after each item, for progress and tests. */
  onItem?: (row: QueueRow, outcome: 'done' | 'failed' | 'deferred') => void;
}

export interface WorkerStats {
  done: number;
  failed: number;
  deferred: number;
}

const HOST = os.hostname();

/** Worker ids carry host and pid so a sweeper on the same host can tell a dead process at once. */
export function workerId(name: string, slot: number): string {
  return `${name}@${HOST}:${process.pid}#${slot}`;
}

function deadLocalWorkers(workers: string[]): string[] {
  return workers.filter((w) => {
    const m = /@(.+):(\d+)#\d+$/.exec(w);
    return m !== null && m[1] === HOST && Number(m[2]) !== process.pid && !pidAlive(Number(m[2]));
  });
}

export function errorText(e: unknown): string {
  if (e instanceof Error)
    return e.stack && e.stack.includes(e.message) ? e.stack : `${e.message}\n${e.stack ?? ''}`;
  return String(e);
}

export async function runWorker(o: WorkerOptions): Promise<WorkerStats> {
  const stats: WorkerStats = { done: 0, failed: 0, deferred: 0 };
  const waker = new Waker();
  const slots = Math.max(1, o.concurrency ?? 1);
  const ids = Array.from({ length: slots }, (_, i) => workerId(o.name, i));
  let params: SystemParameters = await getParams(o.db);
  // Listening again after a lost connection, the worker re-scans: an item enqueued meanwhile
  // was announced to nobody.
  const listener = o.once
    ? null
    : listen({
        connection: o.url,
        channels: [o.queue.channel],
        onNotification: () => waker.wake(),
        onListening: () => waker.wake(),
      });
  await registerWorker(o);

  const stopTimers = new AbortController();
  const periodic = (everyMs: () => number, fn: () => Promise<void>) => {
    (async () => {
      while (!stopTimers.signal.aborted) {
        await sleep(jitter(everyMs()), stopTimers.signal);
        if (stopTimers.signal.aborted) break;
        await fn().catch((e) => o.log.warn({ err: errorText(e) }, 'periodic task failed; will retry'));
      }
    })();
  };
  periodic(
    () => params.heartbeat_seconds * 1000,
    async () => {
      await engine.heartbeatRows(o.db, o.queue, ids);
      await o.db.query('UPDATE queue_worker SET heartbeat_at = now() WHERE name = $1', [processName(o)]);
      const pollBefore = params.poll_seconds;
      params = await getParams(o.db);
      // A shorter poll takes effect now, not when the (maybe 30 s) sleep already running ends:
      // `params set` reaches running daemons within one heartbeat (test/faults/params.test.ts).
      if (params.poll_seconds < pollBefore) waker.wake();
    },
  );
  const doSweep = async () => {
    const dead = deadLocalWorkers(await engine.holders(o.db, o.queue));
    const r = await engine.sweep(o.db, o.queue, {
      deadSeconds: params.dead_worker_seconds,
      maxAttempts: params.max_attempts,
      deadWorkers: dead,
    });
    if (r.released || r.failed) {
      o.log.warn({ released: r.released, failed: r.failed }, `recovered items held by dead workers`);
      waker.wake();
    }
  };
  periodic(() => params.heartbeat_seconds * 1000, doSweep);
  await doSweep().catch((e) => o.log.warn({ err: errorText(e) }, 'initial sweep failed'));

  const loop = async (worker: string) => {
    let idleLogged = false;
    // Rows claimed but not yet handled (a batch), and the size of the next claim: it doubles while
    // whole batches settle (a re-queue of unchanged files) and drops to one as soon as a row needs
    // real work, so new files are claimed one at a time, newest first, as before.
    let held: QueueRow[] = [];
    let batch = 1;
    // A claim that failed may still have committed (the connection died before the answer): the
    // row would sit in_progress under our live name, heartbeated by us and never swept. This slot
    // holds nothing between items, so whatever is under its name then goes back first.
    let unsure = false;
    while (!o.signal.aborted) {
      let row: QueueRow | null;
      try {
        if (unsure) {
          await engine.releaseWorker(o.db, o.queue, worker);
          held = []; // went back with the rest
          unsure = false;
        }
        if (held.length) row = held.shift()!;
        else if (!o.handler.settle || batch === 1) row = await engine.claim(o.db, o.queue, worker);
        else {
          const rows = await engine.claimMany(o.db, o.queue, worker, batch);
          const settled = rows.length ? await o.handler.settle(rows) : new Set<number>();
          if (settled.size) {
            await engine.completeMany(o.db, o.queue, [...settled], worker);
            for (const r of rows)
              if (settled.has(r.id)) {
                stats.done++;
                o.onItem?.(r, 'done');
              }
          }
          held = rows.filter((r) => !settled.has(r.id));
          batch = rows.length && held.length === 0 ? Math.min(MAX_BATCH, batch * 2) : 1;
          if (!rows.length) batch = 1;
          if (rows.length && !held.length) continue;
          row = held.shift() ?? null;
        }
      } catch (e) {
        unsure = true;
        if (!isRetryableDbError(e)) o.log.error({ err: errorText(e) }, 'claim failed');
        else o.log.warn({ err: (e as Error).message }, 'database unavailable; retrying');
        await waker.sleep(1000, o.signal);
        continue;
      }
      if (!row) {
        if (o.once) {
          // Deferred rows still count as work for --empty: wait for them rather than exit early.
          const c = await engine.counts(o.db, o.queue);
          if (c.pending === 0) return;
          await waker.sleep(200, o.signal);
          continue;
        }
        if (!idleLogged) o.log.debug(`nothing on ${o.queue.table}, waiting`);
        idleLogged = true;
        // NOTIFY wakes us for new items; nothing announces a deferral coming due, so sleep only
        // until the earliest one is (the poll stays the safety net).
        const due = await engine.secondsUntilDue(o.db, o.queue).catch(() => null);
        const pollMs = params.poll_seconds * 1000;
        await waker.sleep(due === null ? pollMs : Math.min(pollMs, due * 1000 + 20), o.signal);
        continue;
      }
      idleLogged = false;
      const settled = await handleOne(o, worker, row, stats);
      if (settled && o.handler.settle && batch === 1 && !held.length) batch = 2;
    }
  };
  try {
    await Promise.all(ids.map(loop));
  } finally {
    stopTimers.abort();
    waker.wake();
    // Graceful stop: nothing is left in_progress under our name.
    for (const id of ids) await engine.releaseWorker(o.db, o.queue, id).catch(() => {});
    await o.db.query('DELETE FROM queue_worker WHERE name = $1', [processName(o)]).catch(() => {});
    await listener?.stop();
  }
  return stats;
}

/** Handles one claimed row; true when the handler found nothing to do ({ settled }). */
async function handleOne(
  o: WorkerOptions,
  worker: string,
  row: QueueRow,
  stats: WorkerStats,
): Promise<boolean> {
  try {
    const result = await o.handler(row, { signal: o.signal, log: o.log });
    if (result && 'defer' in result) {
      await engine.defer(o.db, o.queue, row.id, worker, result.defer);
      stats.deferred++;
      o.log.debug({ id: row.id, seconds: result.defer, reason: result.reason }, 'deferred');
      o.onItem?.(row, 'deferred');
    } else {
      await engine.complete(o.db, o.queue, row.id, worker);
      stats.done++;
      o.onItem?.(row, 'done');
      return Boolean(result && 'settled' in result);
    }
  } catch (e) {
    if (isRetryableDbError(e) || o.signal.aborted) {
      // Not the item's fault: give it back and let the loop wait for the database.
      o.log.warn({ id: row.id, err: (e as Error).message }, 'item interrupted; returning it to the queue');
      // The database may still be down: keep trying until it answers. A row left in_progress
      // under our live name would be heartbeated by us forever and never swept (found by the
      // fault suite's PostgreSQL restart). Guarded by worker: a lease taken over meanwhile is
      // left alone. On shutdown, runWorker's finally releases whatever is still ours.
      for (let wait = 500; ; wait = Math.min(wait * 2, 5000)) {
        try {
          await engine.defer(o.db, o.queue, row.id, worker, 0);
          break;
        } catch {
          if (o.signal.aborted) break;
          await sleep(wait, o.signal);
        }
      }
      return false;
    }
    const label = (row.filename as string) ?? `id ${row.id}`;
    // queue_error must name the item even when the error does not (a database error, say).
    const raw = errorText(e);
    const text = raw.includes(label) ? raw : `${label}: ${raw}`;
    o.log.error({ id: row.id, filename: row.filename, path: row.path, err: text }, `failed: ${label}`);
    await engine
      .fail(o.db, o.queue, row, worker, text)
      .catch((err) => o.log.error({ err: errorText(err) }, 'could not record failure'));
    stats.failed++;
    o.onItem?.(row, 'failed');
  }
  return false;
}

function processName(o: WorkerOptions) {
  return `${o.name}@${HOST}:${process.pid}`;
}

async function registerWorker(o: WorkerOptions) {
  await o.db.query(
    `INSERT INTO queue_worker (name, queue, host, pid) VALUES ($1, $2, $3, $4)
     ON CONFLICT (name) DO UPDATE SET started_at = now(), heartbeat_at = now()`,
    [processName(o), o.queue.name, HOST, process.pid],
  );
}
