import type { Queryable } from '../../db/pool.js';
import {
  isOpenQuery,
  selectionToSql,
  type CoordsScope,
  type Selection,
} from '../../gemini/selection/index.js';
import {
  CLOSED_QUERY_LIMIT,
  OPEN_QUERY_LIMIT,
  orderClauses,
  orderKeysOf,
  type SearchRow,
  type OrderColumn,
  type OrderKey,
  type SearchResult,
} from '../../services/archive/search.js';

// searchHeaders (services/archive/search.ts) with only the columns the pages show. This file was written
// when searchHeaders returned the whole `keywords` document (every primary-header card, several
// kB each), two thirds of /searchform's time in the 1,000,000-header benchmark (35 ms → 14 ms
// without it). searchHeaders now carries only RESULT_KEYWORDS, so most of that reason is gone.
// Same selection, limits and order; test/web/pages.test.ts checks both return the same files in
// the same order.
// TODO(lead): fold into searchHeaders as a `columns` option, and delete this file.

const PAGE_COLUMNS = `h.id, h.diskfile_id, h.program_id, h.observation_id, h.data_label, h.telescope, h.instrument,
  h.ut_datetime, h.local_time, h.observation_type, h.observation_class, h.object, h.ra, h.dec, h.airmass,
  h.exposure_time, h.filter_name, h.disperser, h.focal_plane_mask, h.central_wavelength, h.spectroscopy, h.detector_binning,
  h.raw_iq, h.raw_cc, h.raw_wv, h.raw_bg, h.qa_state, h.release, h.proprietary_coordinates, h.engineering,
  df.filename, df.path, df.file_md5, df.file_size, df.data_size, df.lastmod, df.entrytime, f.name`;

/** The columns PAGE_COLUMNS selects: a SearchRow without the rest. */
export type PageRow = Pick<
  SearchRow,
  | 'id'
  | 'diskfile_id'
  | 'program_id'
  | 'observation_id'
  | 'data_label'
  | 'telescope'
  | 'instrument'
  | 'ut_datetime'
  | 'local_time'
  | 'observation_type'
  | 'observation_class'
  | 'object'
  | 'ra'
  | 'dec'
  | 'airmass'
  | 'exposure_time'
  | 'filter_name'
  | 'disperser'
  | 'focal_plane_mask'
  | 'central_wavelength'
  | 'spectroscopy'
  | 'detector_binning'
  | 'raw_iq'
  | 'raw_cc'
  | 'raw_wv'
  | 'raw_bg'
  | 'qa_state'
  | 'release'
  | 'proprietary_coordinates'
  | 'engineering'
  | 'filename'
  | 'path'
  | 'file_md5'
  | 'file_size'
  | 'data_size'
  | 'lastmod'
  | 'entrytime'
  | 'name'
>;

export interface PageResult extends Omit<SearchResult, 'rows'> {
  rows: PageRow[];
}

export async function searchPageRows(
  db: Queryable,
  sel: Selection,
  opts: { order?: readonly OrderKey[]; orderBy?: OrderColumn; desc?: boolean; coords?: CoordsScope } = {},
): Promise<PageResult> {
  const open = isOpenQuery(sel);
  const limit = open ? OPEN_QUERY_LIMIT : CLOSED_QUERY_LIMIT;
  const { inner, outer } = orderClauses(orderKeysOf(opts), open);
  const { where, values } = selectionToSql(sel, { coords: opts.coords });
  values.push(limit + 1);
  const r = await db.query(
    `SELECT * FROM (
       SELECT ${PAGE_COLUMNS} FROM header h JOIN diskfile df ON df.id = h.diskfile_id
       JOIN file f ON f.id = df.file_id WHERE ${where}
       ORDER BY ${inner} LIMIT $${values.length}::integer) picked
     ORDER BY ${outer}`,
    values,
  );
  const all = r.rows as PageRow[];
  return { rows: all.slice(0, limit), truncated: all.length > limit, open, limit };
}
