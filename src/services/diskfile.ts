import type { Queryable } from '../db/pool.js';

// SQL for file, diskfile, header and fulltextheader: the tables ingest owns.

export interface DiskfileRow {
  id: number;
  file_id: number;
  filename: string;
  path: string;
  present: boolean;
  canonical: boolean;
  file_md5: string | null;
  file_size: number | null;
  data_md5: string | null;
  data_size: number | null;
  compressed: boolean;
  lastmod: Date | null;
  entrytime: Date;
}

/** The header table's columns, in the order migrations define them (keywords last). */
export const HEADER_COLUMNS = [
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
  'azimuth',
  'elevation',
  'airmass',
  'exposure_time',
  'filter_name',
  'disperser',
  'camera',
  'central_wavelength',
  'wavelength_band',
  'focal_plane_mask',
  'detector_binning',
  'detector_roi_setting',
  'detector_gain_setting',
  'detector_readspeed_setting',
  'detector_welldepth_setting',
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
  'engineering',
  'science_verification',
  'calibration_program',
  'types',
  'keywords',
] as const;

export type HeaderRow = Partial<Record<(typeof HEADER_COLUMNS)[number], unknown>>;

export async function presentDiskfile(db: Queryable, name: string): Promise<DiskfileRow | null> {
  const r = await db.query(
    `SELECT df.* FROM diskfile df JOIN file f ON f.id = df.file_id WHERE f.name = $1 AND df.present`,
    [name],
  );
  return r.rows[0] ?? null;
}

export async function touchLastmod(db: Queryable, id: number, lastmod: Date): Promise<void> {
  await db.query('UPDATE diskfile SET lastmod = $2 WHERE id = $1', [id, lastmod]);
}

/** A file gone from the store: its present version is no longer present (kept canonical). */
export async function markNotPresent(db: Queryable, filename: string, path: string): Promise<number> {
  const r = await db.query(
    'UPDATE diskfile SET present = false WHERE filename = $1 AND path = $2 AND present',
    [filename, path],
  );
  return r.rowCount ?? 0;
}

export interface NewVersion {
  name: string;
  filename: string;
  path: string;
  file_md5: string;
  file_size: number;
  data_md5: string;
  data_size: number;
  compressed: boolean;
  lastmod: Date;
  fvwarnings: number;
  fverrors: number;
  header: HeaderRow;
  fulltext: string;
}

/**
 * Records a new version in the caller's transaction: older versions stop being present and
 * canonical, never deleted. Returns the new diskfile and header ids.
 */
export async function insertVersion(
  c: Queryable,
  v: NewVersion,
): Promise<{ diskfileId: number; headerId: number }> {
  const f = await c.query(
    `INSERT INTO file (name) VALUES ($1) ON CONFLICT (name) DO UPDATE SET name = EXCLUDED.name RETURNING id`,
    [v.name],
  );
  const fileId = f.rows[0].id as number;
  await c.query(
    `UPDATE diskfile SET present = false, canonical = false WHERE file_id = $1 AND (present OR canonical)`,
    [fileId],
  );
  const d = await c.query(
    `INSERT INTO diskfile (file_id, filename, path, present, canonical, file_md5, file_size, data_md5, data_size,
       compressed, lastmod, isfits, fvwarnings, fverrors, mdready)
     VALUES ($1, $2, $3, true, true, $4, $5, $6, $7, $8, $9, true, $10, $11, true) RETURNING id`,
    [
      fileId,
      v.filename,
      v.path,
      v.file_md5,
      v.file_size,
      v.data_md5,
      v.data_size,
      v.compressed,
      v.lastmod,
      v.fvwarnings,
      v.fverrors,
    ],
  );
  const diskfileId = d.rows[0].id as number;
  const cols = HEADER_COLUMNS.filter((k) => v.header[k] !== undefined);
  const values = cols.map((k) => (k === 'keywords' ? JSON.stringify(v.header[k]) : v.header[k]));
  const h = await c.query(
    `INSERT INTO header (diskfile_id${cols.map((k) => ', ' + quoteIdent(k)).join('')})
     VALUES ($1${cols.map((_, i) => `, $${i + 2}`).join('')}) RETURNING id`,
    [diskfileId, ...values],
  );
  await c.query('INSERT INTO fulltextheader (diskfile_id, fulltext) VALUES ($1, $2)', [
    diskfileId,
    v.fulltext,
  ]);
  return { diskfileId, headerId: h.rows[0].id as number };
}

// Column names come from HEADER_COLUMNS only; quoting covers reserved words like "dec" and "mode".
function quoteIdent(k: string): string {
  return `"${k}"`;
}
