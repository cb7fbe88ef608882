import type { Queryable } from '../db/pool.js';
import { counts, type QueueCounts } from '../queues/engine.js';
import { QUEUES } from '../queues/tables.js';

export interface WorkerInfo {
  name: string;
  queue: string;
  host: string;
  pid: number;
  started_at: Date;
  heartbeat_at: Date;
  alive: boolean;
}

export async function queueStatus(db: Queryable): Promise<{ queues: QueueCounts[]; workers: WorkerInfo[] }> {
  const queues = [];
  for (const q of Object.values(QUEUES)) queues.push(await counts(db, q));
  const w = await db.query(
    `SELECT name, queue, host, pid, started_at, heartbeat_at,
            heartbeat_at > now() - make_interval(secs => (SELECT dead_worker_seconds FROM system_parameters)) AS alive
     FROM queue_worker ORDER BY queue, name`,
  );
  return { queues, workers: w.rows };
}
