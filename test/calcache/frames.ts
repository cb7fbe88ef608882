// Header rows for association tests, inserted directly (file → diskfile → header): the tests are
// about which calibrations match, not about reading FITS headers.

import type { Queryable } from '../../src/db/pool.js';

export interface Frame {
  name: string;
  instrument: string;
  ut: string;
  observation_type: string;
  observation_class?: string;
  object?: string;
  reduction?: string;
  spectroscopy?: boolean;
  filter_name?: string | null;
  disperser?: string | null;
  camera?: string | null;
  focal_plane_mask?: string | null;
  central_wavelength?: number | null;
  exposure_time?: number | null;
  detector_binning?: string | null;
  detector_roi_setting?: string | null;
  detector_gain_setting?: string | null;
  detector_readspeed_setting?: string | null;
  detector_welldepth_setting?: string | null;
  coadds?: number | null;
  qa_state?: string;
  engineering?: boolean;
  canonical?: boolean;
  keywords?: Record<string, unknown>;
}

const COLUMNS = [
  'instrument',
  'observation_type',
  'observation_class',
  'object',
  'reduction',
  'spectroscopy',
  'filter_name',
  'disperser',
  'camera',
  'focal_plane_mask',
  'central_wavelength',
  'exposure_time',
  'detector_binning',
  'detector_roi_setting',
  'detector_gain_setting',
  'detector_readspeed_setting',
  'detector_welldepth_setting',
  'coadds',
  'qa_state',
  'engineering',
] as const;

/** Inserts one frame; returns its header id. */
export async function insertFrame(db: Queryable, f: Frame): Promise<number> {
  const file = await db.query('INSERT INTO file (name) VALUES ($1) RETURNING id', [f.name]);
  const df = await db.query(
    `INSERT INTO diskfile (file_id, filename, path, present, canonical, data_md5, file_md5)
     VALUES ($1, $2, '', $3, $3, md5($2), md5($2)) RETURNING id`,
    [file.rows[0].id, f.name, f.canonical ?? true],
  );
  const row: Record<string, unknown> = {
    observation_class: 'science',
    object: 'NGC 1',
    reduction: 'RAW',
    spectroscopy: false,
    qa_state: 'Pass',
    engineering: false,
    ...f,
  };
  const values = COLUMNS.map((c) => row[c] ?? null);
  const r = await db.query(
    `INSERT INTO header (diskfile_id, data_label, ut_datetime, keywords, ${COLUMNS.map((c) => `"${c}"`).join(', ')})
     VALUES ($1, $2, $3, $4, ${COLUMNS.map((_, i) => `$${i + 5}`).join(', ')}) RETURNING id`,
    [df.rows[0].id, `GN-2025A-Q-1-1-${f.name}`, f.ut, JSON.stringify(f.keywords ?? {}), ...values],
  );
  return r.rows[0].id as number;
}
