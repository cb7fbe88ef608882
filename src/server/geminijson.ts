import { WITHHELD_COLUMNS } from '../gemini/selection/index.js';
import type { HeaderColumn } from '../gemini/headerrow.js';
import type { SearchRow } from '../services/archive/search.js';
import { releaseDay } from './access.js';

// Rows → the JSON the Gemini archive returns from /jsonfilelist, /jsonsummary and /jsonqastate
// (FitsStorage web/file_list.py), field for field and in its order, values written the way its
// Python str() writes them: clients (astroquery's Gemini module, the ODB, other FitsStorage
// servers) read these documents.

export type Row = Record<string, unknown>;

/** The fields of a search row an entry reads; any may be absent or null (a placeholder entry). */
type Fields<K extends keyof SearchRow> = { [F in K]?: SearchRow[F] | null };

/** diskfile fields of jsonfilelist, after `name`; `size` and `md5` repeat file_size and file_md5. */
export const DISKFILE_FIELDS = [
  'filename',
  'path',
  'compressed',
  'file_size',
  'data_size',
  'file_md5',
  'data_md5',
  'lastmod',
  'mdready',
  'entrytime',
] as const satisfies readonly (keyof SearchRow)[];
type DiskfileField = (typeof DISKFILE_FIELDS)[number];

/**
 * Header fields of jsonsummary, in the archive's order (its 2024 documents: `processing` is the
 * newer name of `procmode`; both are sent), each from the header column of that name.
 */
const HEADER_FIELDS = [
  'program_id',
  'engineering',
  'science_verification',
  'processing',
  'procmode',
  'calibration_program',
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
  'azimuth',
  'elevation',
  'cass_rotator_pa',
  'airmass',
  'filter_name',
  'exposure_time',
  'disperser',
  'camera',
  'central_wavelength',
  'wavelength_band',
  'focal_plane_mask',
  'detector_binning',
  'detector_gain_setting',
  'detector_roi_setting',
  'detector_readspeed_setting',
  'detector_welldepth_setting',
  'detector_readmode_setting',
  'coadds',
  'spectroscopy',
  'mode',
  'adaptive_optics',
  'laser_guide_star',
  'wavefront_sensor',
  'gcal_lamp',
  'raw_iq',
  'raw_cc',
  'raw_wv',
  'raw_bg',
  'requested_iq',
  'requested_cc',
  'requested_wv',
  'requested_bg',
  'qa_state',
  'release',
  'reduction',
  'types',
  'phot_standard',
] as const satisfies readonly HeaderColumn[];
type HeaderField = (typeof HEADER_FIELDS)[number];

/** Site-quality percentiles are numbers at the archive (85, not "85"); "Any" is 100. */
const PERCENTILE_FIELDS = new Set([
  'raw_iq',
  'raw_cc',
  'raw_wv',
  'raw_bg',
  'requested_iq',
  'requested_cc',
  'requested_wv',
  'requested_bg',
]);

const p2 = (n: number) => String(n).padStart(2, '0');

/** Python's str(datetime): 'YYYY-MM-DD HH:MM:SS[.ffffff]' in UTC, '+00:00' when tz-aware. */
function pyDatetime(d: Date, withZone: boolean): string {
  const base =
    `${d.getUTCFullYear()}-${p2(d.getUTCMonth() + 1)}-${p2(d.getUTCDate())} ` +
    `${p2(d.getUTCHours())}:${p2(d.getUTCMinutes())}:${p2(d.getUTCSeconds())}`;
  const ms = d.getUTCMilliseconds();
  return base + (ms ? `.${String(ms * 1000).padStart(6, '0')}` : '') + (withZone ? '+00:00' : '');
}

/** Python's str(list) of strings: "['GMOS', 'RAW']". */
function pyList(items: unknown[]): string {
  return `[${items.map((s) => `'${String(s).replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`).join(', ')}]`;
}

function num(v: unknown): unknown {
  if (typeof v === 'string' && v.trim() !== '' && Number.isFinite(Number(v))) return Number(v);
  if (typeof v === 'string' && v.toLowerCase() === 'any') return 100;
  return v;
}

/** One column value as the archive writes it. */
function jsonValue(field: string, v: unknown): unknown {
  if (v === undefined || v === null) return null;
  switch (field) {
    case 'lastmod':
    case 'entrytime':
      return v instanceof Date ? pyDatetime(v, true) : v;
    case 'ut_datetime':
      // The archive's ut_datetime column is a naive UTC timestamp.
      return v instanceof Date ? pyDatetime(v, false) : v;
    case 'release':
      return releaseDay(v as Date | string);
    case 'types':
      return Array.isArray(v) ? pyList(v) : v;
    case 'file_size':
    case 'data_size':
    case 'coadds':
      return typeof v === 'string' ? Number(v) : v;
    default:
      if (PERCENTILE_FIELDS.has(field)) return num(v);
      return v;
  }
}

/**
 * The jsonfilelist entry: name, diskfile fields, size, md5, and pending_ingest when known (the
 * archive's newer documents always carry it, right after md5).
 */
export function fileListEntry(row: Fields<'name' | DiskfileField>, pendingIngest?: boolean): Row {
  const out: Row = { name: row.name ?? null };
  for (const f of DISKFILE_FIELDS) out[f] = jsonValue(f, row[f]);
  out.size = out.file_size;
  out.md5 = out.file_md5;
  if (pendingIngest !== undefined) out.pending_ingest = pendingIngest;
  return out;
}

/** The jsonsummary entry: the file list entry and the header fields, coordinates blanked if asked. */
export function summaryEntry(
  row: Fields<'name' | DiskfileField | HeaderField>,
  canHaveCoords: boolean,
  pendingIngest?: boolean,
): Row {
  const out = fileListEntry(row, pendingIngest);
  for (const f of HEADER_FIELDS) out[f] = jsonValue(f, row[f]);
  if (!canHaveCoords) for (const f of WITHHELD_COLUMNS) out[f] = null;
  return out;
}

/** The jsonqastate entry, for the ODB. */
export function qaStateEntry(
  row: Fields<'data_label' | 'filename' | 'data_md5' | 'entrytime' | 'qa_state'>,
): Row {
  return {
    data_label: jsonValue('data_label', row.data_label),
    filename: jsonValue('filename', row.filename),
    data_md5: jsonValue('data_md5', row.data_md5),
    entrytime: jsonValue('entrytime', row.entrytime),
    qa_state: jsonValue('qa_state', row.qa_state),
  };
}
