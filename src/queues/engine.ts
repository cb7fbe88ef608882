import type { Queryable, Db } from '../db/pool.js';
import { withTransaction } from '../db/pool.js';
import { returnToPending } from './release.js';
import { claimable, deferred, keyMatch, keyOf, pending } from './sql.js';
import { COLUMN_DEFAULTS, type QueueTable } from './tables.js';

// Every statement that touches a queue table lives here. Values always travel as parameters;
// table and column names come only from the fixed descriptors in tables.ts.

export interface QueueRow {
  id: number;
  added: Date;
  sortkey: string;
  after: Date | null;
  in_progress: boolean;
  failed: boolean;
  attempts: number;
  worker: string | null;
  heartbeat_at: Date | null;
  error: string | null;
  [column: string]: unknown;
}

export interface EnqueueItem {
  sortkey: string;
  after?: Date | null;
  [column: string]: unknown;
}

export interface EnqueueResult {
  queued: number;
  alreadyPending: number;
}

/**
 * Adds items in batches (unnest of arrays: one statement per 5,000 rows). An item whose key is
 * already pending is not added again; a pending row is upgraded when the new item forces more.
 */
export async function enqueue(db: Queryable, q: QueueTable, items: EnqueueItem[]): Promise<EnqueueResult> {
  // Duplicates inside one batch would make ON CONFLICT touch a row twice: keep the last.
  const byKey = new Map<string, EnqueueItem>();
  for (const it of items) byKey.set(keyOf(q, it), it);
  const unique = [...byKey.values()];
  const cols = Object.keys(q.columns);
  // A pending row also takes a re-add's `verified`: the file in the store is then a complete one.
  const upgrade = ['force', 'force_md5', 'verified'].filter((c) => c in q.columns);
  const conflict = upgrade.length
    ? `DO UPDATE SET ${upgrade.map((c) => `${c} = t.${c} OR EXCLUDED.${c}`).join(', ')}
       WHERE ${upgrade.map((c) => `(EXCLUDED.${c} AND NOT t.${c})`).join(' OR ')}`
    : 'DO NOTHING';
  // The wake-up travels in the same statement (delivered at its commit): one round trip per batch.
  const sql = `WITH ins AS (
      INSERT INTO ${q.table} AS t (${cols.join(', ')}, sortkey, after)
      SELECT * FROM unnest(${cols.map((c, i) => `$${i + 1}::${q.columns[c]}[]`).join(', ')},
                           $${cols.length + 1}::text[], $${cols.length + 2}::timestamptz[])
      ON CONFLICT (${q.key.join(', ')}) WHERE ${pending()} ${conflict}
      RETURNING (xmax = 0) AS inserted),
    n AS (SELECT count(*) FILTER (WHERE inserted)::int AS queued FROM ins)
    SELECT queued, CASE WHEN queued > 0 THEN pg_notify('${q.channel}', queued::text) END AS notified FROM n`;
  let queued = 0;
  const BATCH = 5000;
  for (let start = 0; start < unique.length; start += BATCH) {
    const batch = unique.slice(start, start + BATCH);
    const values: unknown[] = cols.map((c) => batch.map((it) => it[c] ?? COLUMN_DEFAULTS[c] ?? null));
    values.push(batch.map((it) => it.sortkey));
    values.push(batch.map((it) => it.after ?? null));
    const r = await db.query(sql, values);
    queued += r.rows[0].queued as number;
  }
  return { queued, alreadyPending: unique.length - queued };
}

/**
 * Claims the most recent claimable item in one statement. Rows whose key is being processed by
 * someone else are skipped, so one file is never handled twice at once.
 */
export async function claim(db: Queryable, q: QueueTable, worker: string): Promise<QueueRow | null> {
  // Named, so each connection plans it once: planning cost twice what running it does.
  const r = await db.query({
    name: `claim-${q.table}`,
    text: `UPDATE ${q.table} SET in_progress = true, worker = $1, heartbeat_at = now(), attempts = attempts + 1
     WHERE id = (
       SELECT c.id FROM ${q.table} c
       WHERE ${claimable('c')}
         -- OFFSET 0 keeps this a per-candidate probe of the key index, not an anti-join over a
         -- scan of every in-progress row (dead entries included) on each claim.
         AND NOT EXISTS (SELECT 1 FROM ${q.table} p WHERE p.in_progress AND ${keyMatch(q, 'p', 'c')} OFFSET 0)
       ORDER BY c.sortkey DESC, c.id
       LIMIT 1 FOR UPDATE SKIP LOCKED)
       -- No wait for the WAL flush: a claim lost in a crash leaves the row pending.
       AND set_config('synchronous_commit', 'off', true) = 'off'
     RETURNING *`,
    values: [worker],
  });
  return (r.rows[0] as QueueRow) ?? null;
}

