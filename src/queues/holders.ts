import os from 'node:os';
import { pidAlive } from '../daemon/lockfile.js';

// Who holds a row: worker ids are name@host:pid#slot (queues/worker.ts). One rule for whether the
// holder still lives, used by `queue release`/`dedupe`, the workers list, doctor and triage.

export interface Holder {
  alive: boolean;
  reason: string;
}

export function parseWorker(worker: string | null): { name: string; host: string; pid: number } | null {
  const m = worker ? /^(.*)@(.+):(\d+)(?:#\d+)?$/.exec(worker) : null;
  return m ? { name: m[1], host: m[2], pid: Number(m[3]) } : null;
}

/**
 * A holder is dead when it runs on this host and its pid is gone (known at once), or when the row
 * has not been heartbeated for dead_worker_seconds (another host, or a hung process).
 */
export function holderState(
  item: { worker: string | null; heartbeat_at: Date | null },
  deadSeconds: number,
  now = Date.now(),
  host = os.hostname(),
  alive: (pid: number) => boolean = pidAlive,
): Holder {
  const w = parseWorker(item.worker);
  if (w && w.host === host && !alive(w.pid))
    return { alive: false, reason: `process ${w.pid} on this host is gone` };
  if (!item.heartbeat_at) return { alive: false, reason: 'never heartbeated' };
  const silent = (now - new Date(item.heartbeat_at).getTime()) / 1000;
  if (silent > deadSeconds) return { alive: false, reason: `no heartbeat for ${Math.round(silent)} s` };
  return { alive: true, reason: `heartbeat ${Math.round(silent)} s ago` };
}
