// A calibration request posted by DRAGONS: the frame is described by its descriptors and tags
// (it need not be in our database), and we turn that description into the Target our rules
// read. DRAGONS sends astrodata's raw descriptor values; the header table holds the archive's
// "pretty" ones, so every value is normalised here the way ingest normalises headers:
//   disperser   'R400+_G5305'          → 'R400'   (component id gone; GMOS '+' gone)
//   filter_name 'open1-6&GG455_G0305'  → 'GG455'  (open/clear/ND positions dropped)
//   central_wavelength in µm (DRAGONS asks asMicrometers); nm or metres are recognised by size
//   spectroscopy from the SPECT tag, reduction from PROCESSED/PREPARED, engineering from the
//   program id, GMOS DETTYPE from detector_name (or the amplifier names in amp_read_area).
//
// Two request forms (src/server/routes/calmgr.ts reads both):
//   DRAGONS ≥ 4.1: a JSON body {"tags": [...], "descriptors": {...}} (dates as ISO strings)
//   DRAGONS ≤ 4.0: urlencoded descriptors=<Python dict repr>&types=<Python set/list repr>

import { combineFilters } from '../gemini/instruments/generic.js';
import { canonicalInstrument } from '../gemini/instruments/conventions.js';
import { removeComponentId } from '../gemini/instruments/headers.js';
import { isEngineering } from '../gemini/progid.js';
import { parsePyRepr, type PyValue } from './pyrepr.js';
import type { Target } from './types.js';

export interface CalRequest {
  descriptors: Record<string, PyValue>;
  tags: string[];
}

export class CalRequestError extends Error {
  override name = 'CalRequestError';
}

function asObject(v: unknown, what: string): Record<string, PyValue> {
  if (v === null || typeof v !== 'object' || Array.isArray(v) || v instanceof Date)
    throw new CalRequestError(`${what}: expected a dictionary of descriptor values`);
  return v as Record<string, PyValue>;
}

function asTags(v: unknown, what: string): string[] {
  if (!Array.isArray(v) || !v.every((t) => typeof t === 'string'))
    throw new CalRequestError(`${what}: expected a list of tag names`);
  return v as string[];
}

/** The body of a calibration request, JSON or urlencoded Python reprs, whatever it was labelled. */
export function parseCalRequest(body: string): CalRequest {
  const text = body.trim();
  if (text === '') throw new CalRequestError('empty request body: expected descriptors and tags');
  if (text.startsWith('{')) {
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch (e) {
      throw new CalRequestError(`request body is not valid JSON: ${(e as Error).message}`);
    }
    const o = asObject(json, 'request body');
    return {
      descriptors: asObject(o.descriptors, 'descriptors'),
      tags: asTags(o.tags ?? o.types ?? [], 'tags'),
    };
  }
  const form = new URLSearchParams(text);
  const d = form.get('descriptors');
  const t = form.get('types');
  if (d === null) throw new CalRequestError('request body has no descriptors= field');
  const read = (s: string, what: string) => {
    try {
      return parsePyRepr(s);
    } catch (e) {
      throw new CalRequestError(`${what}: ${(e as Error).message}`);
    }
  };
  return {
    descriptors: asObject(read(d, 'descriptors'), 'descriptors'),
    tags: asTags(t === null ? [] : read(t, 'types'), 'types'),
  };
}

const str = (v: PyValue | undefined): string | null =>
  v === null || v === undefined || v === '' ? null : typeof v === 'string' ? v : String(v);

const num = (v: PyValue | undefined): number | null => {
  const n = typeof v === 'number' ? v : typeof v === 'string' && v.trim() !== '' ? Number(v) : NaN;
  return Number.isFinite(n) ? n : null;
};

/** 'A_G1&B_G2' → ['A', 'B']. */
const parts = (v: string): string[] => v.split('&').map((p) => removeComponentId(p.trim()));

export function normaliseDisperser(v: string | null, instrument: string | null): string | null {
  if (v === null) return null;
  const joined = parts(v).join('&');
  return instrument?.startsWith('GMOS') ? joined.replace(/^\++|\++$/g, '') : joined;
}

export function normaliseFilter(v: string | null): string | null {
  return v === null ? null : combineFilters(parts(v));
}

/** Microns, whatever unit DRAGONS used: µm as asked, nm (> 100) or metres (< 0.01) by size. */
export function normaliseWavelength(v: number | null): number | null {
  if (v === null || v <= 0) return null;
  if (v > 100) return v / 1000;
  if (v < 0.01) return v * 1e6;
  return v;
}

/**
 * GMOS DETTYPE from what DRAGONS sends: detector_name is DETID (the CCD serials, e.g.
 * 'BI5-36-4k-2,BI11-33-4k-1,BI12-34-4k-1'), its pretty form ('Hamamatsu-S', 'e2vDD', 'EEV'), or
 * DETTYPE itself; amp_read_area names the CCD of each amplifier ("'BI5-36-4k-2, 1':[1:512,1:4224]").
 */
