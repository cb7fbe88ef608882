// Calibration association: the rules that apply to a frame, the calibrations they find (one
// statement), and the calcache rows of the frame replaced in one transaction.

import type { Db, Queryable } from '../db/pool.js';
import { withTransaction } from '../db/pool.js';
import { gmosRules } from './gmos.js';
import { f2Rules, gnirsRules, gsaoiRules, niriRules } from './nir.js';
import { associationSql } from './sql.js';
import type { CalRule, InstrumentRules, Target } from './types.js';

export type { CalRule, Target } from './types.js';

export const INSTRUMENT_RULES: readonly InstrumentRules[] = [gmosRules, niriRules, f2Rules, gnirsRules, gsaoiRules];

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

export async function loadTarget(db: Queryable, headerId: number): Promise<Target | null> {
  const r = await db.query(
    `SELECT id, instrument, ut_datetime, observation_type, observation_class, object, spectroscopy, reduction,
            focal_plane_mask, detector_roi_setting, detector_binning, central_wavelength, types
     FROM header WHERE id = $1::bigint`,
    [headerId],
  );
  return (r.rows[0] as Target) ?? null;
}

/** The calibrations of a frame, best first within each type, optionally restricted to some types. */
export async function associate(db: Queryable, target: Target, caltypes?: readonly string[]): Promise<Association[]> {
  let rules = rulesFor(target);
  if (caltypes) rules = rules.filter((r) => caltypes.includes(r.caltype));
  if (rules.length === 0) return [];
  const q = associationSql(rules, target);
  const r = await db.query(q.text, q.values);
  return r.rows as Association[];
}

export interface CalcacheResult {
  headerId: number;
  found: boolean;
  associations: number;
}

/** Recomputes a frame's calcache rows: old rows out and new rows in, in one transaction. */
export async function updateCalcache(db: Db, headerId: number): Promise<CalcacheResult> {
  return withTransaction(db, async (c) => {
    // No lock needed: the queue never hands the same obs_hid to two workers at once.
    const target = await loadTarget(c, headerId);
    if (!target) return { headerId, found: false, associations: 0 };
    const rows = await associate(c, target);
    await c.query('DELETE FROM calcache WHERE obs_hid = $1::bigint', [headerId]);
    if (rows.length) {
      await c.query(
        `INSERT INTO calcache (obs_hid, cal_hid, caltype, rank)
         SELECT $1::bigint, * FROM unnest($2::bigint[], $3::text[], $4::integer[])`,
        [headerId, rows.map((x) => x.cal_hid), rows.map((x) => x.caltype), rows.map((x) => x.rank)],
      );
    }
    return { headerId, found: true, associations: rows.length };
  });
}
