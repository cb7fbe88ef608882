// Header rows for association tests, inserted directly (file → diskfile → header): the tests are
// about which calibrations match, not about reading FITS headers.

import { createHash } from 'node:crypto';
import type { Queryable } from '../../src/db/pool.js';
import { fileRows, headerRow } from '../helpers/fixtures.js';

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

/** A GMOS-N frame's detector set-up (2x2, full frame, low gain, slow read, Hamamatsu). */
export const GMOS_N_DETECTOR: Partial<Frame> = {
  instrument: 'GMOS-N',
  detector_binning: '2x2',
  detector_roi_setting: 'Full Frame',
  detector_gain_setting: 'low',
  detector_readspeed_setting: 'slow',
  keywords: { DETTYPE: 'S10892-N' },
};

/** A GMOS-N imaging frame in r. */
export const GMOS_N_IMAGING: Partial<Frame> = {
  ...GMOS_N_DETECTOR,
  filter_name: 'r',
  focal_plane_mask: 'Imaging',
  disperser: 'MIRROR',
};

/** Inserts one frame; returns its header id. */
export async function insertFrame(db: Queryable, f: Frame): Promise<number> {
  const md5 = createHash('md5').update(f.name).digest('hex');
  const canonical = f.canonical ?? true;
  const {
    diskfileIds: [diskfileId],
  } = await fileRows(db, f.name, {
    filename: f.name,
    path: '',
    present: canonical,
    canonical,
    data_md5: md5,
    file_md5: md5,
  });
  const row: Record<string, unknown> = {
    observation_class: 'science',
    object: 'NGC 1',
    reduction: 'RAW',
    spectroscopy: false,
    qa_state: 'Pass',
    engineering: false,
    ...f,
  };
  return headerRow(db, diskfileId, {
    data_label: `GN-2025A-Q-1-1-${f.name}`,
    ut_datetime: f.ut,
    keywords: f.keywords ?? {},
    ...Object.fromEntries(COLUMNS.map((c) => [c, row[c] ?? null])),
  });
}
