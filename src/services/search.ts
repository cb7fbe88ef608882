// Run a selection against the archive: header rows joined to their diskfile and file, in the
// Gemini archive's order and limits (list_headers): an open query (nothing bounding it by
// program, observation, file, date or night) gives the newest 500, newest first; a closed one
// up to 10,000, oldest first.

import type { Queryable } from '../db/pool.js';
import { isOpenQuery, selectionToSql, type CoordsScope, type Selection } from '../gemini/selection/index.js';
import { HEADER_COLUMNS } from './diskfile.js';
import { pendingIngestSql } from './ingestqueue.js';

export const OPEN_QUERY_LIMIT = 500;
export const CLOSED_QUERY_LIMIT = 10_000;

/** Columns a search may be ordered by: the archive's list, plus a few of the diskfile's. */
export const ORDER_COLUMNS = [
  'ut_datetime',
  'instrument',
  'program_id',
  'data_label',
  'observation_class',
  'observation_type',
  'airmass',
  'local_time',
  'raw_iq',
  'raw_cc',
  'raw_bg',
  'raw_wv',
  'qa_state',
  'filter_name',
  'exposure_time',
  'object',
  'disperser',
  'focal_plane_mask',
  'ra',
  'dec',
  'detector_binning',
  'central_wavelength',
  'filename',
  'lastmod',
  'entrytime',
] as const;
export type OrderColumn = (typeof ORDER_COLUMNS)[number];

const ORDER_SET: ReadonlySet<string> = new Set(ORDER_COLUMNS);

export function isOrderColumn(s: string): s is OrderColumn {
  return ORDER_SET.has(s);
}

/** An `orderby` URL value (`exposure_time`, `ut_datetime_desc`, `object_asc`), or null if not allowed. */
export function parseOrderBy(s: string): { column: OrderColumn; desc: boolean } | null {
  const m = /^(.*?)(?:_(asc|desc))?$/.exec(s.trim());
  if (!m || !isOrderColumn(m[1])) return null;
  return { column: m[1], desc: m[2] === 'desc' };
}

export interface SearchOptions {
  /** Most rows to return; default 500 for open queries, 10,000 for closed; null for no limit. */
  limit?: number | null;
  /** Order of the returned rows, before the default (ut_datetime, then id). Names from ORDER_COLUMNS only. */
  orderBy?: OrderColumn | readonly OrderColumn[];
  /** Direction of orderBy (default ascending). */
  desc?: boolean;
  /** Add a `pending_ingest` column: the file waits for ingest (see pendingIngestSql). */
  withPendingIngest?: boolean;
  /** The requester's view of proprietary metadata (see selectionToSql); absent for trusted callers. */
  coords?: CoordsScope;
}

/** A header row with its diskfile's and file's columns. */
export interface HeaderRow {
  id: number;
  diskfile_id: number;
  program_id: string | null;
  observation_id: string | null;
  data_label: string | null;
  telescope: string | null;
  instrument: string | null;
  ut_datetime: Date | null;
  local_time: string | null;
  observation_type: string | null;
  observation_class: string | null;
  object: string | null;
  ra: number | null;
  dec: number | null;
  azimuth: number | null;
  elevation: number | null;
  airmass: number | null;
  exposure_time: number | null;
  filter_name: string | null;
  disperser: string | null;
  camera: string | null;
  central_wavelength: number | null;
  wavelength_band: string | null;
  focal_plane_mask: string | null;
  detector_binning: string | null;
  detector_roi_setting: string | null;
  detector_gain_setting: string | null;
  detector_readspeed_setting: string | null;
  detector_welldepth_setting: string | null;
  coadds: number | null;
  spectroscopy: boolean | null;
  mode: string | null;
  adaptive_optics: boolean | null;
  laser_guide_star: boolean | null;
  wavefront_sensor: string | null;
  gcal_lamp: string | null;
  raw_iq: string | null;
  raw_cc: string | null;
  raw_wv: string | null;
  raw_bg: string | null;
  requested_iq: string | null;
  requested_cc: string | null;
  requested_wv: string | null;
  requested_bg: string | null;
  qa_state: string | null;
  /** node-postgres reads `date` columns as local midnight; format with local getters, or cast in SQL. */
  release: Date | null;
  proprietary_coordinates: boolean;
  reduction: string | null;
  engineering: boolean | null;
  science_verification: boolean | null;
  calibration_program: boolean | null;
  types: string[] | null;
  /** Only RESULT_KEYWORDS (a JSON null when the header lacks one). */
  keywords: Record<string, unknown> | null;
  // diskfile
  filename: string;
  path: string;
  file_md5: string | null;
  file_size: number | null;
  data_md5: string | null;
  data_size: number | null;
  lastmod: Date | null;
  entrytime: Date;
  present: boolean;
  canonical: boolean;
  compressed: boolean;
  mdready: boolean;
  // file
  name: string;
}

