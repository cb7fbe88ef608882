// Rules → one SQL statement that finds every calibration of a frame in a single round trip.
//
// Each rule becomes a nearest-in-time search written the way a B-tree can answer it: the newest
// candidates at or before the frame (index scan backwards from its time) UNION ALL the oldest
// after it (forwards), each stopping after `limit` matches, then the two short lists are merged by
// |Δt|. Ordering a whole window by abs(Δt) would read every calibration in it instead; the
// indexes of migration 003 are shaped exactly like these scans (instrument, type, ut_datetime),
// partial on the raw/processed/twilight kinds, so science frames never enter them.
//
// Parameters: the frame's header id, and the values the index scans start from (instrument,
// binning, time), so the planner sees them as constants (unnamed statements get custom plans). The frame's other values are read in the
// statement (the `t` row); everything else spliced into the text comes from the fixed rule tables,
// checked against closed lists below.

import { MATCH_COLUMNS, type CalKind, type CalRule, type Field, type Target } from './types.js';

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

/** Parameters numbered as they are first used: a statement never declares one it does not use. */
class Params {
  readonly values: unknown[] = [];
  private readonly seen = new Map<string, string>();
  ref(name: string, value: unknown, type: string): string {
    let ref = this.seen.get(name);
    if (!ref) {
      this.values.push(value);
      ref = `$${this.values.length}::${type}`;
      this.seen.set(name, ref);
    }
    return ref;
  }
}

/** Index key fields: compared with parameters, as plain equalities the index can use. */
function keyed(f: Field, target: Target, p: Params): string | null {
  if (f === 'instrument') return `h.instrument = ${p.ref('instrument', target.instrument, 'text')}`;
  if (f === 'detector_binning') {
    return target.detector_binning === null
      ? 'h.detector_binning IS NULL'
      : `h.detector_binning = ${p.ref('binning', target.detector_binning, 'text')}`;
  }
  return null;
}

function conditions(r: CalRule, target: Target, p: Params): string[] {
  const c = [kindSql(r.kind)];
  if ('raw' in r.kind && !(r.match.includes('instrument') && r.match.includes('detector_binning'))) {
    // The raw-calibration index leads with (instrument, observation_type, detector_binning).
    throw new Error(`calcache: raw ${r.caltype} rule must match instrument and detector_binning`);
  }
  for (const f of r.match) c.push(keyed(f, target, p) ?? `${fieldSql(f, 'h')} IS NOT DISTINCT FROM ${fieldSql(f, 't')}`);
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

function side(r: CalRule, target: Target, p: Params, before: boolean): string {
  const limit = Math.trunc(r.limit);
  if (!(limit >= 1)) throw new Error(`calcache: bad limit for ${r.caltype}`);
  const where = conditions(r, target, p);
  const days = r.maxDays === null ? null : Math.trunc(r.maxDays);
  const ut = p.ref('ut', target.ut_datetime, 'timestamptz');
  if (before) {
    where.push(`h.ut_datetime <= ${ut}`);
    if (days !== null) where.push(`h.ut_datetime >= ${ut} - interval '${days} days'`);
  } else {
    where.push(`h.ut_datetime > ${ut}`);
    if (days !== null) where.push(`h.ut_datetime <= ${ut} + interval '${days} days'`);
  }
  return `(SELECT h.id, abs(extract(epoch FROM h.ut_datetime - ${ut})) AS dt
      FROM t, header h JOIN diskfile df ON df.id = h.diskfile_id
      WHERE ${where.join('\n        AND ')}
      ORDER BY h.ut_datetime ${before ? 'DESC' : 'ASC'} LIMIT ${limit})`;
}

function ruleSql(r: CalRule, target: Target, p: Params): string {
  const sides = r.beforeOnly
    ? side(r, target, p, true)
    : `${side(r, target, p, true)}\n    UNION ALL\n    ${side(r, target, p, false)}`;
  return `(SELECT ${literal(r.caltype)}::text AS caltype, x.id, x.dt FROM (
    ${sides}
  ) x ORDER BY x.dt, x.id DESC LIMIT ${Math.trunc(r.limit)})`;
}

/**
 * The statement for a frame's rules; rows are (caltype, cal_hid, rank) with rank 1 the nearest in
 * time (ties: the newer header first).
 */
export function associationSql(rules: CalRule[], target: Target): { text: string; values: unknown[] } {
  if (rules.length === 0) throw new Error('calcache: no rules');
  if (!target.ut_datetime) throw new Error(`calcache: header ${target.id} has no ut_datetime`);
  const p = new Params();
  const id = p.ref('id', target.id, 'bigint');
  const parts = rules.map((r) => ruleSql(r, target, p));
  const text = `WITH t AS MATERIALIZED (SELECT * FROM header WHERE id = ${id}),
c AS (
  ${parts.join('\n  UNION ALL\n  ')}
)
SELECT c.caltype, c.id AS cal_hid,
       row_number() OVER (PARTITION BY c.caltype ORDER BY c.dt, c.id DESC)::integer AS rank
FROM c ORDER BY c.caltype, rank`;
  return { text, values: p.values };
}
