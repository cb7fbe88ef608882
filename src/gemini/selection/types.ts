// The selection: what a Gemini archive URL such as /jsonsummary/GMOS-N/20190101-20190131/OBJECT/Pass
// asks for. Keys are the Gemini archive's own selection-dictionary keys (FitsStorage
// `Selection`), so that anyone who knows the archive, or reads its code, finds them where they
// expect: program_id, data_label, inst, qa_state, daterange ...
//
// Values are kept as the user wrote them after normalisation (official instrument spelling,
// ascending date range, `today` resolved to its date), so that selectionToString() gives the
// canonical URL back. Numbers and coordinates stay strings; they are interpreted (and their
// problems reported in `warnings`) by values.ts, the same way at parse time and at SQL time.

export type Telescope = 'Gemini-North' | 'Gemini-South';

/** QA terms: states, and the archive's shorthands for sets of states. */
export type QaTerm =
  'Pass' | 'Usable' | 'Fail' | 'CHECK' | 'Win' | 'NotFail' | 'Lucky' | 'AnyQA' | 'UndefinedQA';

export type ProcessingMode = 'Raw' | 'Quick-Look' | 'Science-Quality';

export type SpectroscopyMode = 'LS' | 'MOS' | 'IFS';

export interface Selection {
  [term: string]: unknown;

  // Identifiers. Only the most specific of program_id / observation_id / data_label is kept.
  program_id?: string;
  observation_id?: string;
  data_label?: string;
  /** file.name: with `.fits`, without `.bz2`. */
  filename?: string;
  /** Prefix of file.name (N2020, S202001 ...). */
  filepre?: string;

  // Where and what.
  telescope?: Telescope;
  /** Official instrument name as in the headers; 'GMOS' means GMOS-N or GMOS-S. */
  inst?: string;
  observation_type?: string;
  observation_class?: string;
  /** Calibration type (bias, processed_flat ...): used by calibration association, not by searches. */
  caltype?: string;
  processing?: ProcessingMode;
  reduction?: string;

  // When. Dates are YYYYMMDD, ranges 'YYYYMMDD-YYYYMMDD' with the earlier date first.
  /** UT day. */
  date?: string;
  daterange?: string;
  /** Observing night (the label in the site's filenames; see gemini/nights.ts). */
  night?: string;
  nightrange?: string;

  // Instrument configuration.
  disperser?: string;
  focal_plane_mask?: string;
  filter?: string;
  camera?: string;
  binning?: string;
  gain?: string;
  readspeed?: string;
  welldepth?: string;
  /** Detector read mode, '_' for ' ' (NodAndShuffle, Very_Faint_Objects ...). */
  readmode?: string;
  /** Pupil mask (GPI apodizer, NIRI pupil masks). */
  pupil_mask?: string;
  /** Detector ROI setting as stored ('Full Frame' also matches 'Fixed'). */
  detector_roi?: string;
  spectroscopy?: boolean;
  mode?: SpectroscopyMode;
  /** 'NOAO' is the archive's other spelling of NOTAO, kept as written. */
  ao?: 'AO' | 'NOTAO' | 'NOAO';
  lgs?: 'LGS' | 'NGS';

  // Quality and status.
  qa_state?: QaTerm;
  present?: boolean;
  canonical?: boolean;
  /** true: only engineering data; false: none; 'Include': both (overrides the default exclusion). */
  engineering?: boolean | 'Include';
  science_verification?: boolean;
  calprog?: boolean;
  site_monitoring?: boolean;
  mdready?: boolean;
  twilight?: boolean;
  pre_image?: boolean;
  /** A photometric standard star lies in the field (header.phot_standard). */
  photstandard?: boolean;
  /** GPI astrometric-standard frames (the ASTROMTC card). */
  gpi_astrometric_standard?: boolean;

  // Programs and publications (the program and publication tables).
  /** Words all found in the program's PI and co-I names (full-text search). */
  PIname?: string;
  /** Words all found in the program's title (full-text search). */
  ProgramText?: string;
  /** ADS bibcode of a publication that used the program's data. */
  publication?: string;

  // Files.
  /** diskfile.path: the file's directory under the store. */
  path?: string;
  /** When the version entered the archive (diskfile.entrytime), YYYYMMDD-YYYYMMDD, UT. */
  entrytimedaterange?: string;
  /** When the file last changed (diskfile.lastmod), YYYYMMDD-YYYYMMDD, UT. */
  lastmoddaterange?: string;
  /** DRAGONS processing tag of processed data (raw data always matches). */
  processing_tag?: string;
  /** Calibration report option (warnings, missing, requires, takenow): no effect on searches. */
  caloption?: string;

  // Target and numbers, as written (see values.ts).
  object?: string;
  ra?: string;
  dec?: string;
  /** Search radius: arcseconds unless suffixed (d/deg/degs degrees, m/arcmin arcminutes). */
  sr?: string;
  az?: string;
  el?: string;
  crpa?: string;
  exposure_time?: string;
  cenwlen?: string;
  coadds?: string;
  raw_iq?: string;
  raw_cc?: string;
  raw_wv?: string;
  raw_bg?: string;

  /** Column choice of the search form's result table; no effect on which rows match. */
  cols?: string;

  /** Problems with recognised terms (bad numbers, missing search radius), in the archive's words. */
  warnings: string[];
  /** Terms not understood, in URL order. */
  unrecognised: string[];
}

/** An empty selection: no terms. */
export function emptySelection(): Selection {
  return { warnings: [], unrecognised: [] };
}
