// Rules → one SQL statement that finds every calibration of a frame in a single round trip.
//
// Each rule becomes a nearest-in-time search written the way a B-tree can answer it: the newest
// candidates at or before the frame (index scan backwards from its time) UNION ALL the oldest
// after it (forwards), each stopping after `limit` matches, then the two short lists are merged by
// |Δt|. Ordering a whole window by abs(Δt) would read every calibration in it instead.
//
// Every compared value is the frame's own, sent as a parameter: `h.col = $n` (or `h.col IS NULL`
// when the frame has none), tolerances as `h.col BETWEEN $lo AND $hi`. Plain comparisons are what
// lets the partial indexes of migration 003, keyed on exactly the columns each kind of rule
// matches, find only matching calibrations: a first version compared with the frame's row
// (`IS NOT DISTINCT FROM t.col`) and read ~1,500 heap pages per frame at 1,000,000 headers.
// Everything else in the text (columns, kinds, limits, days) comes from the fixed rule tables and
// is checked against closed lists below.

import {
  MATCH_COLUMNS,
  type CalKind,
  type CalRule,
  type Field,
  type MatchColumn,
  type Target,
} from './types.js';

const IDENT = new Set<string>(MATCH_COLUMNS);
const KEYWORD = /^[A-Z0-9_-]{1,8}$/;
const KIND_VALUE = /^[A-Z_]{1,20}$/;

const COLUMN_TYPES: Partial<Record<MatchColumn, string>> = {
  exposure_time: 'float8',
  central_wavelength: 'float8',
  elevation: 'float8',
  coadds: 'integer',
  spectroscopy: 'boolean',
};

/**
 * Columns each kind of raw rule must match, leading the kind's index in migration 003 (checked
 * when the SQL is built, so a rule edited out of step with its index fails loudly in tests).
 */
const INDEX_KEYS: Record<string, MatchColumn[]> = {
  BIAS: [
    'instrument',
    'detector_binning',
    'detector_roi_setting',
    'detector_gain_setting',
    'detector_readspeed_setting',
  ],
  FLAT: ['instrument', 'detector_binning', 'disperser', 'focal_plane_mask', 'filter_name'],
  ARC: ['instrument', 'detector_binning', 'disperser', 'focal_plane_mask', 'filter_name'],
  twilight: ['instrument', 'detector_binning', 'filter_name'],
};

function column(name: string): string {
  if (!IDENT.has(name)) throw new Error(`calcache: not a matchable column: ${name}`);
  return name;
}

function keyword(k: string): string {
  if (!KEYWORD.test(k)) throw new Error(`calcache: bad keyword ${JSON.stringify(k)}`);
  return k;
}

