import type { Queryable } from '../../db/pool.js';
import type { QueueCounts } from '../../queues/engine.js';
import { queueStatus, statusRows, type WorkerInfo } from '../../queues/status.js';
import { QUEUES, type QueueTable } from '../../queues/tables.js';

// What /queuestatus shows, as data (the page renders it, /queuestatus/json sends it for the
// self-refresh): per queue its counts, the first N waiting (in claim order), the latest N errors
// with their message and stack, what is in progress and by whom; and the workers.
// The rows come from queues/status.ts; this file only labels and trims them.

export interface QueueItem {
  id: number;
  label: string;
  added: string;
  /** Seconds since the item was added. */
  age: number;
  attempts: number;
  worker: string | null;
  /** Seconds since the worker last said it was still on it. */
  heartbeatAge: number | null;
  /** Deferred until (ISO), for waiting items that may not be claimed yet. */
  after: string | null;
  error?: string;
}

export interface QueueTab {
  name: string;
  title: string;
  counts: QueueCounts;
  waiting: QueueItem[];
  errors: QueueItem[];
  inProgress: QueueItem[];
}

export interface QueueStatusData {
  generated: string;
  limit: number;
  queues: QueueTab[];
  workers: (Omit<WorkerInfo, 'started_at' | 'heartbeat_at'> & { started_at: string; heartbeatAge: number })[];
}

const TITLES: Record<string, string> = {
  ingest: 'Ingest',
  export: 'Export',
  preview: 'Preview',
  calcache: 'Calibration cache',
};
/** Stacks can be long; the list shows the start, enough to triage (the full text is in queue_error). */
const MAX_ERROR_CHARS = 8000;

function label(q: QueueTable, r: Record<string, unknown>): string {
  switch (q.name) {
    case 'ingest':
      return r.path ? `${r.path}/${r.filename}` : String(r.filename);
    case 'export':
      return `${r.path ? `${r.path}/` : ''}${r.filename} → ${r.destination}`;
    case 'preview':
      return r.filename ? String(r.filename) : `diskfile ${r.diskfile_id}`;
    case 'calcache':
      return r.filename ? String(r.filename) : `header ${r.obs_hid}`;
  }
}

function item(q: QueueTable, r: Record<string, unknown>, withError = false): QueueItem {
  const iso = (d: unknown) => (d instanceof Date ? d.toISOString() : d == null ? null : String(d));
  const it: QueueItem = {
    id: Number(r.id),
    label: label(q, r),
    added: iso(r.added)!,
    age: Number(r.age_s),
    attempts: Number(r.attempts),
    worker: (r.worker as string | null) ?? null,
    heartbeatAge: r.hb_s === null || r.hb_s === undefined ? null : Number(r.hb_s),
    after: r.after && (r.after as Date) > new Date() ? iso(r.after) : null,
  };
  if (withError) {
    const e = String(r.error ?? '(no error text recorded)');
    it.error =
      e.length > MAX_ERROR_CHARS
        ? `${e.slice(0, MAX_ERROR_CHARS)}\n… (${e.length - MAX_ERROR_CHARS} more characters)`
        : e;
  }
  return it;
}

async function tab(db: Queryable, q: QueueTable, counts: QueueCounts, limit: number): Promise<QueueTab> {
  const rows = await statusRows(db, q, limit);
  return {
    name: q.name,
    title: TITLES[q.name] ?? q.name,
    counts,
    waiting: rows.waiting.map((r) => item(q, r)),
    errors: rows.failed.map((r) => item(q, r, true)),
    inProgress: rows.inProgress.map((r) => item(q, r)),
  };
}

export async function queueStatusData(db: Queryable, limit = 50): Promise<QueueStatusData> {
  const status = await queueStatus(db);
  const byName = new Map(status.queues.map((c) => [c.queue, c]));
  const queues = await Promise.all(Object.values(QUEUES).map((q) => tab(db, q, byName.get(q.name)!, limit)));
  const now = Date.now();
  return {
    generated: new Date().toISOString(),
    limit,
    queues,
    workers: status.workers.map((w) => ({
      ...w,
      started_at: new Date(w.started_at).toISOString(),
      heartbeatAge: (now - new Date(w.heartbeat_at).getTime()) / 1000,
    })),
  };
}