/**
 * Claims up to `limit` of the most recent claimable items at once, in priority order: for
 * handlers that can settle many items with one query (unchanged files on a nightly re-queue).
 */
export async function claimMany(
  db: Queryable,
  q: QueueTable,
  worker: string,
  limit: number,
): Promise<QueueRow[]> {
  if (limit <= 1) {
    const one = await claim(db, q, worker);
    return one ? [one] : [];
  }
  const r = await db.query({
    name: `claim-many-${q.table}`,
    text: `UPDATE ${q.table} SET in_progress = true, worker = $1, heartbeat_at = now(), attempts = attempts + 1
     WHERE id IN (
       SELECT c.id FROM ${q.table} c
       WHERE ${claimable('c')}
         AND NOT EXISTS (SELECT 1 FROM ${q.table} p WHERE p.in_progress AND ${keyMatch(q, 'p', 'c')} OFFSET 0)
       ORDER BY c.sortkey DESC, c.id
       LIMIT $2 FOR UPDATE SKIP LOCKED)
       AND set_config('synchronous_commit', 'off', true) = 'off'
     RETURNING *`,
    values: [worker, limit],
  });
  return (r.rows as QueueRow[]).sort((a, b) =>
    a.sortkey === b.sortkey ? Number(a.id) - Number(b.id) : a.sortkey < b.sortkey ? 1 : -1,
  );
}

/** Completes many claimed rows in one statement (ownership-guarded like complete()). */
export async function completeMany(
  db: Queryable,
  q: QueueTable,
  ids: number[],
  worker: string,
): Promise<number> {
  if (!ids.length) return 0;
  const r = await db.query({
    name: `complete-many-${q.table}`,
    text: `DELETE FROM ${q.table} WHERE id = ANY($1::bigint[]) AND worker = $2 AND in_progress IS TRUE
       AND set_config('synchronous_commit', 'off', true) = 'off'`,
    values: [ids, worker],
  });
  return r.rowCount ?? 0;
}

/** Done: the row leaves the queue. Guarded by ownership, so a reclaimed lease cannot be completed. */
export async function complete(db: Queryable, q: QueueTable, id: number, worker: string): Promise<boolean> {
  // No wait for the WAL flush either: a completion lost in a crash only returns the row to the
  // queue (via the sweeper), and every handler is idempotent. `IS TRUE` keeps the planner on the
  // primary key rather than the partial in-progress index.
  const r = await db.query({
    name: `complete-${q.table}`,
    text: `DELETE FROM ${q.table} WHERE id = $1 AND worker = $2 AND in_progress IS TRUE
       AND set_config('synchronous_commit', 'off', true) = 'off'`,
    values: [id, worker],
  });
  return r.rowCount === 1;
}

/** Marks the row failed and keeps the evidence in queue_error, in one transaction. */
export async function fail(
  db: Db,
  q: QueueTable,
  row: QueueRow,
  worker: string,
  error: string,
): Promise<boolean> {
  return withTransaction(db, async (c) => {
    const r = await c.query(
      `UPDATE ${q.table} SET failed = true, in_progress = false, error = $3, heartbeat_at = NULL,
         operator_retry = false
       WHERE id = $1 AND worker = $2 AND in_progress`,
      [row.id, worker, error],
    );
    if (r.rowCount !== 1) return false;
    await recordError(c, q, row, error);
    return true;
  });
}

export async function recordError(db: Queryable, q: QueueTable, row: Record<string, unknown>, error: string) {
  await db.query(
    `INSERT INTO queue_error (queue, filename, path, added, date, error) VALUES ($1, $2, $3, now(), now(), $4)`,
    [q.errorName, (row.filename as string) ?? null, (row.path as string) ?? null, error],
  );
}

/**
 * One open error per file, place and reason: the same error again updates the row's time instead
 * of adding one (copy-from-dhs met the same bad DHS file at every start: 220 rows for 55 files).
 */
