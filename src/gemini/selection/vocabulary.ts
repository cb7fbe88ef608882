// The words of the Gemini archive's URL grammar (FitsStorage gemini_metadata_utils and
// db/selection/get_selection.py), as recognised by archive.gemini.edu.
//
// Matching is exact (case-sensitive) as on the archive, except instruments, telescopes and
// detector-ROI words, which the archive also matches without regard to case.

import * as conventions from '../instruments/conventions.js';
import type { ProcessingMode, QaTerm, SpectroscopyMode, Telescope } from './types.js';

/** Lower-case name → the spelling the headers (and header.instrument) use. */
const INSTRUMENTS: Readonly<Record<string, string>> = {
  ...conventions.INSTRUMENT_NAMES,
  gmos: 'GMOS', // either GMOS
};

// Hokupaa+QUIRC is written every which way (hokupaa+quirc, HokupaaQUIRC, Hokupaaa+QUIRC).
const HOKUPAA_RE = /^hokupa+\+*quirc$/i;

export function instrumentName(term: string): string | null {
  const known = INSTRUMENTS[term.toLowerCase()];
  if (known) return known;
  return HOKUPAA_RE.test(term) ? 'Hokupaa+QUIRC' : null;
}

export function telescopeName(term: string): Telescope | null {
  const s = term.toLowerCase().replace(/[-_]/g, '');
  if (s === 'gemininorth') return 'Gemini-North';
  if (s === 'geminisouth') return 'Gemini-South';
  return null;
}

export const OBSERVATION_TYPES: ReadonlySet<string> = new Set(conventions.OBSERVATION_TYPES);

export const OBSERVATION_CLASSES: ReadonlySet<string> = new Set(conventions.OBSERVATION_CLASSES);

/** Calibration types (lower case so they never clash with observation types). */
export const CAL_TYPES: ReadonlySet<string> = new Set([
  'bias',
  'processed_bias',
  'dark',
  'processed_dark',
  'processed_bpm',
  'flat',
  'processed_flat',
  'arc',
  'processed_arc',
  'pinhole',
  'processed_pinhole',
  'processed_fringe',
  'ronchi_mask',
  'lampoff_flat',
  'qh_flat',
  'domeflat',
  'lampoff_domeflat',
  'mask',
  'slitillum',
  'processed_slitillum',
  'standard',
  'processed_standard',
  'telluric',
  'processed_telluric',
  'polarization_standard',
  'astrometric_standard',
  'polarization_flat',
  'specphot',
  'photometric_standard',
]);

export const PROCESSING_MODES: ReadonlySet<ProcessingMode> = new Set([
  'Raw',
  'Quick-Look',
  'Science-Quality',
]);

export const REDUCTION_STATES: ReadonlySet<string> = new Set([
  'RAW',
  'PREPARED',
  'PROCESSED_FLAT',
  'PROCESSED_BIAS',
  'PROCESSED_FRINGE',
  'PROCESSED_ARC',
  'PROCESSED_DARK',
  'PROCESSED_TELLURIC',
  'PROCESSED_SCIENCE',
  'PROCESSED_BPM',
  'PROCESSED_STANDARD',
  'PROCESSED_SLITILLUM',
  'PROCESSED_PINHOLE',
  'PROCESSED_UNKNOWN',
]);

const GMOS_GRATINGS: ReadonlySet<string> = new Set([
  'MIRROR',
  'B480',
  'B600',
  'R600',
  'R400',
  'R831',
  'R150',
  'B1200',
]);

/** A GMOS grating name (component id and '+' signs ignored), else null. */
export function gmosGrating(term: string): string | null {
  const i = term.indexOf('_G');
  const name = (i < 0 ? term : term.slice(0, i)).replace(/^\++|\++$/g, '');
  return GMOS_GRATINGS.has(name) ? name : null;
}

const GMOS_FACILITY_MASKS: ReadonlySet<string> = new Set([
  'NS2.0arcsec',
  'IFU-R',
  'IFU-B',
  'focus_array_new',
  'Imaging',
  '2.0arcsec',
  'NS1.0arcsec',
  'NS0.75arcsec',
  '5.0arcsec',
  '1.5arcsec',
  'IFU-2',
  'NS1.5arcsec',
  '0.75arcsec',
  '1.0arcsec',
  '0.5arcsec',
]);
// MOS mask names: GN2019AQ123-05 (older) and G2025A1234Q-01 (GPP).
const GMOS_MOS_MASK_RE = /^(?:G[NS]?20\d\d[ABFDLWVSX].\d{3}-\d\d|G20\d\d[AB]\d{4}[CDFLQSV]-\d\d)$/;

export function gmosFocalPlaneMask(term: string): string | null {
  return GMOS_FACILITY_MASKS.has(term) || GMOS_MOS_MASK_RE.test(term) ? term : null;
}

/** Binning such as 1x1, 2x4: each factor 1, 2, 4 or 8. */
export function binning(term: string): string | null {
  return /^[1248]x[1248]$/.test(term) ? term : null;
}

