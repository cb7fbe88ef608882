// Header → `header` table row. Reads a file's HDU headers and derives the archive's metadata
// fields (program, timing, instrument configuration, conditions, QA, type tags), following the
// Gemini archive's conventions so that searches and /jsonsummary agree with it. Pure: no I/O.
//
// Every field is extracted on its own and a failure there gives null for that field only:
// real headers carry junk (strings for numbers, -9999 sentinels) and one bad card must not
// keep the file out of the archive.

import type { CardValue, Header } from '../fits/types.js';
import {
  QA_STATES,
  type HeaderRow,
  type Mode,
  type Processing,
  type QaState,
  type Reduction,
} from './headerrow.js';
import { HeaderSet } from './instruments/headers.js';
import {
  GAIN_SETTINGS,
  generic,
  genericTags,
  OBSERVATION_CLASSES,
  OBSERVATION_TYPES,
  READSPEED_SETTINGS,
  WELLDEPTH_SETTINGS,
  wavelengthBand,
} from './instruments/generic.js';
import { instrumentFor } from './instruments/index.js';
import { resolveTags } from './instruments/tags.js';
import { formatTimeOfDay, formatUtMicros } from './instruments/time.js';
import type { Ctx, Descriptors, Instrument } from './instruments/types.js';
import { isCalibrationProgram, isEngineering, isScienceVerification } from './progid.js';

/** DRAGONS' PROCMODE card → the archive's processing name. */
const PROCMODE_PROCESSING: Readonly<Record<string, Processing>> = { sq: 'Science-Quality', ql: 'Quick-Look' };

export interface MetadataOptions {
  /** The file's name, used where headers fall short (dates of very old files). */
  filename?: string;
}

/** What a processed calibration is, from its type tag. */
const PROCESSED_KINDS: ReadonlyArray<[string, Reduction]> = [
  ['FLAT', 'PROCESSED_FLAT'],
  ['BIAS', 'PROCESSED_BIAS'],
  ['FRINGE', 'PROCESSED_FRINGE'],
  ['DARK', 'PROCESSED_DARK'],
  ['ARC', 'PROCESSED_ARC'],
  ['STANDARD', 'PROCESSED_STANDARD'],
  ['SLITILLUM', 'PROCESSED_SLITILLUM'],
  ['BPM', 'PROCESSED_BPM'],
  ['PINHOLE', 'PROCESSED_PINHOLE'],
];

function modeOf(tags: ReadonlySet<string>): Mode {
  let mode: Mode = 'imaging';
  if (tags.has('SPECT')) {
    mode = 'spectroscopy';
    if (tags.has('IFU')) mode = 'IFS';
    if (tags.has('MOS')) mode = 'MOS';
    if (tags.has('LS')) mode = 'LS';
  }
  if (tags.has('GPI') && tags.has('POL')) mode = 'IFP';
  return mode;
}

/**
 * The calibration a processed file's name says it is: DRAGONS and the Gemini IRAF scripts end
 * their outputs' names in the kind, sometimes followed by further steps
 * ('N20120320S0328_stack_fringe', 'S20140124S0039_dark', 'N20200101S0001_flat_pasted').
 */
const NAME_KINDS: Readonly<Record<string, Reduction>> = {
  flat: 'PROCESSED_FLAT',
  bias: 'PROCESSED_BIAS',
  dark: 'PROCESSED_DARK',
  arc: 'PROCESSED_ARC',
  fringe: 'PROCESSED_FRINGE',
  standard: 'PROCESSED_STANDARD',
  telluric: 'PROCESSED_TELLURIC',
  slitillum: 'PROCESSED_SLITILLUM',
  bpm: 'PROCESSED_BPM',
  pinhole: 'PROCESSED_PINHOLE',
};

function reductionFromName(filename: string | undefined): Reduction | undefined {
  if (!filename) return undefined;
  const stem = filename.replace(/\.(bz2|gz|fz)$/i, '').replace(/\.fits?$/i, '');
  // The words after the observation's own name (N20120320S0328, 2004may19_0255 ...).
  const words = stem.split('_').slice(1);
  for (const w of words) {
    const kind = NAME_KINDS[w.toLowerCase()];
    if (kind) return kind;
  }
  return undefined;
}

/** From the tags (keywords the reduction wrote); a name suffix only when they say nothing. */
function reductionOf(tags: ReadonlySet<string>, filename: string | undefined): Reduction {
  if (tags.has('PROCESSED_SCIENCE')) return 'PROCESSED_SCIENCE';
  if (tags.has('PROCESSED')) {
    for (const [tag, reduction] of PROCESSED_KINDS) if (tags.has(tag)) return reduction;
    return 'PROCESSED_UNKNOWN';
  }
  const byName = reductionFromName(filename);
  if (byName) return byName;
  if (tags.has('PREPARED')) return 'PREPARED';
  return 'RAW';
}

function safe<T>(fn: () => T | undefined): T | null {
  try {
    const v = fn();
    if (v === undefined || v === null) return null;
    if (typeof v === 'number' && !Number.isFinite(v)) return null;
    return v;
  } catch {
    return null;
  }
}

function within(v: number | null, lo: number, hi: number): number | null {
  return v !== null && v >= lo && v <= hi ? v : null;
}

/** Round to the scale of the archive's numeric column, so the row holds what the table will. */
function scale(v: number | null, digits: number): number | null {
  if (v === null) return null;
  const f = 10 ** digits;
  return Math.round(v * f) / f;
}

