// Run a selection against the archive: header rows joined to their diskfile and file, in the
// Gemini archive's order and limits (list_headers): an open query (nothing bounding it by
// program, observation, file, date or night) gives the newest 500, newest first; a closed one
// up to 10,000, oldest first. An ordering asked for comes first and decides which rows a limit
// keeps, as on the archive (astroquery's orderby pages through results this way).

import type { Queryable } from '../../db/pool.js';
import {
  isOpenQuery,
  metadataVisible,
  qualified,
  selectionToSql,
  SqlParams,
  unqualified,
  WITHHELD_COLUMNS,
  type ColumnNamer,
  type CoordsScope,
  type Selection,
} from '../../gemini/selection/index.js';
import { HEADER_COLUMNS, type StoredHeaderRow } from '../../gemini/headerrow.js';
import { pendingIngestSql } from '../../queues/sql.js';

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
export function parseOrderBy(s: string): OrderKey | null {
  const m = /^(.*?)(?:_(asc|desc))?$/.exec(s.trim());
  if (!m || !isOrderColumn(m[1])) return null;
  return { column: m[1], desc: m[2] === 'desc' };
}

/** One key of an ordering: a column, ascending unless desc. */
export interface OrderKey {
  column: OrderColumn;
  desc: boolean;
}

export class OrderByError extends Error {
  override name = 'OrderByError';
}

/**
 * Every key of `?orderby=` (repeated, or comma-separated: `?orderby=instrument,ut_datetime_desc`),
 * in order. A key we cannot sort by is an error that names it and the keys there are (the
 * archive ignores such keys silently, and a script then reads a page in an order it did not ask
 * for).
 */
export function parseOrderByList(raw: string | readonly string[] | undefined): OrderKey[] {
  const values = raw === undefined ? [] : typeof raw === 'string' ? [raw] : raw;
  const keys: OrderKey[] = [];
  for (const v of values.flatMap((x) => x.split(','))) {
    if (v.trim() === '') continue;
    const k = parseOrderBy(v);
    if (!k) {
      throw new OrderByError(
        `orderby: cannot order by ${JSON.stringify(v.trim())}; use one of ${ORDER_COLUMNS.join(', ')}, each optionally with _asc or _desc`,
      );
    }
    keys.push(k);
  }
  return keys;
}

// diskfile's columns; every other order column is the header's.
const DISKFILE_ORDER: ReadonlySet<string> = new Set(['filename', 'lastmod', 'entrytime']);

const WITHHELD: ReadonlySet<string> = new Set(WITHHELD_COLUMNS);

/**
 * ORDER BY lists of a search, as the archive's list_headers orders it: the keys asked for first,
 * then the date (newest first for an open query, oldest first for a closed one), NULLs last; the
 * id breaks ties. The limit applies to rows in this order, so the keys decide which rows make a
 * truncated page. `inner` qualifies names (header h, diskfile df); `outer` names the columns of
 * a subquery selecting them. With `visible` (metadataVisible of the requester), a withheld column
 * of a row the requester may not see sorts as NULL: its place must not give the value away.
 */
export function orderClauses(
  keys: readonly OrderKey[],
  open: boolean,
  visible: ((col: ColumnNamer) => string) | null = null,
): { inner: string; outer: string } {
  for (const k of keys) {
    // The names are written into the SQL, so only allow-listed ones pass, whatever the type says.
    if (!isOrderColumn(k.column))
      throw new RangeError(`cannot order a search by ${JSON.stringify(k.column)}`);
  }
  const dir = open ? 'DESC' : 'ASC';
  const list = (naming: ColumnNamer) => {
    const q = (c: string) => naming(DISKFILE_ORDER.has(c) ? 'df' : 'h', c);
    const key = (c: string) =>
      visible && WITHHELD.has(c) ? `CASE WHEN (${visible(naming)}) THEN ${q(c)} END` : q(c);
    return [
      ...keys.map((k) => `${key(k.column)} ${k.desc ? 'DESC' : 'ASC'} NULLS LAST`),
      `${q('ut_datetime')} ${dir} NULLS LAST`,
      `${q('id')} ${dir}`,
    ].join(', ');
  };
  return { inner: list(qualified), outer: list(unqualified) };
}

/** The keys of SearchOptions: `order`, else `orderBy` all in the direction `desc`. */
export function orderKeysOf(opts: {
  order?: readonly OrderKey[];
  orderBy?: OrderColumn | readonly OrderColumn[];
  desc?: boolean;
}): OrderKey[] {
  if (opts.order) return [...opts.order];
  const cols =
    opts.orderBy === undefined ? [] : typeof opts.orderBy === 'string' ? [opts.orderBy] : opts.orderBy;
  return cols.map((column) => ({ column, desc: opts.desc === true }));
}

export interface SearchOptions {
  /** Most rows to return; default 500 for open queries, 10,000 for closed; null for no limit. */
  limit?: number | null;
  /** Order of the rows, before the default (ut_datetime, then id); it decides which rows a limit keeps. */
  order?: readonly OrderKey[];
  /** Shorthand for `order`: these columns, all in the direction of `desc` (default ascending). */
  orderBy?: OrderColumn | readonly OrderColumn[];
  desc?: boolean;
  /** Add a `pending_ingest` column: the file waits for ingest (see pendingIngestSql). */
  withPendingIngest?: boolean;
  /** The requester's view of proprietary metadata (see selectionToSql); absent for trusted callers. */
  coords?: CoordsScope;
}

/** A stored header row with its ids and its diskfile's and file's columns. */
export type SearchRow = StoredHeaderRow & {
  id: number;
  diskfile_id: number;
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
  /** With SearchOptions.withPendingIngest only. */
  pending_ingest?: boolean;
};