function literal(v: string | number | boolean): string {
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  if (typeof v === 'number') {
    if (!Number.isFinite(v)) throw new Error(`calcache: bad number ${v}`);
    return String(v);
  }
  return `'${v.replace(/'/g, "''")}'`;
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

function kindSql(k: CalKind): string {
  const check = (v: string) => {
    if (!KIND_VALUE.test(v)) throw new Error(`calcache: bad kind ${v}`);
    return v;
  };
  if ('raw' in k) return `h.reduction = 'RAW' AND h.observation_type = '${check(k.raw)}'`;
  if ('processed' in k) return `h.reduction = 'PROCESSED_${check(k.processed)}'`;
  if ('photometricStandard' in k) {
    return `h.reduction = 'RAW' AND h.observation_type = 'OBJECT' AND h.spectroscopy = false AND h.phot_standard`;
  }
  return `h.reduction = 'RAW' AND h.observation_type = 'OBJECT' AND h.object = 'Twilight'`;
}

function checkIndexKeys(r: CalRule): void {
  const kind = 'raw' in r.kind ? r.kind.raw : 'twilight' in r.kind ? 'twilight' : null;
  const keys = kind ? INDEX_KEYS[kind] : undefined;
  if (keys && !keys.every((k) => r.match.includes(k))) {
    throw new Error(`calcache: ${r.caltype} rule must match ${keys.join(', ')} (the columns of its index)`);
  }
  if (
    kind === 'DARK' &&
    !(r.match.includes('instrument') && r.within?.some(([c]) => c === 'exposure_time'))
  ) {
    throw new Error(
      `calcache: ${r.caltype} rule must match instrument and exposure_time (the columns of its index)`,
    );
  }
}

function matchSql(f: Field, target: Target, p: Params): string {
  if (typeof f === 'string') {
    const v = target[column(f) as MatchColumn];
    if (v === null || v === undefined) return `h.${f} IS NULL`;
    return `h.${f} = ${p.ref(f, v, COLUMN_TYPES[f] ?? 'text')}`;
  }
  const k = keyword(f.keyword);
  const v = target.keywordText?.[k];
  if (v === null || v === undefined) return `(h.keywords->>'${k}') IS NULL`;
  return `(h.keywords->>'${k}') = ${p.ref(`kw:${k}`, v, 'text')}`;
}

function conditions(r: CalRule, target: Target, p: Params): string[] {
  checkIndexKeys(r);
  const c = [kindSql(r.kind)];
  for (const f of r.match) c.push(matchSql(f, target, p));
  for (const [col, tol] of r.within ?? []) {
    const v = target[column(col) as MatchColumn];
    // No value on the frame: no constraint (as the archive does).
    if (typeof v !== 'number') continue;
    // A hair beyond the tolerance: 0.651 - 0.650 is 0.0010000000000000009 in binary floating point.
    const lo = p.ref(`${col}:lo`, v - tol - 1e-9, 'float8');
    const hi = p.ref(`${col}:hi`, v + tol + 1e-9, 'float8');
    c.push(`h.${col} BETWEEN ${lo} AND ${hi}`);
  }
  for (const [col, v] of r.fixed ?? []) c.push(`h.${column(col)} = ${literal(v)}`);
  c.push('df.canonical', `h.qa_state IS DISTINCT FROM 'Fail'`, `h.id <> ${p.ref('id', target.id, 'bigint')}`);
  // Engineering calibrations only for engineering frames.
  if (!target.engineering) c.push('h.engineering IS NOT TRUE');
  // A science-quality reduction takes only science-quality calibrations (the archive's rule).
  if (target.procmode === 'sq') c.push(`lower(btrim(h.keywords->>'PROCMODE')) = 'sq'`);
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
      FROM header h JOIN diskfile df ON df.id = h.diskfile_id
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
  const p = new Params();
  return { text: core(rules, target, p), values: p.values };
}

function core(rules: CalRule[], target: Target, p: Params): string {
  if (rules.length === 0) throw new Error('calcache: no rules');
  if (!target.ut_datetime) throw new Error(`calcache: header ${target.id} has no ut_datetime`);
  const parts = rules.map((r) => ruleSql(r, target, p));
  return `SELECT c.caltype, c.id AS cal_hid,
       row_number() OVER (PARTITION BY c.caltype ORDER BY c.dt, c.id DESC)::integer AS rank
FROM (
  ${parts.join('\n  UNION ALL\n  ')}
) c ORDER BY c.caltype, rank`;
}

/**
 * The frame's calcache rows replaced by what the rules find, in one statement (atomic by itself:
 * no transaction round trips). The DELETE and the INSERT see the same snapshot, so the new rows
 * never meet the old ones.
 */
export function replaceCalcacheSql(rules: CalRule[], target: Target): { text: string; values: unknown[] } {
  const p = new Params();
  const found = core(rules, target, p);
  const id = p.ref('id', target.id, 'bigint');
  const text = `WITH found AS (${found}),
gone AS (DELETE FROM calcache WHERE obs_hid = ${id})
INSERT INTO calcache (obs_hid, cal_hid, caltype, rank)
SELECT ${id}, cal_hid, caltype, rank FROM found`;
  return { text, values: p.values };
}

/** Primary-header keywords the rules compare: loadTarget reads their text values. */
export function ruleKeywords(rules: CalRule[]): string[] {
  const out = new Set<string>();
  for (const r of rules) for (const f of r.match) if (typeof f !== 'string') out.add(keyword(f.keyword));
  return [...out];
}
