import type { Queryable } from '../db/pool.js';
import { getParams } from '../db/params.js';
import { counts, type QueueCounts } from './engine.js';
import { pending } from './sql.js';
import { QUEUES, type QueueTable } from './tables.js';
import { listWorkers, type WorkerState } from './workers.js';

// `fitsstore queue status` and the /queuestatus page: counts per queue, the rows behind them, and
// the workers with whether each is alive (workers.ts decides).

export type WorkerInfo = WorkerState;

/** Queue counts, and the workers with whether each is alive. */
export async function queueStatus(
  db: Queryable,
  o: { pidAlive?: (pid: number) => boolean } = {},
): Promise<{ queues: QueueCounts[]; workers: WorkerInfo[] }> {
  const queues = [];
  for (const q of Object.values(QUEUES)) queues.push(await counts(db, q));
  const params = await getParams(db);
  const workers = await listWorkers(db, { deadSeconds: params.dead_worker_seconds, pidAlive: o.pidAlive });
  return { queues, workers };
}

/** A whole queue row, with its age and heartbeat age in seconds (age_s, hb_s). */
export type StatusRow = Record<string, unknown> & { age_s: number; hb_s: number | null };

/**
 * The first `limit` rows of one queue in each state: waiting (pending, in claim order), failed
 * (newest first) and in progress (oldest first).
 */
export async function statusRows(
  db: Queryable,
  q: QueueTable,
  limit: number,
): Promise<{ waiting: StatusRow[]; failed: StatusRow[]; inProgress: StatusRow[] }> {
  const ages = `extract(epoch FROM now() - added)::float8 AS age_s, extract(epoch FROM now() - heartbeat_at)::float8 AS hb_s`;
  const [waiting, failed, inProgress] = await Promise.all([
    db.query(`SELECT *, ${ages} FROM ${q.table} WHERE ${pending()} ORDER BY sortkey DESC, id LIMIT $1::int`, [
      limit,
    ]),
    db.query(`SELECT *, ${ages} FROM ${q.table} WHERE failed ORDER BY id DESC LIMIT $1::int`, [limit]),
    db.query(`SELECT *, ${ages} FROM ${q.table} WHERE in_progress ORDER BY added, id LIMIT $1::int`, [limit]),
  ]);
  return { waiting: waiting.rows, failed: failed.rows, inProgress: inProgress.rows };
}
