// Rules → one SQL statement that finds every calibration of a frame in a single round trip.
//
// Each rule becomes a nearest-in-time search written the way a B-tree can answer it: the newest
// candidates at or before the frame (index scan backwards from its time) UNION ALL the oldest
// after it (forwards), each stopping after `limit` matches, then the two short lists are merged by
// |Δt|. Ordering a whole window by abs(Δt) would read every calibration in it instead; the
// indexes of migration 003 are shaped exactly like these scans (instrument, type, ut_datetime),
// partial on the raw/processed/twilight kinds, so science frames never enter them.
//
// The only input is the frame's header id ($1); the frame's own values are read in the statement
// (the `t` row), and everything else spliced into the text comes from the fixed rule tables,
// checked against closed lists below.

import { MATCH_COLUMNS, type CalKind, type CalRule, type Field } from './types.js';

const IDENT = new Set<string>(MATCH_COLUMNS);
const KEYWORD = /^[A-Z0-9_-]{1,8}$/;
const KIND_VALUE = /^[A-Z_]{1,20}$/;

/** Kinds of processed calibration the processed-calibration index covers (migration 003). */
export const PROCESSED_KINDS = ['BIAS', 'DARK', 'FLAT', 'ARC', 'BPM', 'FRINGE', 'SLITILLUM', 'STANDARD'] as const;

function column(name: string): string {
  if (!IDENT.has(name)) throw new Error(`calcache: not a matchable column: ${name}`);
  return name;
}

function fieldSql(f: Field, alias: string): string {
  if (typeof f === 'string') return `${alias}.${column(f)}`;
  if (!KEYWORD.test(f.keyword)) throw new Error(`calcache: bad keyword ${JSON.stringify(f.keyword)}`);
  return `(${alias}.keywords->>'${f.keyword}')`;
}

function literal(v: string | number | boolean): string {
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  if (typeof v === 'number') {
    if (!Number.isFinite(v)) throw new Error(`calcache: bad number ${v}`);
    return String(v);
  }
  return `'${v.replace(/'/g, "''")}'`;
}

function kindSql(k: CalKind): string {
  const check = (v: string) => {
    if (!KIND_VALUE.test(v)) throw new Error(`calcache: bad kind ${v}`);
    return v;
  };
  if ('raw' in k) return `h.reduction = 'RAW' AND h.observation_type = '${check(k.raw)}'`;
  if ('processed' in k) return `h.reduction = 'PROCESSED_${check(k.processed)}'`;
  return `h.reduction = 'RAW' AND h.observation_type = 'OBJECT' AND h.object = 'Twilight'`;
}

function conditions(r: CalRule): string[] {
  const c = [kindSql(r.kind)];
  for (const f of r.match) {
    // instrument leads every calibration index: plain equality so the index can use it.
    c.push(f === 'instrument' ? 'h.instrument = t.instrument' : `${fieldSql(f, 'h')} IS NOT DISTINCT FROM ${fieldSql(f, 't')}`);
  }
  for (const [col, tol] of r.within ?? []) {
    const name = column(col);
    // A hair above the tolerance: 0.651 - 0.650 is 0.0010000000000000009 in binary floating point.
    c.push(`(t.${name} IS NULL OR abs(h.${name} - t.${name}) <= ${literal(tol + 1e-9)})`);
  }
  for (const [col, v] of r.fixed ?? []) c.push(`h.${column(col)} = ${literal(v)}`);
  c.push('df.canonical', `h.qa_state IS DISTINCT FROM 'Fail'`, 'h.id <> t.id');
  // Engineering calibrations only for engineering frames.
  c.push('(t.engineering OR h.engineering IS NOT TRUE)');
  return c;
}

function side(r: CalRule, before: boolean): string {
  const limit = Math.trunc(r.limit);
  if (!(limit >= 1)) throw new Error(`calcache: bad limit for ${r.caltype}`);
  const where = conditions(r);
  if (before) {
    where.push('h.ut_datetime <= t.ut_datetime');
    if (r.maxDays !== null) where.push(`h.ut_datetime >= t.ut_datetime - make_interval(days => ${Math.trunc(r.maxDays)})`);
  } else {
    where.push('h.ut_datetime > t.ut_datetime');
    if (r.maxDays !== null) where.push(`h.ut_datetime <= t.ut_datetime + make_interval(days => ${Math.trunc(r.maxDays)})`);
  }
  return `(SELECT h.id, abs(extract(epoch FROM h.ut_datetime - t.ut_datetime)) AS dt
      FROM t, header h JOIN diskfile df ON df.id = h.diskfile_id
      WHERE ${where.join('\n        AND ')}
      ORDER BY h.ut_datetime ${before ? 'DESC' : 'ASC'} LIMIT ${limit})`;
}

function ruleSql(r: CalRule): string {
  const sides = r.beforeOnly ? side(r, true) : `${side(r, true)}\n    UNION ALL\n    ${side(r, false)}`;
  return `(SELECT ${literal(r.caltype)}::text AS caltype, x.id, x.dt FROM (
    ${sides}
  ) x ORDER BY x.dt, x.id DESC LIMIT ${Math.trunc(r.limit)})`;
}

/**
 * The statement for a frame's rules: parameter $1 is the frame's header id; rows are
 * (caltype, cal_hid, rank) with rank 1 the nearest in time (ties: the newer header first).
 */
export function associationSql(rules: CalRule[]): string {
  if (rules.length === 0) throw new Error('calcache: no rules');
  return `WITH t AS MATERIALIZED (SELECT * FROM header WHERE id = $1::bigint AND ut_datetime IS NOT NULL),
c AS (
  ${rules.map(ruleSql).join('\n  UNION ALL\n  ')}
)
SELECT c.caltype, c.id AS cal_hid,
       row_number() OVER (PARTITION BY c.caltype ORDER BY c.dt, c.id DESC)::integer AS rank
FROM c ORDER BY c.caltype, rank`;
}
