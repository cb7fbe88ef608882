// Calibration association: the rules that apply to a frame, the calibrations they find (one
// statement), and the calcache rows of the frame replaced (one statement, atomic).

import { createHash } from 'node:crypto';
import type { Queryable } from '../db/pool.js';
import { gmosRules } from './gmos.js';
import { f2Rules, gnirsRules, gsaoiRules, niriRules } from './nir.js';
import { associationSql, replaceCalcacheSql, ruleKeywords } from './sql.js';
import { MATCH_COLUMNS, type CalRule, type InstrumentRules, type Target } from './types.js';

export type { CalRule, Target } from './types.js';

const INSTRUMENT_RULES: readonly InstrumentRules[] = [gmosRules, niriRules, f2Rules, gnirsRules, gsaoiRules];

const BY_INSTRUMENT = new Map<string, InstrumentRules>();
for (const r of INSTRUMENT_RULES) for (const name of r.instruments) BY_INSTRUMENT.set(name, r);

/** Reductions that need calibrations: raw and prepared frames; processed products need none. */
const CALIBRATABLE = new Set(['RAW', 'PREPARED']);

/** The rules for a frame: empty for unknown instruments, processed data and frames without a time. */
export function rulesFor(t: Target): CalRule[] {
  const inst = t.instrument ? BY_INSTRUMENT.get(t.instrument) : undefined;
  if (!inst || !t.ut_datetime || !CALIBRATABLE.has(t.reduction ?? 'RAW')) return [];
  return inst.rulesFor(t);
}

export interface Association {
  caltype: string;
  cal_hid: number;
  rank: number;
}

/** Primary-header keywords any rule compares; loadTarget reads their text with the frame. */
export const RULE_KEYWORDS = ['DETTYPE', 'LNRS', 'NDAVGS'];

/** The columns a Target holds, for SELECT lists over header `h`. */
export const TARGET_COLUMNS = [
  ...new Set([
    'id',
    'ut_datetime',
    'observation_type',
    'reduction',
    'types',
    'engineering',
    ...MATCH_COLUMNS,
  ]),
]
  .map((c) => `h.${c}`)
  .join(', ');

/** The keyword texts of a Target, as SQL over header `h` with the keyword list as parameter $n. */
export function keywordTextSql(n: number): string {
  return `(SELECT jsonb_object_agg(k, h.keywords->>k) FROM unnest($${n}::text[]) k) AS "keywordText"`;
}

export async function loadTarget(db: Queryable, headerId: number): Promise<Target | null> {
  const r = await db.query(
    `SELECT ${TARGET_COLUMNS}, ${keywordTextSql(2)} FROM header h WHERE h.id = $1::bigint`,
    [headerId, RULE_KEYWORDS],
  );
  return (r.rows[0] as Target) ?? null;
}

/** A named statement per distinct text: planned once per connection, not per frame (planning a
 * dozen-branch UNION took longer than running it). */
function prepared(q: { text: string; values: unknown[] }) {
  return { name: `calcache_${createHash('sha1').update(q.text).digest('hex').slice(0, 20)}`, ...q };
}

function checkedRules(target: Target, caltypes?: readonly string[]): CalRule[] {
  let rules = rulesFor(target);
  if (caltypes) rules = rules.filter((r) => caltypes.includes(r.caltype));
  const missing = ruleKeywords(rules).filter((k) => !RULE_KEYWORDS.includes(k));
  if (missing.length) throw new Error(`calcache: rules compare ${missing.join(', ')}: add to RULE_KEYWORDS`);
  return rules;
}

/** The calibrations of a frame, best first within each type, optionally restricted to some types. */
export async function associate(
  db: Queryable,
  target: Target,
  caltypes?: readonly string[],
): Promise<Association[]> {
  return associateWith(db, target, checkedRules(target, caltypes));
}

/** The calibrations the given rules find for a frame, best first within each type. */
export async function associateWith(
  db: Queryable,
  target: Target,
  rules: readonly CalRule[],
): Promise<Association[]> {
  if (rules.length === 0) return [];
  const r = await db.query(prepared(associationSql([...rules], target)));
  return r.rows as Association[];
}

export interface CalcacheResult {
  headerId: number;
  found: boolean;
  associations: number;
}

/** Recomputes a frame's calcache rows: old rows out and new rows in, atomically (one statement). */
export async function updateCalcache(db: Queryable, headerId: number): Promise<CalcacheResult> {
  const target = await loadTarget(db, headerId);
  if (!target) return { headerId, found: false, associations: 0 };
  const rules = checkedRules(target);
  if (rules.length === 0) {
    await db.query('DELETE FROM calcache WHERE obs_hid = $1::bigint', [headerId]);
    return { headerId, found: true, associations: 0 };
  }
  const r = await db.query(prepared(replaceCalcacheSql(rules, target)));
  return { headerId, found: true, associations: r.rowCount ?? 0 };
}
