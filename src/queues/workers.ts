import os from 'node:os';
import { pidAlive } from '../daemon/lockfile.js';
import type { Db, Queryable } from '../db/pool.js';
import { holderState } from './holders.js';
import { QUEUES } from './tables.js';
import { runVerb } from './verbs.js';

// queue_worker: who services the queues. A worker is dead once its process is gone on this host
// (known at once: a kill -9 leaves its row behind, heartbeat still fresh) or its heartbeat is older
// than dead_worker_seconds (another host, or a hung process). `queue status`, doctor and triage
// all judge by this one rule; `queue forget-worker` clears the dead ones after releasing what they
// held (a kill -9'd worker was listed by doctor for ever, with no command to clear it).

export interface WorkerState {
  /** name@host:pid, as the worker registered it. */
  name: string;
  queue: string;
  host: string;
  pid: number;
  started_at: Date;
  heartbeat_at: Date;
  alive: boolean;
  reason: string;
}

export interface LivenessOptions {
  deadSeconds: number;
  now?: number;
  host?: string;
  pidAlive?: (pid: number) => boolean;
}

/** Every registered worker, judged alive or dead: the one query behind status, doctor, triage and restore. */
export async function listWorkers(db: Queryable, o: LivenessOptions): Promise<WorkerState[]> {
  const r = await db.query(
    'SELECT name, queue, host, pid, started_at, heartbeat_at FROM queue_worker ORDER BY queue, name',
  );
  return r.rows.map((w) => {
    const h = holderState(
      { worker: w.name, heartbeat_at: w.heartbeat_at },
      o.deadSeconds,
      o.now ?? Date.now(),
      o.host ?? os.hostname(),
      o.pidAlive ?? pidAlive,
    );
    return { ...w, alive: h.alive, reason: h.reason };
  });
}

/** Names of the live workers (a restore under running daemons is refused). */
export async function liveWorkerNames(db: Queryable, o: LivenessOptions): Promise<string[]> {
  return (await listWorkers(db, o)).filter((w) => w.alive).map((w) => w.name);
}

/** Live workers per queue. */
export function liveCounts(workers: WorkerState[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const w of workers) if (w.alive) out[w.queue] = (out[w.queue] ?? 0) + 1;
  return out;
}

export interface ForgetResult {
  forgotten: WorkerState[];
  /** Named on the command line but alive: left alone. */
  refused: WorkerState[];
  /** In-progress rows of the forgotten workers returned to their queues. */
  released: number;
}

/**
 * Releases the in-progress rows of dead workers, then deletes their queue_worker rows (guarded by
 * the heartbeat judged: a row re-registered meanwhile is left alone). `names` limits it to those workers (by name@host:pid or by the bare name).
 */
export async function forgetDeadWorkers(
  db: Db,
  o: LivenessOptions & { names?: string[]; dryRun?: boolean },
): Promise<ForgetResult> {
  const all = await listWorkers(db, o);
  const named = (w: WorkerState) =>
    !o.names?.length || o.names.some((n) => n === w.name || n === w.name.split('@')[0]);
  const chosen = all.filter(named);
  const res: ForgetResult = {
    forgotten: chosen.filter((w) => !w.alive),
    refused: o.names?.length ? chosen.filter((w) => w.alive) : [],
    released: 0,
  };
  if (o.dryRun) return res;
  for (const w of res.forgotten) {
    // Judged dead above, so its rows are released without asking again (force).
    for (const q of Object.values(QUEUES)) {
      const r = await runVerb(db, q, 'release', { worker: w.name }, { force: true });
      res.released += r.done.released;
    }
    await db.query(
      "DELETE FROM queue_worker WHERE name = $1 AND date_trunc('milliseconds', heartbeat_at) = $2",
      [w.name, w.heartbeat_at],
    );
  }
  return res;
}
