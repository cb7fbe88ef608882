import type { Queryable } from '../db/pool.js';
import { claimable, pending } from './sql.js';
import type { QueueTable } from './tables.js';

// Read-only summaries for doctor: how much waits, how much failed, who holds what, recent errors.

export interface QueueHealth {
  queue: string;
  pending: number;
  failed: number;
  oldest_pending: Date | null;
  in_progress: { id: number; worker: string | null; heartbeat_at: Date | null }[];
}

export async function queueHealth(db: Queryable, q: QueueTable): Promise<QueueHealth> {
  const r = await db.query(
    `SELECT count(*) FILTER (WHERE ${pending('t')}) AS pending,
            count(*) FILTER (WHERE t.failed) AS failed,
            min(t.added) FILTER (WHERE ${claimable('t')})
              AS oldest_pending
     FROM ${q.table} t`,
  );
  const held = await db.query(
    `SELECT t.id, t.worker, t.heartbeat_at FROM ${q.table} t WHERE t.in_progress ORDER BY t.id LIMIT 10000`,
  );
  const x = r.rows[0];
  return {
    queue: q.name,
    pending: Number(x.pending),
    failed: Number(x.failed),
    oldest_pending: x.oldest_pending,
    in_progress: held.rows,
  };
}

/** queue_error rows per queue since a moment (doctor: the last 24 h). */
export async function recentErrorCounts(db: Queryable, since: Date): Promise<Record<string, number>> {
  const r = await db.query('SELECT queue, count(*) AS n FROM queue_error WHERE added >= $1 GROUP BY queue', [
    since,
  ]);
  return Object.fromEntries(r.rows.map((x) => [x.queue, Number(x.n)]));
}
