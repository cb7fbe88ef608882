// Header updates as the Gemini archive takes them (POST /update_headers, from the ODB and the
// SOSs' tools): an item names a file (filename or data_label) and asks for values — a QA state, a
// raw site quality, a release date, or generic keyword/value pairs — optionally refusing to add
// keywords the header lacks (reject_new, a guard against typos). The file is rewritten through
// rewriteHeader (temp file, verify, rename) and queued for ingest, so the database and the export
// downstream pick the change up.

import type { Queryable } from '../../db/pool.js';
import type { CardChange, HeaderEdit } from '../../fits/edit.js';
import type { WritableValue } from '../../fits/write.js';
import { trimBz2 } from '../../gemini/filename.js';
import type { Storage } from '../../storage/types.js';
import { joinKey } from '../../storage/types.js';
import { rewriteHeader, type RewriteOptions, type RewriteResult } from './headerrewrite.js';
import { enqueueIngest } from '../ingest/ingestqueue.js';

/** The archive's QA states → RAWGEMQA / RAWPIREQ (FitsStorage's FitsEditor). */
const QA_STATES: Readonly<Record<string, { RAWGEMQA: string; RAWPIREQ: string }>> = {
  pass: { RAWGEMQA: 'USABLE', RAWPIREQ: 'YES' },
  usable: { RAWGEMQA: 'USABLE', RAWPIREQ: 'NO' },
  fail: { RAWGEMQA: 'BAD', RAWPIREQ: 'NO' },
  check: { RAWGEMQA: 'CHECK', RAWPIREQ: 'CHECK' },
  undefined: { RAWGEMQA: 'UNKNOWN', RAWPIREQ: 'UNKNOWN' },
};

const PERCENTILES: Readonly<Record<string, string>> = {
  '20': '20-percentile',
  '50': '50-percentile',
  '70': '70-percentile',
  '80': '80-percentile',
  '85': '85-percentile',
  any: 'Any',
};
const SITE_KEYWORD: Readonly<Record<string, [string, string[]]>> = {
  iq: ['RAWIQ', ['20', '70', '85', 'any']],
  cc: ['RAWCC', ['50', '70', '80', 'any']],
  wv: ['RAWWV', ['20', '50', '80', 'any']],
  bg: ['RAWBG', ['20', '50', '80', 'any']],
};

/** One item of an update_headers request. */
export interface HeaderUpdateItem {
  filename?: string;
  data_label?: string;
  values: HeaderUpdateValues;
  reject_new?: boolean;
}

export interface HeaderUpdateValues {
  qa_state?: string;
  /** iq20, cc70, wvany, bg80 ... */
  raw_site?: string;
  /** YYYY-MM-DD */
  release?: string;
  /** [keyword, value] pairs (Python tuples arrive as arrays), or an object. */
  generic?: Array<[string, WritableValue]> | Record<string, WritableValue>;
}

class HeaderUpdateError extends Error {
  override name = 'HeaderUpdateError';
}

const STANDARD_KEYWORD = /^[A-Z0-9_-]{1,8}$/;

function isValidDate(s: string): boolean {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(s);
  if (!m) return false;
  const d = new Date(Date.UTC(+m[1], +m[2] - 1, +m[3]));
  return d.getUTCFullYear() === +m[1] && d.getUTCMonth() === +m[2] - 1 && d.getUTCDate() === +m[3];
}