export const GAIN_SETTINGS: ReadonlySet<string> = new Set(conventions.GAIN_SETTINGS);
export const READSPEED_SETTINGS: ReadonlySet<string> = new Set(conventions.READSPEED_SETTINGS);
export const WELLDEPTH_SETTINGS: ReadonlySet<string> = new Set(conventions.WELLDEPTH_SETTINGS);

/** Detector read modes as URL words: astrodata's read_mode names with '_' for ' '. */
export const READMODE_SETTINGS: ReadonlySet<string> = new Set([
  'Classic',
  'NodAndShuffle',
  'Faint',
  'Faint_Object',
  'Faint_Objects',
  'Very_Faint_Objects',
  'Medium',
  'Medium_Object',
  'Bright',
  'Bright_Object',
  'Bright_Objects',
  'Very_Bright_Objects',
  'Low_Background',
  'Medium_Background',
  'High_Background',
]);

/** Options of the calibration reports (/calibrations): each sets `caloption` to itself. */
export const CAL_OPTIONS: ReadonlySet<string> = new Set(['warnings', 'missing', 'requires', 'takenow']);

export const QA_TERMS: ReadonlySet<QaTerm> = new Set([
  'Pass',
  'Usable',
  'Fail',
  'Win',
  'NotFail',
  'Lucky',
  'AnyQA',
  'CHECK',
  'UndefinedQA',
]);

export const SPECTROSCOPY_MODES: Readonly<Record<string, SpectroscopyMode>> = {
  LS: 'LS',
  MOS: 'MOS',
  IFS: 'IFS',
  IFU: 'IFS', // what people call it; header.mode says IFS
};

/** Lower-case URL word → header.detector_roi_setting. */
export const DETECTOR_ROI_WORDS: Readonly<Record<string, string>> = {
  fullframe: 'Full Frame',
  centralstamp: 'Central Stamp',
  centralspectrum: 'Central Spectrum',
  central768: 'Central768',
  central512: 'Central512',
  central256: 'Central256',
  custom: 'Custom',
};

/** Bare words that set a boolean selection key. */
export const BOOLEAN_WORDS: Readonly<Record<string, readonly [string, boolean | 'Include']>> = {
  imaging: ['spectroscopy', false],
  spectroscopy: ['spectroscopy', true],
  present: ['present', true],
  Present: ['present', true],
  notpresent: ['present', false],
  NotPresent: ['present', false],
  canonical: ['canonical', true],
  Canonical: ['canonical', true],
  notcanonical: ['canonical', false],
  NotCanonical: ['canonical', false],
  engineering: ['engineering', true],
  notengineering: ['engineering', false],
  includeengineering: ['engineering', 'Include'],
  science_verification: ['science_verification', true],
  notscience_verification: ['science_verification', false],
  calprog: ['calprog', true],
  notcalprog: ['calprog', false],
  site_monitoring: ['site_monitoring', true],
  not_site_monitoring: ['site_monitoring', false],
  mdgood: ['mdready', true],
  mdbad: ['mdready', false],
  photstandard: ['photstandard', true],
  gpi_astrometric_standard: ['gpi_astrometric_standard', true],
};

/** key=value keys (as written in URLs) → selection key. */
export const KEY_VALUE_KEYS: Readonly<Record<string, string>> = {
  filename: 'filename',
  filepre: 'filepre',
  disperser: 'disperser',
  camera: 'camera',
  mask: 'focal_plane_mask',
  filter: 'filter',
  Filter: 'filter',
  az: 'az',
  Az: 'az',
  azimuth: 'az',
  Azimuth: 'az',
  el: 'el',
  El: 'el',
  elevation: 'el',
  Elevation: 'el',
  ra: 'ra',
  RA: 'ra',
  dec: 'dec',
  Dec: 'dec',
  sr: 'sr',
  SR: 'sr',
  crpa: 'crpa',
  CRPA: 'crpa',
  cenwlen: 'cenwlen',
  exposure_time: 'exposure_time',
  coadds: 'coadds',
  raw_cc: 'raw_cc',
  raw_iq: 'raw_iq',
  raw_wv: 'raw_wv',
  raw_bg: 'raw_bg',
  gain: 'gain',
  readspeed: 'readspeed',
  welldepth: 'welldepth',
  detector_roi: 'detector_roi',
  binning: 'binning',
  object: 'object',
  Object: 'object',
  cols: 'cols',
  date: 'date',
  daterange: 'daterange',
  night: 'night',
  nightrange: 'nightrange',
  progid: 'progid',
  obsid: 'obsid',
  datalabel: 'datalabel',
  inst: 'inst',
  instrument: 'inst',
  pupil_mask: 'pupil_mask',
  publication: 'publication',
  PIname: 'PIname',
  ProgramText: 'ProgramText',
  readmode: 'readmode',
  path: 'path',
  entrytimedaterange: 'entrytimedaterange',
  lastmoddaterange: 'lastmoddaterange',
  processing_tag: 'processing_tag',
};

/** Filename prefixes a bare term may start with to be read as `filepre` (good through 2029). */
export const FILEPRE_STARTS: ReadonlySet<string> = new Set(['N200', 'N201', 'N202', 'S200', 'S201', 'S202']);
