import os from 'node:os';
import { pidAlive } from '../daemon/lockfile.js';
import { withTransaction, type Db, type Queryable } from '../db/pool.js';
import type { QueueTable } from './tables.js';

// Operator statements on the queue tables (`fitsstore queue list|errors|retry|release|dedupe|purge`,
// triage, check, doctor). Same rules as engine.ts: table and column names only from the fixed
// descriptors, every value a parameter. Each mutating verb is "plan, then apply the plan inside a
// transaction that locked the rows first", so --dry-run shows exactly what the real run would do.

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

const STATE_SQL: Record<QueueState, string> = {
  pending: 'NOT t.in_progress AND NOT t.failed AND (t.after IS NULL OR t.after <= now())',
  deferred: 'NOT t.in_progress AND NOT t.failed AND t.after > now()',
  in_progress: 't.in_progress',
  failed: 't.failed',
};
const STATE_EXPR = `CASE WHEN t.failed THEN 'failed' WHEN t.in_progress THEN 'in_progress'
  WHEN t.after > now() THEN 'deferred' ELSE 'pending' END`;

/** Appends the filter's conditions on alias t; values are pushed onto `values`. */
function filterSql(f: QueueFilter, values: unknown[], timeColumn = 't.added'): string {
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

const keyMatch = (q: QueueTable, a: string, b: string) =>
  q.key.map((k) => `${a}.${k} = ${b}.${k}`).join(' AND ');
const keyText = (q: QueueTable, a: string) =>
  q.key.map((k) => `coalesce(${a}.${k}::text, '')`).join(` || ' ' || `);

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

const ITEM_COLUMNS = (q: QueueTable) => `'${q.name}' AS queue, t.id, ${keyText(q, 't')} AS key, t.filename,
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
    `SELECT ${ITEM_COLUMNS(q)} FROM ${q.table} t WHERE ${where} ORDER BY t.added DESC, t.id DESC LIMIT $${values.length}`,
    values,
  );
  return r.rows;
}

/** Every row of one queue for any of these exact file names (triage). */
export async function itemsForFilenames(db: Queryable, q: QueueTable, names: string[]): Promise<QueueItem[]> {
  const r = await db.query(
    `SELECT ${ITEM_COLUMNS(q)} FROM ${q.table} t WHERE t.filename = ANY($1::text[]) ORDER BY t.added DESC, t.id DESC`,
    [names],
  );
  return r.rows;
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

// ---------------------------------------------------------------------------------------------
// Who holds a row: worker ids are name@host:pid#slot (queues/worker.ts).

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
  item: Pick<QueueItem, 'worker' | 'heartbeat_at'>,
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

// ---------------------------------------------------------------------------------------------
// Mutating verbs.

export type Action = 'delete' | 'unfail' | 'release' | 'refuse';
export interface PlannedItem extends QueueItem {
  action: Action;
  reason: string;
}

export interface VerbOptions {
  dryRun?: boolean;
  /** release/dedupe: act on rows of workers that still look alive. */
  force?: boolean;
  deadSeconds?: number;
  /** purge: failed rows added more than this many days ago. */
  olderThanDays?: number;
  /** Tests: liveness of pids on this host. */
  pidAlive?: (pid: number) => boolean;
}

export interface VerbResult {
  plan: PlannedItem[];
  /** Counts of what was done (all zero on a dry run). */
  done: { deleted: number; unfailed: number; released: number };
  refused: number;
}

export type Verb = 'retry' | 'release' | 'dedupe' | 'purge';

/** Rows each verb may touch: the lock taken before planning covers exactly these. */
const VERB_STATE: Record<Verb, string> = {
  retry: 't.failed',
  release: 't.in_progress',
  dedupe: '(t.failed OR t.in_progress)',
  purge: 't.failed',
};

async function plan(
  db: Queryable,
  q: QueueTable,
  verb: Verb,
  f: QueueFilter,
  o: VerbOptions,
): Promise<PlannedItem[]> {
  const values: unknown[] = [];
  const where = `${VERB_STATE[verb]} AND ${filterSql(f, values)}`;
  let extra = '';
  if (verb === 'purge') {
    values.push(o.olderThanDays ?? 30);
    extra = ` AND t.added < now() - make_interval(days => $${values.length}::int)`;
  }
  const r = await db.query(
    `SELECT ${ITEM_COLUMNS(q)},
       EXISTS (SELECT 1 FROM ${q.table} p WHERE NOT p.in_progress AND NOT p.failed AND ${keyMatch(q, 'p', 't')}) AS has_pending,
       EXISTS (SELECT 1 FROM ${q.table} n WHERE n.failed AND n.id > t.id AND ${keyMatch(q, 'n', 't')}) AS newer_failed,
       EXISTS (SELECT 1 FROM ${q.table} e WHERE e.in_progress AND e.id < t.id AND ${keyMatch(q, 'e', 't')}) AS older_in_progress
     FROM ${q.table} t WHERE ${where}${extra} ORDER BY t.id`,
    values,
  );
  const dead = o.deadSeconds ?? 30;
  const out: PlannedItem[] = [];
  // retry: of several failed rows of one key, the newest selected one is retried.
  const newestSelected = new Map<string, number>();
  for (const row of r.rows) newestSelected.set(row.key, Math.max(row.id, newestSelected.get(row.key) ?? 0));
  for (const row of r.rows) {
    const { has_pending, newer_failed, older_in_progress, ...item } = row;
    const decide = (action: Action, reason: string) => out.push({ ...item, action, reason });
    const holder = () => holderState(item, dead, Date.now(), os.hostname(), o.pidAlive);
    if (verb === 'retry') {
      // Un-failing next to a pending row would break the one-pending-row-per-key index: the
      // pending row already covers the file, so the failed one is simply dropped.
      if (has_pending) decide('delete', 'a pending row for the same key exists');
      else if (newestSelected.get(item.key) !== item.id)
        decide('delete', 'a newer failed row for the same key is retried instead');
      else decide('unfail', 'failed → pending');
    } else if (verb === 'purge') {
      decide('delete', `failed, added more than ${o.olderThanDays ?? 30} days ago`);
    } else if (verb === 'release') {
      const h = holder();
      if (!h.alive) decide('release', h.reason);
      else if (o.force) decide('release', `--force (holder looks alive: ${h.reason})`);
      else decide('refuse', `holder looks alive: ${h.reason}`);
    } else {
      // dedupe: the runbook's "stuck entry next to a clean one". A live in-progress row next to a
      // pending one is normal (re-added while being processed) and is left alone.
      if (item.state === 'failed') {
        if (has_pending) decide('delete', 'stuck failed duplicate of a pending row');
        else if (newer_failed) decide('delete', 'older failed duplicate of a newer failed row');
        continue;
      }
      const h = holder();
      const duplicate = has_pending || older_in_progress;
      if (!duplicate) continue;
      const why = has_pending
        ? 'a pending row for the same key exists'
        : 'another in-progress row for the same key';
      if (!h.alive) decide('delete', `stuck in progress (${h.reason}); ${why}`);
      else if (o.force) decide('delete', `--force (holder looks alive: ${h.reason}); ${why}`);
      else decide('refuse', `holder looks alive (${h.reason}); ${why}`);
    }
  }
  return out;
}

/**
 * Plans a verb and, unless dryRun, applies it in one transaction: the candidate rows are locked
 * first, the plan is recomputed under the lock, and every write re-checks the state it planned on.
 * A unique violation (a pending row appeared meanwhile) retries the whole transaction.
 */
export async function runVerb(
  db: Db,
  q: QueueTable,
  verb: Verb,
  f: QueueFilter,
  o: VerbOptions = {},
): Promise<VerbResult> {
  if (o.dryRun) {
    const p = await plan(db, q, verb, f, o);
    return {
      plan: p,
      done: { deleted: 0, unfailed: 0, released: 0 },
      refused: p.filter((x) => x.action === 'refuse').length,
    };
  }
  for (let attempt = 1; ; attempt++) {
    try {
      return await withTransaction(db, async (c) => {
        const values: unknown[] = [];
        const where = `${VERB_STATE[verb]} AND ${filterSql(f, values)}`;
        await c.query(`SELECT t.id FROM ${q.table} t WHERE ${where} ORDER BY t.id FOR UPDATE`, values);
        const p = await plan(c, q, verb, f, o);
        const done = await apply(c, q, p);
        return { plan: p, done, refused: p.filter((x) => x.action === 'refuse').length };
      });
    } catch (e) {
      if ((e as { code?: string }).code === '23505' && attempt < 3) continue;
      throw e;
    }
  }
}

async function apply(c: Queryable, q: QueueTable, p: PlannedItem[]) {
  const pick = (a: Action) => p.filter((x) => x.action === a);
  const del = pick('delete');
  let deleted = 0;
  if (del.length) {
    const r = await c.query(
      `DELETE FROM ${q.table} t USING unnest($1::bigint[], $2::text[], $3::boolean[]) AS x(id, worker, failed)
       WHERE t.id = x.id AND t.worker IS NOT DISTINCT FROM x.worker AND t.failed = x.failed`,
      [del.map((x) => x.id), del.map((x) => x.worker), del.map((x) => x.state === 'failed')],
    );
    deleted = r.rowCount ?? 0;
  }
  let unfailed = 0;
  const un = pick('unfail');
  if (un.length) {
    const r = await c.query(
      // operator_retry: the operator's retry means now, past any back-off a worker holds.
      `UPDATE ${q.table} SET failed = false, in_progress = false, worker = NULL, heartbeat_at = NULL, after = NULL,
         attempts = 0, error = NULL, operator_retry = true
       WHERE id = ANY($1::bigint[]) AND failed`,
      [un.map((x) => x.id)],
    );
    unfailed = r.rowCount ?? 0;
  }
  const rel = pick('release');
  const released = rel.length ? await releaseHeld(c, q, rel) : 0;
  if (unfailed + released > 0) await c.query('SELECT pg_notify($1, $2)', [q.channel, 'operator']);
  return { deleted, unfailed, released };
}

/**
 * Returns in-progress rows to the queue, guarded by the holder we judged dead (a row released by
 * its worker and re-claimed by a live one meanwhile is left alone). When the key already has a
 * pending row, or a second in-progress row of the key is returned too, the extra row is dropped so
 * the one-pending-row-per-key index holds.
 */
async function releaseHeld(c: Queryable, q: QueueTable, rows: PlannedItem[]): Promise<number> {
  const r = await c.query(
    `WITH mine AS (
       SELECT t.* FROM ${q.table} t JOIN unnest($1::bigint[], $2::text[]) AS x(id, worker)
         ON t.id = x.id AND t.worker IS NOT DISTINCT FROM x.worker
       WHERE t.in_progress),
     covered AS (
       DELETE FROM ${q.table} t USING mine
       WHERE t.id = mine.id AND (
         EXISTS (SELECT 1 FROM ${q.table} p WHERE NOT p.in_progress AND NOT p.failed AND ${keyMatch(q, 'p', 'mine')})
         OR EXISTS (SELECT 1 FROM mine m2 WHERE m2.id < mine.id AND ${keyMatch(q, 'm2', 'mine')}))
       RETURNING t.id),
     back AS (
       UPDATE ${q.table} t SET in_progress = false, worker = NULL, heartbeat_at = NULL, after = NULL
       FROM mine WHERE t.id = mine.id AND t.id NOT IN (SELECT id FROM covered)
       RETURNING t.id)
     SELECT (SELECT count(*) FROM covered) + (SELECT count(*) FROM back) AS n`,
    [rows.map((x) => x.id), rows.map((x) => x.worker)],
  );
  return Number(r.rows[0].n);
}

// ---------------------------------------------------------------------------------------------
// Read-only summaries for check and doctor.

/** Which of these (path, filename) keys have an ingest row waiting or in progress. */
export async function queuedIngestKeys(
  db: Queryable,
  q: QueueTable,
  keys: { path: string; filename: string }[],
) {
  if (!keys.length) return new Set<string>();
  const r = await db.query(
    `SELECT DISTINCT t.path, t.filename FROM ${q.table} t
     JOIN unnest($1::text[], $2::text[]) AS k(path, filename) ON t.path = k.path AND t.filename = k.filename
     WHERE NOT t.failed`,
    [keys.map((k) => k.path), keys.map((k) => k.filename)],
  );
  return new Set(r.rows.map((x) => `${x.path}\u0000${x.filename}`));
}

export interface QueueHealth {
  queue: string;
  pending: number;
  failed: number;
  oldest_pending: Date | null;
  in_progress: { id: number; worker: string | null; heartbeat_at: Date | null }[];
}

export async function queueHealth(db: Queryable, q: QueueTable): Promise<QueueHealth> {
  const r = await db.query(
    `SELECT count(*) FILTER (WHERE NOT t.in_progress AND NOT t.failed) AS pending,
            count(*) FILTER (WHERE t.failed) AS failed,
            min(t.added) FILTER (WHERE NOT t.in_progress AND NOT t.failed AND (t.after IS NULL OR t.after <= now()))
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
