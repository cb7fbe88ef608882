// Interpretation of the numeric key=value terms (ra, dec, sr, exposure_time, cenwlen, az, el,
// crpa, coadds, raw_iq ...). Used twice: when parsing (to report problems in `warnings`, with the
// archive's wording) and when building SQL (to get the numbers). An invalid value constrains
// nothing, as on the archive, and says so in a warning.

import type { Selection } from './types.js';

export type Interpreted<T> = { ok: true; value: T; warning?: string } | { ok: false; warning: string };

const NUMBER_RE = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;

/** A plain decimal number, else null (no hex, no Infinity, no blanks: Number('') is 0). */
function decimal(s: string): number | null {
  const t = s.trim();
  return NUMBER_RE.test(t) ? Number(t) : null;
}

// [+-]D:M[:S], D M S, 12h30m15.5s, -30d15m10s
const SEXAGESIMAL_RE =
  /^([+-]?)\s*(\d{1,3})(?:\s*[:hHdD°]\s*|\s+)(\d{1,2})(?:(?:\s*[:mM'′]\s*|\s+)(\d{1,2}(?:\.\d*)?)\s*[sS"″]?|\s*[mM'′])?\s*$/;

function sexagesimal(s: string): { negative: boolean; value: number } | null {
  const m = SEXAGESIMAL_RE.exec(s.trim());
  if (!m) return null;
  const [whole, min, sec] = [Number(m[2]), Number(m[3]), m[4] === undefined ? 0 : Number(m[4])];
  if (min >= 60 || sec >= 60) return null;
  return { negative: m[1] === '-', value: whole + min / 60 + sec / 3600 };
}

/** RA in decimal degrees from decimal degrees or sexagesimal hours (HH:MM:SS.s, 12h30m). */
export function raToDegrees(s: string): number | null {
  const d = decimal(s);
  if (d !== null) return d >= 0 && d <= 360 ? d : null;
  const sx = sexagesimal(s);
  if (!sx || sx.negative || sx.value >= 24) return null;
  return sx.value * 15;
}

/** Dec in decimal degrees from decimal degrees or sexagesimal degrees ([+-]DD:MM:SS.s). */
export function decToDegrees(s: string): number | null {
  const d = decimal(s);
  if (d !== null) return d >= -90 && d <= 90 ? d : null;
  const sx = sexagesimal(s);
  if (!sx || sx.value > 90) return null;
  return sx.negative ? -sx.value : sx.value;
}

/**
 * Search radius in degrees. The archive's unit is the arcsecond; a `d`/`deg`/`degs` suffix means
 * degrees, `m`/`arcmin`/`'` arcminutes, `s`/`arcsec`/`"` arcseconds.
 */
export function searchRadiusDegrees(s: string): number | null {
  const m = /^\s*(\d+\.?\d*|\.\d+)\s*(d|deg|degs|degrees|m|arcmin|'|s|arcsec|")?\s*$/i.exec(s);
  if (!m) return null;
  const v = Number(m[1]);
  const unit = (m[2] ?? 's').toLowerCase();
  if (unit.startsWith('d')) return v;
  if (unit === 'm' || unit === 'arcmin' || unit === "'") return v / 60;
  return v / 3600;
}

/** The archive's default when a position is given without a radius: 180 arcsec. */
export const DEFAULT_SEARCH_RADIUS_DEG = 180 / 3600;

export interface DegreeInterval {
  lo: number;
  hi: number;
}

export interface PositionConstraint {
  /** Single RA and Dec: everything within `radius` degrees (great-circle distance). */
  cone?: { ra: number; dec: number; radius: number };
  /** RA window [lo, hi); lo > hi means it wraps through 0h. */
  ra?: DegreeInterval;
  /** Dec window [lo, hi). */
  dec?: DegreeInterval;
  warnings: string[];
}

function radiusOf(sel: Selection, warnings: string[]): number {
  if (sel.sr === undefined) {
    warnings.push('No Search Radius given, defaulting to 3 arcmin');
    return DEFAULT_SEARCH_RADIUS_DEG;
  }
  const r = searchRadiusDegrees(sel.sr);
  if (r === null) {
    warnings.push('Invalid Search Radius, defaulting to 3 arcmin');
    return DEFAULT_SEARCH_RADIUS_DEG;
  }
  return r;
}

const DEC_RANGE_RE = /^([+-]?[\d:.]+)-([+-]?[\d:.]+)$/;

/** The position constraint of ra / dec / sr terms, as the archive reads them. */
export function positionConstraint(sel: Selection): PositionConstraint {
  const out: PositionConstraint = { warnings: [] };
  let radius: number | undefined;
  let cosdec = 1;
  let singleDec: number | undefined;

  if (sel.dec !== undefined) {
    const range = DEC_RANGE_RE.exec(sel.dec.trim());
    if (range) {
      const a = decToDegrees(range[1]);
      const b = decToDegrees(range[2]);
      if (a === null || b === null) {
        out.warnings.push('Invalid Dec range format. Ignoring your Dec constraint.');
      } else {
        // Negative ranges are usually written backwards (-20--30): take them either way round.
        out.dec = { lo: Math.min(a, b), hi: Math.max(a, b) };
        cosdec = Math.cos(((a + b) / 2) * (Math.PI / 180));
      }
    } else {
      const d = decToDegrees(sel.dec);
      if (d === null) {
        out.warnings.push('Invalid Dec format. Ignoring your Dec constraint.');
      } else {
        radius = radiusOf(sel, out.warnings);
        singleDec = d;
        out.dec = { lo: d - radius, hi: d + radius };
        cosdec = Math.cos(d * (Math.PI / 180));
      }
    }
  }

  if (sel.ra !== undefined) {
    const parts = sel.ra.split('-');
    if (parts.length === 1) {
      const r = raToDegrees(parts[0]);
      if (r === null) {
        out.warnings.push('Invalid RA format. Ignoring your RA constraint.');
      } else if (singleDec !== undefined && radius !== undefined) {
        out.cone = { ra: r, dec: singleDec, radius };
        delete out.dec;
      } else {
        radius ??= radiusOf(sel, out.warnings);
        // A window of sr on the sky is sr / cos(dec) wide in RA.
        const half = cosdec > 1e-9 ? radius / cosdec : 360;
        if (half < 180) out.ra = { lo: norm360(r - half), hi: norm360(r + half) };
      }
    } else if (parts.length === 2) {
      const a = raToDegrees(parts[0]);
      const b = raToDegrees(parts[1]);
      if (a === null || b === null)
        out.warnings.push('Invalid RA range format. Ignoring your RA constraint.');
      else out.ra = { lo: a, hi: b };
    } else {
      out.warnings.push('Invalid RA format. Ignoring your RA constraint.');
    }
  }
  return out;
}

function norm360(d: number): number {
  return ((d % 360) + 360) % 360;
}

/** exposure_time: a value (±0.5 s, not below 0) or a range `a-b`; both ends inclusive. */
export function exposureTimeRange(s: string): Interpreted<DegreeInterval> {
  const t = s.replace(/\s/g, '');
  const m = /^(\d+\.?\d*|\.\d+)-(\d+\.?\d*|\.\d+)$/.exec(t);
  if (m) {
    const [a, b] = [Number(m[1]), Number(m[2])];
    return { ok: true, value: { lo: Math.min(a, b), hi: Math.max(a, b) } };
  }
  const v = decimal(t);
  if (v === null || v < 0) return { ok: false, warning: 'Invalid format for exposure time, ignoring it.' };
  return { ok: true, value: { lo: Math.max(0, v - 0.5), hi: v + 0.5 } };
}

/** cenwlen in microns: a value (±0.1) or a range; ends exclusive; clipped to 0.2..30 as the archive does. */
export function centralWavelengthRange(s: string): Interpreted<DegreeInterval> {
  const invalid = { ok: false, warning: 'Central Wavelength value is invalid and has been ignored' } as const;
  const parts = s.split('-');
  let lo: number | null;
  let hi: number | null;
  if (parts.length === 1) {
    const v = decimal(parts[0]);
    if (v === null) return invalid;
    [lo, hi] = [v - 0.1, v + 0.1];
  } else if (parts.length === 2) {
    [lo, hi] = [decimal(parts[0]), decimal(parts[1])];
    if (lo === null || hi === null) return invalid;
  } else {
    return invalid;
  }
  if (lo > hi) [lo, hi] = [hi, lo];
  const clip = 'Invalid Central wavelength value. Value should be in microns, >0.2 and <30.0';
  if (hi < 0.2 || lo > 30) return { ok: false, warning: `${clip} - Ignoring terms` };
  if (lo < 0.2 || hi > 30) {
    return { ok: true, value: { lo: Math.max(lo, 0.2), hi: Math.min(hi, 30) }, warning: clip };
  }
  return { ok: true, value: { lo, hi } };
}

/** az / el / crpa: a range `a-b` (degrees); [a, b). */
export function degreeRange(s: string, what: string): Interpreted<DegreeInterval> {
  const m = /^(-?\d*\.?\d*)-(-?\d*\.?\d*)$/.exec(s.trim());
  const a = m ? decimal(m[1]) : null;
  const b = m ? decimal(m[2]) : null;
  if (a === null || b === null)
    return { ok: false, warning: `Invalid ${what} range, write it as low-high. Ignoring it.` };
  return { ok: true, value: { lo: a, hi: b } };
}

export function coaddsValue(s: string): Interpreted<number> {
  const t = s.trim();
  if (!/^\d{1,9}$/.test(t)) return { ok: false, warning: 'Invalid number of coadds, ignoring it.' };
  return { ok: true, value: Number(t) };
}

/**
 * Observing-condition percentile from raw_iq / raw_cc / raw_wv / raw_bg: 20, IQ20, 20-percentile;
 * Any (or 100) is the 100th percentile.
 */
export function percentileValue(s: string, what: string): Interpreted<number> {
  const m = /^(?:IQ|CC|WV|BG)?(\d{1,3}|any)(?:-?percentile)?$/i.exec(s.trim());
  const v = m ? (m[1].toLowerCase() === 'any' ? 100 : Number(m[1])) : NaN;
  if (!(v >= 0 && v <= 100)) return { ok: false, warning: `Invalid ${what} value, ignoring it.` };
  return { ok: true, value: v };
}

/** Warnings for every numeric term of a selection (used by parseSelection). */
export function valueWarnings(sel: Selection): string[] {
  const out: string[] = [];
  const add = (r: { warning?: string }) => {
    if (r.warning) out.push(r.warning);
  };
  if (sel.ra !== undefined || sel.dec !== undefined) out.push(...positionConstraint(sel).warnings);
  if (sel.exposure_time !== undefined) add(exposureTimeRange(sel.exposure_time));
  if (sel.cenwlen !== undefined) add(centralWavelengthRange(sel.cenwlen));
  if (sel.az !== undefined) add(degreeRange(sel.az, 'azimuth'));
  if (sel.el !== undefined) add(degreeRange(sel.el, 'elevation'));
  if (sel.crpa !== undefined) add(degreeRange(sel.crpa, 'CRPA'));
  if (sel.coadds !== undefined) add(coaddsValue(sel.coadds));
  for (const k of ['raw_iq', 'raw_cc', 'raw_wv', 'raw_bg'] as const) {
    const v = sel[k];
    if (v !== undefined) add(percentileValue(v, k));
  }
  return out;
}
