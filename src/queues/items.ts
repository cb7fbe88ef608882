import type { Queryable } from '../db/pool.js';
import { claimable, deferred, keyMatch, keyOf, keyText, keyValues } from './sql.js';
import type { QueueTable } from './tables.js';

// Reading queue rows and their errors (`fitsstore queue list|errors`, triage, check, uploads).
// Same rules as engine.ts: table and column names only from the fixed descriptors, every value a
// parameter.

export type QueueState = 'pending' | 'deferred' | 'in_progress' | 'failed';
export const QUEUE_STATES: readonly QueueState[] = ['pending', 'deferred', 'in_progress', 'failed'];

export interface QueueFilter {
  status?: QueueState;
  /** A PostgreSQL (POSIX) regular expression matched against filename. */
  filename?: string;
  since?: Date;
  until?: Date;
  /** Rows held by this worker process (name@host:pid, any slot). */
  worker?: string;
}

/** The operator's states: "pending" here is the claimable part; deferred rows are listed apart. */
const STATE_SQL: Record<QueueState, string> = {
  pending: claimable('t'),
  deferred: deferred('t'),
  in_progress: 't.in_progress',
  failed: 't.failed',
};
const STATE_EXPR = `CASE WHEN t.failed THEN 'failed' WHEN t.in_progress THEN 'in_progress'
  WHEN ${deferred('t')} THEN 'deferred' ELSE 'pending' END`;

/** The filter's conditions on alias t; values are pushed onto `values`. */
export function filterSql(f: QueueFilter, values: unknown[], timeColumn = 't.added'): string {
  const parts: string[] = [];
  if (f.status) parts.push(STATE_SQL[f.status]);
  if (f.filename) {
    values.push(f.filename);
    parts.push(`t.filename ~ $${values.length}::text`);
  }
  if (f.since) {
    values.push(f.since);
    parts.push(`${timeColumn} >= $${values.length}::timestamptz`);
  }
  if (f.until) {
    values.push(f.until);
    parts.push(`${timeColumn} < $${values.length}::timestamptz`);
  }
  if (f.worker) {
    values.push(f.worker);
    parts.push(`split_part(t.worker, '#', 1) = $${values.length}::text`);
  }
  return parts.length ? parts.join(' AND ') : 'true';
}

export interface QueueItem {
  queue: string;
  id: number;
  key: string;
  filename: string | null;
  path: string | null;
  state: QueueState;
  added: Date;
  after: Date | null;
  attempts: number;
  worker: string | null;
  heartbeat_at: Date | null;
  error: string | null;
  destination?: string;
}

/** The select list of a QueueItem on alias t. */
export const itemColumns = (
  q: QueueTable,
) => `'${q.name}' AS queue, t.id, ${keyText(q, 't')} AS key, t.filename,
  ${'path' in q.columns ? 't.path' : 'NULL::text'} AS path, ${STATE_EXPR} AS state, t.added, t.after, t.attempts,
  t.worker, t.heartbeat_at, t.error${'destination' in q.columns ? ', t.destination' : ''}`;

/** Rows of one queue, newest first. */
export async function listItems(
  db: Queryable,
  q: QueueTable,
  f: QueueFilter,
  limit = 1000,
): Promise<QueueItem[]> {
  const values: unknown[] = [];
  const where = filterSql(f, values);
  values.push(limit);
  const r = await db.query(
    `SELECT ${itemColumns(q)} FROM ${q.table} t WHERE ${where} ORDER BY t.added DESC, t.id DESC LIMIT $${values.length}`,
    values,
  );
  return r.rows;
}

/** Every row of one queue for any of these exact file names (triage). */
export async function itemsForFilenames(db: Queryable, q: QueueTable, names: string[]): Promise<QueueItem[]> {
  const r = await db.query(
    `SELECT ${itemColumns(q)} FROM ${q.table} t WHERE t.filename = ANY($1::text[]) ORDER BY t.added DESC, t.id DESC`,
    [names],
  );
  return r.rows;
}

/**
 * Which of these keys have a row in the queue, as keyOf strings: waiting or in progress, and with
 * `withFailed` failed ones too (a file whose ingest failed is not queued again at every start).
 */
export async function keysInQueue(
  db: Queryable,
  q: QueueTable,
  keys: Record<string, unknown>[],
  o: { withFailed?: boolean } = {},
): Promise<Set<string>> {
  if (!keys.length) return new Set<string>();
  const r = await db.query(
    `SELECT DISTINCT ${q.key.map((k) => `t.${k}`).join(', ')} FROM ${q.table} t
     JOIN unnest(${q.key.map((k, i) => `$${i + 1}::${q.columns[k]}[]`).join(', ')}) AS k(${q.key.join(', ')})
       ON ${keyMatch(q, 't', 'k')}
     WHERE ${o.withFailed ? 'true' : 'NOT t.failed'}`,
    q.key.map((_, i) => keys.map((x) => keyValues(q, x)[i])),
  );
  return new Set(r.rows.map((x) => keyOf(q, x)));
}

/** The newest waiting or in-progress row of one key (an upload notes which row it queued). */
export async function latestLiveId(
  db: Queryable,
  q: QueueTable,
  key: Record<string, unknown>,
): Promise<number | null> {
  const r = await db.query(
    `SELECT t.id FROM ${q.table} t WHERE ${keyMatch(q, 't', { param: 1 })} AND NOT t.failed ORDER BY t.id DESC LIMIT 1`,
    keyValues(q, key),
  );
  return r.rows[0]?.id ?? null;
}

export interface QueueErrorRow {
  id: number;
  queue: string;
  filename: string | null;
  path: string | null;
  added: Date;
  error: string;
}

/** queue_error rows, newest first; the status filter does not apply (errors have no state). */
export async function listErrors(
  db: Queryable,
  queues: QueueTable[],
  f: QueueFilter,
  limit = 100,
): Promise<QueueErrorRow[]> {
  const values: unknown[] = [queues.map((q) => q.errorName)];
  const where = filterSql({ ...f, status: undefined }, values);
  values.push(limit);
  const r = await db.query(
    `SELECT t.id, t.queue, t.filename, t.path, t.added, t.error FROM queue_error t
     WHERE t.queue = ANY($1::text[]) AND ${where} ORDER BY t.added DESC, t.id DESC LIMIT $${values.length}`,
    values,
  );
  return r.rows;
}

export async function errorsForFilenames(
  db: Queryable,
  names: string[],
  limit = 5,
): Promise<QueueErrorRow[]> {
  const r = await db.query(
    `SELECT id, queue, filename, path, added, error FROM queue_error WHERE filename = ANY($1::text[])
     ORDER BY added DESC, id DESC LIMIT $2`,
    [names, limit],
  );
  return r.rows;
}
