// The `header` table's row: its columns, in the table's order, and the type of each. Extraction
// (metadata.ts) produces a HeaderRow, ingest writes it column by column (services/ingest/diskfile.ts),
// searches read it back as a StoredHeaderRow and the JSON views write that out. The column list is
// the one source: the compiler checks that a HeaderRow has exactly these fields, no cast between.

import type { CardValue } from '../fits/types.js';

export type Mode = 'imaging' | 'spectroscopy' | 'LS' | 'MOS' | 'IFS' | 'IFP';

export type Reduction =
  | 'RAW'
  | 'PREPARED'
  | 'PROCESSED_FLAT'
  | 'PROCESSED_BIAS'
  | 'PROCESSED_FRINGE'
  | 'PROCESSED_ARC'
  | 'PROCESSED_DARK'
  | 'PROCESSED_TELLURIC'
  | 'PROCESSED_SCIENCE'
  | 'PROCESSED_BPM'
  | 'PROCESSED_STANDARD'
  | 'PROCESSED_SLITILLUM'
  | 'PROCESSED_PINHOLE'
  | 'PROCESSED_UNKNOWN';

export type Processing = 'Raw' | 'Quick-Look' | 'Science-Quality';

export const QA_STATES = ['Pass', 'Usable', 'Fail', 'CHECK', 'Undefined'] as const;
export type QaState = (typeof QA_STATES)[number];

/** The type of each column as extraction produces it (HeaderRow keys it by HEADER_COLUMNS). */
interface HeaderFields {
  program_id: string | null;
  observation_id: string | null;
  data_label: string | null;
  telescope: string | null;
  instrument: string | null;
  /** 'YYYY-MM-DDTHH:MM:SS[.ffffff]Z' */
  ut_datetime: string | null;
  /** 'HH:MM:SS[.ffffff]' local time at the telescope */
  local_time: string | null;
  observation_type: string | null;
  observation_class: string | null;
  object: string | null;
  ra: number | null;
  dec: number | null;
  azimuth: number | null;
  elevation: number | null;
  /** Cassegrain rotator position angle, degrees */
  cass_rotator_pa: number | null;
  airmass: number | null;
  exposure_time: number | null;
  filter_name: string | null;
  disperser: string | null;
  camera: string | null;
  /** microns; spectroscopy only */
  central_wavelength: number | null;
  wavelength_band: string | null;
  focal_plane_mask: string | null;
  /** 'XxY' */
  detector_binning: string | null;
  detector_roi_setting: string | null;
  detector_gain_setting: string | null;
  detector_readspeed_setting: string | null;
  detector_welldepth_setting: string | null;
  detector_readmode_setting: string | null;
  coadds: number | null;
  spectroscopy: boolean;
  mode: Mode;
  adaptive_optics: boolean;
  laser_guide_star: boolean;
  wavefront_sensor: string | null;
  gcal_lamp: string | null;
  raw_iq: number | null;
  raw_cc: number | null;
  raw_wv: number | null;
  raw_bg: number | null;
  requested_iq: number | null;
  requested_cc: number | null;
  requested_wv: number | null;
  requested_bg: number | null;
  qa_state: QaState;
  /** 'YYYY-MM-DD' */
  release: string | null;
  /** PROP_MD = T: object and position are as proprietary as the data (Gemini's rule). */
  proprietary_coordinates: boolean;
  reduction: Reduction;
  engineering: boolean;
  science_verification: boolean;
  calibration_program: boolean;
  /** DRAGONS' processing mode of a processed file (PROCMODE: 'sq', 'ql'), lower case. */
  procmode: string | null;
  /** 'Raw', 'Quick-Look' or 'Science-Quality' (the archive's processing search term); null otherwise. */
  processing: Processing | null;
  /**
   * True when a photometric standard star lies in the field. The archive sets it after ingest
   * from its standard-star catalogue; extraction alone never knows it (null).
   */
  phot_standard: boolean | null;
  /** Data-type tags, sorted. */
  types: string[];
  /** Every valued primary-header card: keyword → value (first occurrence wins). */
  keywords: Record<string, CardValue>;
}

/** The header table's columns, in the order ingest writes them (keywords last). */
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
  'cass_rotator_pa',
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
  'proprietary_coordinates',
  'reduction',
  'engineering',
  'science_verification',
  'calibration_program',
  'procmode',
  'processing',
  'phot_standard',
  'types',
  'keywords',
] as const;

export type HeaderColumn = (typeof HEADER_COLUMNS)[number];

/**
 * One `header` row, without its ids: one field per column of HEADER_COLUMNS, no more, no fewer.
 * A column missing from HeaderFields does not compile, nor does an extraction that leaves one out.
 */
export type HeaderRow = { [K in HeaderColumn]: HeaderFields[K] };

/** Only columns may be given a read-back type: a misspelt one does not compile. */
type ColumnTypes<T extends { [K in keyof T]: K extends HeaderColumn ? unknown : never }> = T;

/** How node-postgres reads back the columns whose type differs from what was written. */
type ReadBack = ColumnTypes<{
  /** timestamptz */
  ut_datetime: Date;
  /** `date`: node-postgres reads it as local midnight; format with local getters, or cast in SQL. */
  release: Date;
  // text columns: the percentile as written ('70'), or the Python archive's words ('Any').
  raw_iq: string;
  raw_cc: string;
  raw_wv: string;
  raw_bg: string;
  requested_iq: string;
  requested_cc: string;
  requested_wv: string;
  requested_bg: string;
  /** jsonb: only the keywords a query selected (see RESULT_KEYWORDS in services/archive/search.ts). */
  keywords: Record<string, unknown>;
}>;

/**
 * A HeaderRow as a query reads it from the table. Any column may be null: rows ingested before a
 * column existed, or copied from the Python archive, lack what extraction now always fills.
 */
export type StoredHeaderRow = {
  [K in HeaderColumn]: (K extends keyof ReadBack ? ReadBack[K] : HeaderRow[K]) | null;
};