/** Build the context of a file: its instrument module, merged descriptors and resolved tags. */
function describe(hdus: readonly Header[], opts: MetadataOptions = {}): Ctx {
  const h = new HeaderSet(hdus);
  const inst: Instrument = instrumentFor(h);
  const d: Descriptors = { ...generic, ...inst.descriptors };
  const rules = [...genericTags(h), ...(inst.tags?.(h) ?? [])];
  const tags = resolveTags(rules);
  return { h, tags, filename: opts.filename, d, inst };
}

/** Derive the header-table row of a file from its headers (primary first). */
export function extractMetadata(hdus: readonly Header[], opts: MetadataOptions = {}): HeaderRow {
  const c = describe(hdus, opts);
  const { d, tags } = c;
  const get = <T>(fn: (c: Ctx) => T | undefined): T | null => safe(() => fn(c));

  const programId = get(d.programId);
  const azel = tags.has('AZEL_TARGET');
  const utMicros = get(d.utDatetime);
  const localMicros = get(d.localTime);
  const xbin = get(d.detectorXBin);
  const ybin = get(d.detectorYBin);
  // As the archive: a GHOST bundle (several cameras in one file) carries no SPECT tag of its own.
  const spectroscopy = tags.has('SPECT');
  // Only the archive's vocabularies are stored (both are enums there).
  const observationType = oneOf(get(d.observationType), OBSERVATION_TYPES);
  const exposure = get(d.exposureTime);
  const qa = observationType === 'MASK' ? 'Pass' : get(d.qaState);
  const reduction = reductionOf(tags, c.filename);
  const procmode = c.h.str('PROCMODE')?.toLowerCase() ?? null;

  return {
    program_id: programId,
    observation_id: get(d.observationId),
    data_label: get(d.dataLabel),
    telescope: get(d.telescope),
    instrument: get(d.instrument),
    ut_datetime: utMicros === null ? null : formatUtMicros(utMicros),
    local_time: localMicros === null ? null : formatTimeOfDay({ micros: localMicros }),
    observation_type: observationType,
    observation_class: oneOf(get(d.observationClass), OBSERVATION_CLASSES),
    object: get(d.object),
    // Alt-az (parked, zenith) pointings have no meaningful sky position.
    ra: azel ? null : scale(within(get(d.ra), 0, 360), 12),
    dec: azel ? null : scale(within(get(d.dec), -90, 90), 12),
    azimuth: scale(get(d.azimuth), 12),
    elevation: scale(get(d.elevation), 12),
    cass_rotator_pa: scale(get(d.cassRotatorPa), 12),
    airmass: scale(within(get(d.airmass), 1, 50), 6),
    // numeric(8,4) in the archive: junk exposure times are dropped rather than overflowing.
    exposure_time: scale(exposure !== null && exposure >= 0 && exposure < 10000 ? exposure : null, 4),
    filter_name: get(d.filterName)?.replace(/%/g, '').replace(/ /g, '_') ?? null,
    disperser: get(d.disperser)?.replace(/\//g, '_') ?? null,
    camera: get(d.camera),
    central_wavelength: tags.has('SPECT') && !tags.has('GPI') ? scale(get(d.centralWavelength), 6) : null,
    wavelength_band: get((x) => wavelengthBand(d.effectiveWavelength(x))),
    focal_plane_mask: get(d.focalPlaneMask),
    detector_binning: xbin !== null && ybin !== null ? `${Math.trunc(xbin)}x${Math.trunc(ybin)}` : null,
    detector_roi_setting: get(d.detectorRoiSetting),
    detector_gain_setting: oneOf(get(d.gainSetting), GAIN_SETTINGS),
    detector_readspeed_setting: oneOf(get(d.readSpeedSetting), READSPEED_SETTINGS),
    detector_welldepth_setting: oneOf(get(d.wellDepthSetting), WELLDEPTH_SETTINGS),
    detector_readmode_setting: get(d.readMode),
    coadds: get(d.coadds),
    spectroscopy,
    mode: modeOf(tags),
    adaptive_optics: get(d.adaptiveOptics) ?? false,
    laser_guide_star: get(d.laserGuideStar) ?? false,
    wavefront_sensor: get(d.wavefrontSensor),
    gcal_lamp: get(d.gcalLamp),
    raw_iq: get(d.rawIq),
    raw_cc: get(d.rawCc),
    raw_wv: get(d.rawWv),
    raw_bg: get(d.rawBg),
    requested_iq: get(d.requestedIq),
    requested_cc: get(d.requestedCc),
    requested_wv: get(d.requestedWv),
    requested_bg: get(d.requestedBg),
    qa_state: isQaState(qa) ? qa : 'Undefined',
    release: get(d.release),
    proprietary_coordinates: c.h.phu.get('PROP_MD') === true,
    reduction,
    // A missing or malformed program id is engineering data, as in the archive.
    engineering: isEngineering(programId),
    science_verification: isScienceVerification(programId),
    calibration_program: isCalibrationProgram(programId),
    procmode,
    processing:
      procmode !== null ? (PROCMODE_PROCESSING[procmode] ?? null) : reduction === 'RAW' ? 'Raw' : null,
    phot_standard: null,
    types: [...tags].sort(),
    keywords: primaryKeywords(c.h.phu),
  };
}

function isQaState(v: string | null): v is QaState {
  return v !== null && (QA_STATES as readonly string[]).includes(v);
}

function oneOf(v: string | null, allowed: readonly string[]): string | null {
  return v !== null && allowed.includes(v) ? v : null;
}

function primaryKeywords(phu: Header): Record<string, CardValue> {
  const out: Record<string, CardValue> = {};
  for (const card of phu.cards) {
    if (card.value === undefined || card.keyword === '' || card.keyword in out) continue;
    out[card.keyword] = card.value;
  }
  return out;
}