export interface SearchResult {
  rows: SearchRow[];
  /** More rows matched than the limit allowed. */
  truncated: boolean;
  /** The selection was open (see isOpenQuery). */
  open: boolean;
  /** The limit applied (null: none). */
  limit: number | null;
}

/**
 * The primary-header keywords a search result carries in `keywords`: those the JSON API reports
 * (geminijson.ts) beyond the header columns, now none (CRPA and PROCMODE became columns). The
 * whole document (every card, ~1 kB and more per header) would cost more to send and parse than
 * all the other columns together.
 */
export const RESULT_KEYWORDS: readonly string[] = [];

const SELECT_COLUMNS = `h.id, h.diskfile_id, ${HEADER_COLUMNS.filter((c) => c !== 'keywords')
  .map((c) => `h."${c}"`)
  .join(', ')},
  jsonb_build_object(${RESULT_KEYWORDS.map((k) => `'${k}', h.keywords->'${k}'`).join(', ')})::jsonb AS keywords,
  df.filename, df.path, df.file_md5, df.file_size, df.data_md5, df.data_size,
  df.lastmod, df.entrytime, df.present, df.canonical, df.compressed, df.mdready, f.name`;

/**
 * WHERE and ORDER BY of a search over header h, diskfile df and file f, with their parameters:
 * the selection, guarded and ordered by what the requester may see (opts.coords).
 */
function searchClauses(
  sel: Selection,
  opts: Pick<SearchOptions, 'order' | 'orderBy' | 'desc' | 'coords'>,
  open: boolean,
): { where: string; values: unknown[]; inner: string; outer: string } {
  const { where, values } = selectionToSql(sel, { coords: opts.coords });
  const p = new SqlParams(values.length + 1);
  const { inner, outer } = orderClauses(orderKeysOf(opts), open, metadataVisible(opts.coords, p));
  return { where, values: [...values, ...p.values], inner, outer };
}

/**
 * The columns the result pages (search form, summaries, download) show: a SearchRow without the
 * rest, about a third of its bytes to send and parse for each of up to 10,000 rows.
 */
const PAGE_FIELDS = [
  'id',
  'diskfile_id',
  'program_id',
  'observation_id',
  'data_label',
  'telescope',
  'instrument',
  'ut_datetime',
  'local_time',
  'observation_type',
  'observation_class',
  'object',
  'ra',
  'dec',
  'airmass',
  'exposure_time',
  'filter_name',
  'disperser',
  'focal_plane_mask',
  'central_wavelength',
  'spectroscopy',
  'detector_binning',
  'raw_iq',
  'raw_cc',
  'raw_wv',
  'raw_bg',
  'qa_state',
  'release',
  'proprietary_coordinates',
  'engineering',
  'filename',
  'path',
  'file_md5',
  'file_size',
  'data_size',
  'lastmod',
  'entrytime',
  'name',
] as const satisfies readonly (keyof SearchRow)[];

export type PageRow = Pick<SearchRow, (typeof PAGE_FIELDS)[number]>;

// Which table each page column comes from: the header's own columns, the file's name, and the
// rest from diskfile (the header column list is the one in headerrow.ts, not repeated here).
const HEADER_OWN: ReadonlySet<string> = new Set(['id', 'diskfile_id', ...HEADER_COLUMNS]);
const PAGE_COLUMNS = PAGE_FIELDS.map((c) =>
  c === 'name' ? 'f.name' : HEADER_OWN.has(c) ? `h.${c}` : `df.${c}`,
).join(', ');

export interface PageResult extends Omit<SearchResult, 'rows'> {
  rows: PageRow[];
}

/** A search returning every header column (SELECT_COLUMNS): the JSON API, mail, the CLI. */
export function searchHeaders(
  db: Queryable,
  sel: Selection,
  opts: SearchOptions = {},
): Promise<SearchResult> {
  return runSearch<SearchRow>(db, sel, opts, SELECT_COLUMNS);
}

/** The same search with only the columns the result pages show (PAGE_COLUMNS). */
export function searchPageRows(db: Queryable, sel: Selection, opts: SearchOptions = {}): Promise<PageResult> {
  return runSearch<PageRow>(db, sel, opts, PAGE_COLUMNS);
}

/** A search, whatever columns it returns: selection, guard, order and limit are built here only. */
async function runSearch<Row>(
  db: Queryable,
  sel: Selection,
  opts: SearchOptions,
  columns: string,
): Promise<{ rows: Row[]; truncated: boolean; open: boolean; limit: number | null }> {
  const open = isOpenQuery(sel);
  const limit = opts.limit === undefined ? (open ? OPEN_QUERY_LIMIT : CLOSED_QUERY_LIMIT) : opts.limit;
  if (limit !== null && !(Number.isInteger(limit) && limit >= 0)) {
    throw new RangeError(`search limit must be a whole number or null, got ${limit}`);
  }
  const { where, values, inner, outer } = searchClauses(sel, opts, open);
  // Worked out on the outer query: only for the rows that made the cut.
  const pending = opts.withPendingIngest ? `, ${pendingIngestSql('picked.name')} AS pending_ingest` : '';
  // One row past the limit tells whether there were more.
  if (limit !== null) values.push(limit + 1);
  const text = `SELECT *${pending} FROM (SELECT ${columns} FROM header h JOIN diskfile df ON df.id = h.diskfile_id
      JOIN file f ON f.id = df.file_id WHERE ${where}
      ORDER BY ${inner}${limit !== null ? ` LIMIT $${values.length}::integer` : ''}) picked
      ORDER BY ${outer}`;
  const result = await db.query(text, values);
  let rows = result.rows as Row[];
  const truncated = limit !== null && rows.length > limit;
  if (truncated) rows = rows.slice(0, limit);
  return { rows, truncated, open, limit };
}
