import { withTransaction, type Db, type Queryable } from '../db/pool.js';
import { decideDedupe, decidePurge } from './dedupe-purge.js';
import { filterSql, itemColumns, type QueueFilter, type QueueItem } from './items.js';
import { returnToPending } from './release.js';
import { decideRelease, decideRetry } from './retry-release.js';
import { keyMatch, pending } from './sql.js';
import type { QueueTable } from './tables.js';

// The operator's mutating verbs (`fitsstore queue retry|release|dedupe|purge`). Each is "plan,
// then apply the plan inside a transaction that locked the rows first", so --dry-run shows
// exactly what the real run would do. What each verb decides per row lives in retry-release.ts
// and dedupe-purge.ts; this file selects, locks and writes.

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

/** A candidate row with what its neighbours of the same key are doing. */
export interface Candidate extends QueueItem {
  has_pending: boolean;
  newer_failed: boolean;
  older_in_progress: boolean;
}

/** Decides the candidates' fate: pushes one PlannedItem per row it acts on (or refuses). */
export type Decide = (rows: Candidate[], o: VerbOptions, out: PlannedItem[]) => void;

const DECIDE: Record<Verb, Decide> = {
  retry: decideRetry,
  release: decideRelease,
  dedupe: decideDedupe,
  purge: decidePurge,
};

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
    `SELECT ${itemColumns(q)},
       EXISTS (SELECT 1 FROM ${q.table} p WHERE ${pending('p')} AND ${keyMatch(q, 'p', 't')}) AS has_pending,
       EXISTS (SELECT 1 FROM ${q.table} n WHERE n.failed AND n.id > t.id AND ${keyMatch(q, 'n', 't')}) AS newer_failed,
       EXISTS (SELECT 1 FROM ${q.table} e WHERE e.in_progress AND e.id < t.id AND ${keyMatch(q, 'e', 't')}) AS older_in_progress
     FROM ${q.table} t WHERE ${where}${extra} ORDER BY t.id`,
    values,
  );
  const out: PlannedItem[] = [];
  DECIDE[verb](r.rows, o, out);
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
  // Guarded by the holder we judged dead: a row released by its worker and re-claimed by a live
  // one meanwhile is left alone.
  const released = rel.length
    ? await returnToPending(
        c,
        q,
        `EXISTS (SELECT 1 FROM unnest($1::bigint[], $2::text[]) AS x(id, worker)
                 WHERE x.id = t.id AND x.worker IS NOT DISTINCT FROM t.worker)`,
        [rel.map((x) => x.id), rel.map((x) => x.worker)],
        { wake: null },
      )
    : 0;
  if (unfailed + released > 0) await c.query('SELECT pg_notify($1, $2)', [q.channel, 'operator']);
  return { deleted, unfailed, released };
}
