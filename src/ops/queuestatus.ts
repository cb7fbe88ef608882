import type { Queryable } from '../db/pool.js';
import { getParams } from '../db/params.js';
import { counts, type QueueCounts } from '../queues/engine.js';
import { QUEUES } from '../queues/tables.js';
import { listWorkers, type WorkerState } from '../queues/workers.js';

export type WorkerInfo = WorkerState;

/** Queue counts, and the workers with whether each is alive (queues/workers.ts decides). */
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