/** The header edit a request's values ask for; throws HeaderUpdateError naming what is wrong. */
export function editForValues(values: HeaderUpdateValues): HeaderEdit {
  if (!values || typeof values !== 'object' || Array.isArray(values))
    throw new HeaderUpdateError('values must be an object');
  const set: CardChange[] = [];
  for (const key of Object.keys(values)) {
    if (!['qa_state', 'raw_site', 'release', 'generic'].includes(key))
      throw new HeaderUpdateError(`unknown value ${JSON.stringify(key)}`);
  }
  if (values.qa_state !== undefined) {
    const qa = QA_STATES[String(values.qa_state).toLowerCase()];
    if (!qa) throw new HeaderUpdateError(`Invalid QA state: ${values.qa_state}`);
    set.push({ keyword: 'RAWGEMQA', value: qa.RAWGEMQA }, { keyword: 'RAWPIREQ', value: qa.RAWPIREQ });
  }
  if (values.raw_site !== undefined) {
    const m = /^(iq|cc|wv|bg)(\d\d|any)$/.exec(String(values.raw_site).toLowerCase());
    const site = m && SITE_KEYWORD[m[1]];
    if (!m || !site || !site[1].includes(m[2]))
      throw new HeaderUpdateError(`Invalid Raw Site Quality state: ${values.raw_site}`);
    set.push({ keyword: site[0], value: PERCENTILES[m[2]] });
  }
  if (values.release !== undefined) {
    if (typeof values.release !== 'string' || !isValidDate(values.release)) {
      throw new HeaderUpdateError(`Invalid Release date: ${values.release}`);
    }
    set.push({ keyword: 'RELEASE', value: values.release });
  }
  if (values.generic !== undefined) {
    const pairs = Array.isArray(values.generic) ? values.generic : Object.entries(values.generic ?? {});
    for (const pair of pairs) {
      if (!Array.isArray(pair) || pair.length !== 2)
        throw new HeaderUpdateError(`generic: expected [keyword, value] pairs, got ${JSON.stringify(pair)}`);
      const [keyword, value] = pair;
      // Like the archive: standard 8-character keywords only (no HIERARCH from this door).
      const key = typeof keyword === 'string' ? keyword.trim().toUpperCase() : '';
      if (!STANDARD_KEYWORD.test(key)) throw new HeaderUpdateError(`Invalid keyword: ${keyword}`);
      if (!(value === null || ['string', 'number', 'boolean'].includes(typeof value))) {
        throw new HeaderUpdateError(`Invalid value for ${key}: ${JSON.stringify(value)}`);
      }
      set.push({ keyword: key, value });
    }
  }
  if (set.length === 0) throw new HeaderUpdateError('nothing to change: no values given');
  return { set };
}

/** The present file a request names, where it lives in the store. */
export interface LocatedFile {
  diskfileId: number;
  filename: string;
  path: string;
}

export async function locateFile(
  db: Queryable,
  item: Pick<HeaderUpdateItem, 'filename' | 'data_label'>,
): Promise<LocatedFile> {
  const cols = `df.id AS "diskfileId", df.filename, df.path`;
  let rows: LocatedFile[];
  let what: string;
  if (item.filename) {
    what = `file ${item.filename}`;
    const r = await db.query(
      `SELECT ${cols} FROM diskfile df JOIN file f ON f.id = df.file_id WHERE df.present AND f.name = $1::text`,
      [trimBz2(item.filename.trim())],
    );
    rows = r.rows;
  } else if (item.data_label) {
    what = `data label ${item.data_label}`;
    const r = await db.query(
      `SELECT ${cols} FROM header h JOIN diskfile df ON df.id = h.diskfile_id WHERE df.present AND h.data_label = upper($1::text)`,
      [item.data_label.trim()],
    );
    rows = r.rows;
  } else {
    throw new HeaderUpdateError('No filename or data_label given');
  }
  if (rows.length === 0) throw new HeaderUpdateError(`No present file found for ${what}`);
  if (rows.length > 1)
    throw new HeaderUpdateError(`${rows.length} present files found for ${what}; name the file`);
  return rows[0];
}

export interface ApplyDeps {
  db: Queryable;
  storage: Storage;
}

export interface ApplyResult extends RewriteResult {
  file: LocatedFile;
}

/**
 * Carries out one item: find the file, rewrite its primary header, queue it for ingest (md5
 * checked, since an in-place edit keeps the size). Throws HeaderUpdateError / HeaderEditError /
 * HeaderRewriteError with a message fit for the requester.
 */
export async function applyHeaderUpdate(
  deps: ApplyDeps,
  item: HeaderUpdateItem,
  opts: Pick<RewriteOptions, 'beforeRename'> = {},
): Promise<ApplyResult> {
  const edit = editForValues(item.values);
  const file = await locateFile(deps.db, item);
  const key = joinKey(file.path, file.filename);
  const local = deps.storage.localPath(key);
  // Gemini's archive did not do this on S3 either: the file would have to be fetched and put back.
  if (!local) throw new HeaderUpdateError('header updates need a local-disk store');
  if (!(await deps.storage.stat(key))) throw new HeaderUpdateError(`${key}: file not found in the store`);
  const result = await rewriteHeader(local, () => edit, {
    rejectNew: item.reject_new ?? false,
    beforeRename: opts.beforeRename,
  });
  if (!result.unchanged)
    await enqueueIngest(deps.db, [{ filename: file.filename, path: file.path, force_md5: true }]);
  return { ...result, file };
}
