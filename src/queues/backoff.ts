import type { Queryable } from '../db/pool.js';
import { keyMatch, pending } from './sql.js';
import type { QueueTable } from './tables.js';

// Retrying by itself: pending rows of a failing target wait out its back-off, and failed rows
// come back once their last error is old enough (export's per-destination back-off, export.ts).

/**
 * Pending rows whose `column` equals `value` may not be claimed for `seconds` (a later deferral
 * already in place is kept). Rows the operator retried are left alone: the operator means now.
 */
export async function deferPendingWhere(
  db: Queryable,
  q: QueueTable,
  column: string,
  value: unknown,
  seconds: number,
): Promise<number> {
  if (!(column in q.columns)) throw new Error(`${q.table} has no column ${column}`);
  const r = await db.query(
    `UPDATE ${q.table} SET after = greatest(coalesce(after, now()), now() + make_interval(secs => $2::double precision))
     WHERE ${column} = $1::${q.columns[column]} AND ${pending()} AND NOT operator_retry`,
    [value, seconds],
  );
  return r.rowCount ?? 0;
}

/**
 * Failed rows whose last recorded error (queue_error, by filename and path) is at least
 * `quietSeconds` old go back to the queue, one per key; a failed row already covered by a pending
 * one is dropped.
 */
export async function retryQuietFailures(
  db: Queryable,
  q: QueueTable,
  quietSeconds: number,
): Promise<{ retried: number; dropped: number }> {
  const key = q.key.map((k) => `x.${k}`).join(', ');
  const samePath = 'path' in q.columns ? 'AND qe.path = x.path' : '';
  const r = await db.query(
    `WITH cand AS (
       SELECT e.* FROM ${q.table} e
       WHERE e.id IN (
         SELECT DISTINCT ON (${key}) x.id FROM ${q.table} x
         WHERE x.failed AND NOT x.in_progress
           AND NOT EXISTS (SELECT 1 FROM queue_error qe WHERE qe.queue = $2::text AND qe.filename = x.filename
                             ${samePath} AND qe.added > now() - make_interval(secs => $1::double precision))
         ORDER BY ${key}, x.id DESC)
       FOR UPDATE SKIP LOCKED),
     dropped AS (
       DELETE FROM ${q.table} t USING cand
       WHERE t.id = cand.id AND EXISTS (
         SELECT 1 FROM ${q.table} p WHERE ${pending('p')} AND ${keyMatch(q, 'p', 'cand')})
       RETURNING t.id),
     back AS (
       UPDATE ${q.table} t SET failed = false, error = NULL, attempts = 0, after = NULL, worker = NULL
       FROM cand WHERE t.id = cand.id AND t.id NOT IN (SELECT id FROM dropped)
       RETURNING t.id)
     SELECT (SELECT count(*) FROM back) AS retried, (SELECT count(*) FROM dropped) AS dropped`,
    [quietSeconds, q.errorName],
  );
  const retried = Number(r.rows[0].retried);
  if (retried > 0) await db.query('SELECT pg_notify($1, $2)', [q.channel, 'retry']);
  return { retried, dropped: Number(r.rows[0].dropped) };
}
