// The calibration manager behind /calmgr, /jsoncalmgr and /associated_cals: the frames a selection
// names, and for each the calibrations that go with it, best first within each type. /calmgr
// associates live (like the archive: always current); /associated_cals reads the calcache table.

import type { Queryable } from '../db/pool.js';
import { selectionToSql, type CoordsScope, type Selection } from '../gemini/selection/index.js';
import {
  associate,
  associateWith,
  keywordTextSql,
  RULE_KEYWORDS,
  rulesFor,
  TARGET_COLUMNS,
  type Association,
  type CalRule,
  type Target,
} from './index.js';

export interface CalFile {
  caltype: string;
  rank: number;
  header_id: number;
  data_label: string | null;
  name: string;
  data_md5: string | null;
  present: boolean;
  ut_datetime: Date | null;
  instrument: string | null;
  observation_type: string | null;
}

export interface Dataset {
  header_id: number;
  data_label: string | null;
  name: string;
  data_md5: string | null;
  /** The calibration types looked for, in rule order (each reported even when none was found). */
  caltypes: string[];
  cals: CalFile[];
}

export interface ManagerOptions {
  /** Only this calibration type. */
  caltype?: string;
  /** Read the calcache table instead of associating now. */
  cached?: boolean;
  /** Most frames answered for (the archive's 1000). */
  limit?: number;
  /** The requester's view of proprietary metadata (a web request's; see selectionToSql). */
  coords?: CoordsScope;
}

type TargetRow = Target & { name: string; data_md5: string | null; data_label: string | null };

async function targets(
  db: Queryable,
  sel: Selection,
  limit: number,
  coords?: CoordsScope,
): Promise<TargetRow[]> {
  const { where, values } = selectionToSql(sel, { firstParam: 2, coords });
  const r = await db.query(
    `SELECT ${TARGET_COLUMNS}, ${keywordTextSql(1)}, h.data_label, f.name, df.data_md5
     FROM file f JOIN diskfile df ON df.file_id = f.id JOIN header h ON h.diskfile_id = df.id
     WHERE ${where} AND h.qa_state IS DISTINCT FROM 'Fail'
     ORDER BY h.ut_datetime DESC NULLS LAST, h.id DESC LIMIT ${Math.trunc(limit)}`,
    [RULE_KEYWORDS, ...values],
  );
  return r.rows as TargetRow[];
}

async function calFiles(
  db: Queryable,
  found: Array<Association & { obs_hid: number }>,
): Promise<Map<number, CalFile[]>> {
  const out = new Map<number, CalFile[]>();
  if (found.length === 0) return out;
  const r = await db.query(
    `SELECT h.id AS header_id, h.data_label, f.name, df.data_md5, df.present, h.ut_datetime, h.instrument, h.observation_type
     FROM header h JOIN diskfile df ON df.id = h.diskfile_id JOIN file f ON f.id = df.file_id
     WHERE h.id = ANY($1::bigint[])`,
    [[...new Set(found.map((a) => a.cal_hid))]],
  );
  const byId = new Map(r.rows.map((x) => [Number(x.header_id), x]));
  for (const a of found) {
    const info = byId.get(Number(a.cal_hid));
    if (!info) continue;
    const list = out.get(a.obs_hid) ?? [];
    list.push({ caltype: a.caltype, rank: a.rank, ...info, header_id: Number(info.header_id) } as CalFile);
    out.set(a.obs_hid, list);
  }
  return out;
}

/** The selected frames (newest first, failed QA left out) and their calibrations. */
export async function calibrationsFor(
  db: Queryable,
  sel: Selection,
  o: ManagerOptions = {},
): Promise<Dataset[]> {
  const frames = await targets(db, sel, o.limit ?? 1000, o.coords);
  const found: Array<Association & { obs_hid: number }> = [];
  const caltypes = new Map<number, string[]>();
  for (const t of frames) {
    let types = rulesFor(t).map((r) => r.caltype);
    if (o.caltype) types = [o.caltype];
    caltypes.set(t.id, types);
  }
  if (o.cached) {
    const r = await db.query(
      `SELECT obs_hid, cal_hid, caltype, rank FROM calcache WHERE obs_hid = ANY($1::bigint[])
       ${o.caltype ? 'AND caltype = $2::text' : ''} ORDER BY obs_hid, caltype, rank`,
      o.caltype ? [frames.map((t) => t.id), o.caltype] : [frames.map((t) => t.id)],
    );
    for (const x of r.rows) {
      found.push({
        obs_hid: Number(x.obs_hid),
        cal_hid: Number(x.cal_hid),
        caltype: x.caltype,
        rank: x.rank,
      });
      const types = caltypes.get(Number(x.obs_hid))!;
      if (!types.includes(x.caltype)) types.push(x.caltype);
    }
  } else {
    for (const t of frames) {
      for (const a of await associate(db, t, o.caltype ? [o.caltype] : undefined))
        found.push({ ...a, obs_hid: t.id });
    }
  }
  const files = await calFiles(db, found);
  return frames.map((t) => {
    const types = caltypes.get(t.id)!;
    const cals = (files.get(t.id) ?? []).sort(
      (a, b) => types.indexOf(a.caltype) - types.indexOf(b.caltype) || a.rank - b.rank,
    );
    return {
      header_id: t.id,
      data_label: t.data_label,
      name: t.name,
      data_md5: t.data_md5,
      caltypes: types,
      cals,
    };
  });
}

/**
 * The rules for one calibration type of a posted frame. As on the archive, a request is answered
 * whether or not the type applies to the frame (DRAGONS asks for a processed_bias while reducing
 * an arc, which our rules give no bias): when the frame's own rules have none of that type, the
 * rules of a science frame of the same configuration are used.
 */
function rulesForType(t: Target, caltype: string): CalRule[] {
  const own = rulesFor(t).filter((r) => r.caltype === caltype);
  if (own.length) return own;
  const science: Target = {
    ...t,
    observation_type: 'OBJECT',
    observation_class: 'science',
    object: t.object === 'Twilight' ? null : t.object,
    reduction: 'RAW',
  };
  return rulesFor(science).filter((r) => r.caltype === caltype);
}

/**
 * The calibrations of one type for a frame that is described, not stored (a DRAGONS POST).
 * A keyword the request could not supply (a read mode we cannot translate) constrains nothing.
 */
export async function calibrationsForRequest(
  db: Queryable,
  target: Target & { data_label: string | null },
  caltype: string,
): Promise<Dataset> {
  const known = (k: string) => target.keywordText?.[k] !== undefined && target.keywordText?.[k] !== null;
  const rules = target.ut_datetime
    ? rulesForType(target, caltype).map((r) => ({
        ...r,
        match: r.match.filter((f) => typeof f === 'string' || known(f.keyword)),
      }))
    : [];
  const found = rules.length ? await associateWith(db, target, rules) : [];
  const files = await calFiles(
    db,
    found.map((a) => ({ ...a, obs_hid: 0 })),
  );
  return {
    header_id: 0,
    data_label: target.data_label,
    name: '',
    data_md5: null,
    caltypes: [caltype],
    // Only files we can serve: DRAGONS downloads every URL it is given, and pairs the n-th URL
    // of an XML answer with its n-th <md5>, so a calibration without a URL would shift the pairs.
    cals: (files.get(0) ?? []).filter((c) => c.present).sort((a, b) => a.rank - b.rank),
  };
}
