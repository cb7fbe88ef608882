import type { Queryable } from '../db/pool.js';
import { keyMatch, pending } from './sql.js';
import type { QueueTable } from './tables.js';

/**
 * Returns in-progress rows to the queue: a worker's deferral or graceful stop, the sweeper's dead
 * holders, the operator's `queue release`. `where` selects the rows on alias t (values are its
 * parameters). A returned row whose key is already pending, or that repeats the key of another
 * row returned with it, is dropped instead, so the one-pending-row-per-key index always holds.
 * The one statement that puts held rows back: every path above agrees on what "back" means.
 */
export async function returnToPending(
  db: Queryable,
  q: QueueTable,
  where: string,
  values: unknown[],
  opts: { afterSql?: string; wake?: string | null } = {},
): Promise<number> {
  const r = await db.query(
    `WITH mine AS (SELECT * FROM ${q.table} t WHERE t.in_progress AND ${where} FOR UPDATE),
     covered AS (
       DELETE FROM ${q.table} t USING mine
       WHERE t.id = mine.id AND (
         EXISTS (SELECT 1 FROM ${q.table} p WHERE ${pending('p')} AND ${keyMatch(q, 'p', 'mine')})
         OR EXISTS (SELECT 1 FROM mine m2 WHERE m2.id < mine.id AND ${keyMatch(q, 'm2', 'mine')}))
       RETURNING t.id),
     back AS (
       UPDATE ${q.table} t SET in_progress = false, worker = NULL, heartbeat_at = NULL, after = ${opts.afterSql ?? 'NULL'}
       FROM mine WHERE t.id = mine.id AND t.id NOT IN (SELECT id FROM covered)
       RETURNING t.id)
     SELECT (SELECT count(*) FROM covered) + (SELECT count(*) FROM back) AS n`,
    values,
  );
  const n = Number(r.rows[0].n);
  const wake = opts.wake === undefined ? 'released' : opts.wake;
  if (n > 0 && wake) await db.query('SELECT pg_notify($1, $2)', [q.channel, wake]);
  return n;
}