export function gmosDettype(
  instrument: string | null,
  detectorName: string | null,
  ampReadArea: string | null,
): string | null {
  const known = ['S10892', 'S10892-N', 'SDSU II CCD', 'SDSU II e2v DD CCD42-90'];
  if (detectorName && known.includes(detectorName)) return detectorName;
  const s = `${detectorName ?? ''} ${ampReadArea ?? ''}`;
  const north = instrument === 'GMOS-N';
  if (/Hamamatsu-N/i.test(s)) return 'S10892-N';
  if (/Hamamatsu-S/i.test(s)) return 'S10892';
  if (/\bBI\d+-\d+-4k/.test(s) || /Hamamatsu/i.test(s)) return north ? 'S10892-N' : 'S10892';
  if (/e2v/i.test(s)) return 'SDSU II e2v DD CCD42-90';
  if (/EEV/.test(s)) return 'SDSU II CCD';
  return null;
}

// GNIRS read modes (astrodata's lookup): (LNRS, NDAVGS) of each named mode.
const GNIRS_READ_MODES: Readonly<Record<string, [number, number]>> = {
  'Very Faint Objects': [32, 16],
  'Faint Objects': [16, 16],
  'Bright Objects': [1, 16],
  'Very Bright Objects': [1, 1],
};

function readModeKeywords(
  instrument: string | null,
  d: Record<string, PyValue>,
): Record<string, string | null> {
  const out: Record<string, string | null> = {};
  const mode = str(d.read_mode);
  const lnrs = num(d.lnrs ?? d.LNRS);
  const ndavgs = num(d.ndavgs ?? d.NDAVGS);
  if (lnrs !== null) out.LNRS = String(lnrs);
  if (ndavgs !== null) out.NDAVGS = String(ndavgs);
  // F2's read mode is its number of read pairs, LNRS.
  if (instrument === 'F2' && mode !== null && /^\d+$/.test(mode)) out.LNRS ??= mode;
  if (instrument === 'GNIRS' && mode !== null && GNIRS_READ_MODES[mode]) {
    out.LNRS ??= String(GNIRS_READ_MODES[mode][0]);
    out.NDAVGS ??= String(GNIRS_READ_MODES[mode][1]);
  }
  return out;
}

function utDatetime(v: PyValue | undefined): Date | null {
  if (v instanceof Date) return v;
  if (typeof v !== 'string') return null;
  // DRAGONS sends isoformat() of a naive UT datetime: read it as UT.
  const iso = /[zZ]|[+-]\d\d:?\d\d$/.test(v) ? v : `${v}Z`;
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? null : d;
}

function binning(d: Record<string, PyValue>): string | null {
  const b = str(d.detector_binning);
  if (b) return b;
  const x = num(d.detector_x_bin);
  const y = num(d.detector_y_bin);
  return x !== null && y !== null ? `${x}x${y}` : null;
}

function reductionOf(tags: ReadonlySet<string>): string {
  if (tags.has('PROCESSED')) return 'PROCESSED_UNKNOWN';
  return tags.has('PREPARED') ? 'PREPARED' : 'RAW';
}

/** A posted frame as the Target the association rules read. The id 0 matches no header. */
export function targetFromRequest(
  rq: CalRequest,
  procmode: string | null = null,
): Target & { data_label: string | null } {
  const d = rq.descriptors;
  const tags = new Set(rq.tags);
  const rawInstrument = str(d.instrument);
  const instrument = rawInstrument === null ? null : canonicalInstrument(rawInstrument);
  const programId = str(d.program_id);
  const keywordText = readModeKeywords(instrument, d);
  if (instrument?.startsWith('GMOS')) {
    const dettype = gmosDettype(instrument, str(d.detector_name), str(d.amp_read_area));
    if (dettype) keywordText.DETTYPE = dettype;
  }
  let mask = str(d.focal_plane_mask);
  if (mask !== null) mask = parts(mask).join('&');
  if (instrument?.startsWith('GMOS') && (mask === 'None' || mask === null) && !tags.has('SPECT'))
    mask = 'Imaging';
  const camera = str(d.camera);
  return {
    id: 0,
    data_label: str(d.data_label),
    ut_datetime: utDatetime(d.ut_datetime),
    observation_type: str(d.observation_type),
    reduction: reductionOf(tags),
    types: [...tags],
    // A missing or malformed program id is engineering data, as in the archive.
    engineering: tags.has('ENGINEERING') || isEngineering(programId),
    keywordText,
    procmode,
    instrument,
    observation_class: str(d.observation_class),
    object: str(d.object),
    exposure_time: num(d.exposure_time),
    filter_name: normaliseFilter(str(d.filter_name)),
    disperser: normaliseDisperser(str(d.disperser), instrument),
    camera: camera === null ? null : parts(camera).join('&'),
    central_wavelength: normaliseWavelength(num(d.central_wavelength)),
    focal_plane_mask: mask,
    detector_binning: binning(d),
    detector_roi_setting: str(d.detector_roi_setting),
    detector_gain_setting: str(d.gain_setting ?? d.detector_gain_setting),
    detector_readspeed_setting: str(d.read_speed_setting ?? d.detector_readspeed_setting),
    detector_welldepth_setting: str(d.well_depth_setting ?? d.detector_welldepth_setting),
    coadds: num(d.coadds),
    spectroscopy: tags.has('SPECT'),
    gcal_lamp: str(d.gcal_lamp),
    elevation: num(d.elevation),
  };
}

/** caltype and procmode of a POST path: <caltype>[/<procmode>][/<filename>]. */
export function requestPath(path: string): { caltype: string | null; procmode: string | null } {
  const terms = path.split('/').filter((t) => t !== '');
  return {
    caltype: terms[0] ?? null,
    procmode: terms.length > 1 && ['sq', 'ql', 'qa'].includes(terms[1]) ? terms[1] : null,
  };
}