export interface SearchResult {
  rows: HeaderRow[];
  /** More rows matched than the limit allowed. */
  truncated: boolean;
  /** The selection was open (see isOpenQuery). */
  open: boolean;
  /** The limit applied (null: none). */
  limit: number | null;
}

/**
 * The primary-header keywords a search result carries in `keywords`: those the JSON API reports
 * (geminijson.ts). The whole document (every card, ~1 kB and more per header) would cost more
 * to send and parse than all the other columns together.
 */
export const RESULT_KEYWORDS = ['PROCMODE', 'CRPA'] as const;

const SELECT_COLUMNS = `h.id, h.diskfile_id, ${HEADER_COLUMNS.filter((c) => c !== 'keywords')
  .map((c) => `h."${c}"`)
  .join(', ')},
  jsonb_build_object(${RESULT_KEYWORDS.map((k) => `'${k}', h.keywords->'${k}'`).join(', ')}) AS keywords,
  df.filename, df.path, df.file_md5, df.file_size, df.data_md5, df.data_size,
  df.lastmod, df.entrytime, df.present, df.canonical, df.compressed, df.mdready, f.name`;

export async function searchHeaders(
  db: Queryable,
  sel: Selection,
  opts: SearchOptions = {},
): Promise<SearchResult> {
  const open = isOpenQuery(sel);
  const limit = opts.limit === undefined ? (open ? OPEN_QUERY_LIMIT : CLOSED_QUERY_LIMIT) : opts.limit;
  if (limit !== null && !(Number.isInteger(limit) && limit >= 0)) {
    throw new RangeError(`search limit must be a whole number or null, got ${limit}`);
  }
  const requested =
    opts.orderBy === undefined ? [] : typeof opts.orderBy === 'string' ? [opts.orderBy] : opts.orderBy;
  for (const c of requested) {
    // The names are written into the SQL, so only allow-listed ones pass, whatever the type says.
    if (!isOrderColumn(c)) throw new RangeError(`cannot order a search by ${JSON.stringify(c)}`);
  }

  const { where, values } = selectionToSql(sel, { coords: opts.coords });
  // Which rows make the cut: newest first for an open query (the archive's "latest 500"),
  // oldest first for a closed one. NULL dates last either way.
  const dir = open ? 'DESC' : 'ASC';
  const cut = `ut_datetime ${dir} NULLS LAST, id ${dir}`;
  const shown = [...requested.map((c) => `${c} ${opts.desc ? 'DESC' : 'ASC'} NULLS LAST`), cut].join(', ');

  // Worked out on the outer query: only for the rows that made the cut.
  const pending = opts.withPendingIngest ? `, ${pendingIngestSql('picked.name')} AS pending_ingest` : '';
  let text: string;
  if (limit === null) {
    text = `SELECT *${pending} FROM (SELECT ${SELECT_COLUMNS} FROM header h JOIN diskfile df ON df.id = h.diskfile_id
      JOIN file f ON f.id = df.file_id WHERE ${where}) picked ORDER BY ${shown}`;
  } else {
    // One row past the limit tells whether there were more; search_rank finds it again after
    // the rows are put in the order asked for.
    values.push(limit + 1);
    text = `SELECT *${pending}, row_number() OVER (ORDER BY ${cut}) AS search_rank FROM (
      SELECT ${SELECT_COLUMNS} FROM header h JOIN diskfile df ON df.id = h.diskfile_id
      JOIN file f ON f.id = df.file_id WHERE ${where}
      ORDER BY h.ut_datetime ${dir} NULLS LAST, h.id ${dir} LIMIT $${values.length}::integer) picked
      ORDER BY ${shown}`;
  }
  const result = await db.query(text, values);
  let rows = result.rows as Array<HeaderRow & { search_rank?: number }>;
  let truncated = false;
  if (limit !== null) {
    truncated = rows.length > limit;
    rows = rows.filter((r) => Number(r.search_rank) <= limit);
    for (const r of rows) delete r.search_rank;
  }
  return { rows, truncated, open, limit };
}