export async function recordErrorOnce(
  db: Queryable,
  q: QueueTable,
  row: { filename: string; path: string | null },
  error: string,
) {
  await db.query(
    `WITH seen AS (
       UPDATE queue_error SET added = now(), date = now()
       WHERE id = (SELECT id FROM queue_error
                   WHERE queue = $1 AND filename = $2 AND path IS NOT DISTINCT FROM $3::text AND error = $4
                   ORDER BY id DESC LIMIT 1)
       RETURNING id)
     INSERT INTO queue_error (queue, filename, path, added, date, error)
     SELECT $1, $2, $3::text, now(), now(), $4 WHERE NOT EXISTS (SELECT 1 FROM seen)`,
    [q.errorName, row.filename, row.path, error],
  );
}

export async function defer(db: Queryable, q: QueueTable, id: number, worker: string, seconds: number) {
  return returnToPending(db, q, 'id = $1 AND worker = $2', [id, worker, seconds], {
    afterSql: `now() + make_interval(secs => $3)`,
  });
}

/**
 * Seconds until the earliest deferred item becomes claimable (null: none deferred). An idle
 * worker sleeps only that long rather than a whole poll interval: a deferral that comes due is
 * picked up when it does, not at the next poll.
 */
export async function secondsUntilDue(db: Queryable, q: QueueTable): Promise<number | null> {
  const r = await db.query(
    `SELECT extract(epoch FROM min(after) - now())::float8 AS s FROM ${q.table}
     WHERE ${deferred()}`,
  );
  const s = r.rows[0]?.s;
  return s === null || s === undefined ? null : Math.max(0, Number(s));
}

/** Graceful stop: everything this worker holds goes back, untouched. */
export async function releaseWorker(db: Queryable, q: QueueTable, worker: string): Promise<number> {
  return returnToPending(db, q, 'worker = $1', [worker]);
}

export async function heartbeatRows(db: Queryable, q: QueueTable, workers: string[]): Promise<void> {
  await db.query(
    `UPDATE ${q.table} SET heartbeat_at = now() WHERE in_progress AND worker = ANY($1::text[])`,
    [workers],
  );
}

export interface SweepResult {
  released: number;
  failed: number;
}

/**
 * Crash recovery: rows whose holder stopped heartbeating (or whose process is known dead) go back
 * to the queue; a row that has now killed its worker max_attempts times is failed instead, so one
 * poisonous file cannot crash-loop the daemons.
 */
export async function sweep(
  db: Db,
  q: QueueTable,
  opts: { deadSeconds: number; maxAttempts: number; deadWorkers?: string[] },
): Promise<SweepResult> {
  const stale = `(heartbeat_at IS NULL OR heartbeat_at < now() - make_interval(secs => $1::double precision)
                  OR worker = ANY($2::text[]))`;
  const values = [opts.deadSeconds, opts.deadWorkers ?? []];
  return withTransaction(db, async (c) => {
    const poisoned = await c.query(
      `UPDATE ${q.table} SET in_progress = false, failed = true, heartbeat_at = NULL,
         error = 'worker ' || coalesce(worker, '?') || ' died while processing this item (' || attempts || ' attempts)'
       WHERE in_progress AND ${stale} AND attempts >= $3
       RETURNING *`,
      [...values, opts.maxAttempts],
    );
    for (const row of poisoned.rows) await recordError(c, q, row, row.error);
    const released = await returnToPending(c, q, stale, values);
    return { released, failed: poisoned.rowCount ?? 0 };
  });
}

/** In-progress holders, for finding dead local processes. */
export async function holders(db: Queryable, q: QueueTable): Promise<string[]> {
  const r = await db.query(`SELECT DISTINCT worker FROM ${q.table} WHERE in_progress AND worker IS NOT NULL`);
  return r.rows.map((x) => x.worker as string);
}

export interface QueueCounts {
  queue: string;
  pending: number;
  in_progress: number;
  failed: number;
  deferred: number;
  oldest: Date | null;
}

export async function counts(db: Queryable, q: QueueTable): Promise<QueueCounts> {
  const r = await db.query(
    `SELECT count(*) FILTER (WHERE ${pending()}) AS pending,
            count(*) FILTER (WHERE in_progress) AS in_progress,
            count(*) FILTER (WHERE failed) AS failed,
            count(*) FILTER (WHERE ${deferred()}) AS deferred,
            min(added) FILTER (WHERE NOT failed) AS oldest
     FROM ${q.table}`,
  );
  const x = r.rows[0];
  return {
    queue: q.name,
    pending: Number(x.pending),
    in_progress: Number(x.in_progress),
    failed: Number(x.failed),
    deferred: Number(x.deferred),
    oldest: x.oldest,
  };
}
