// Gemini-wide header rules: what every Gemini file means unless its instrument says otherwise.
// These follow the keywords and conventions of the Gemini archive (astrodata's AstroDataGemini
// descriptors and FitsStorage's clean-ups), so that values match what the archive reports.

import {
  canonicalInstrument,
  canonicalTelescope,
  FILTER_WAVELENGTHS,
  OBSERVATION_CLASSES,
  OBSERVATION_TYPES,
  parsePercentile,
  qaStateOf,
} from './conventions.js';
import type { HeaderSet } from './headers.js';
import { numOf, removeComponentId, sexagesimal, strOf } from './headers.js';
import type { TagRule } from './tags.js';
import { mjdToMicros, parseIsoDate, parseIsoDatetime, parseTimeOfDay } from './time.js';
import type { Ctx, Descriptors } from './types.js';
import { imageCentre } from './wcs.js';

// The vocabularies live in conventions.ts; instrument modules and callers take them from here.
export * from './conventions.js';

/** Component id removed (the archive always asks for the "pretty" names). */
export function pretty(s: string | undefined): string | undefined {
  return s === undefined ? undefined : removeComponentId(s);
}

/** Degrees from an RA card: numbers are degrees, sexagesimal strings are hours. */
export function raDegrees(v: string | number | boolean | null | undefined): number | undefined {
  if (typeof v === 'number') return v;
  const s = strOf(v);
  if (s === undefined) return undefined;
  if (/[: ]/.test(s)) {
    const hours = sexagesimal(s);
    return hours === undefined ? undefined : hours * 15;
  }
  return numOf(s);
}

export function decDegrees(v: string | number | boolean | null | undefined): number | undefined {
  if (typeof v === 'number') return v;
  const s = strOf(v);
  return s === undefined ? undefined : sexagesimal(s);
}

/**
 * Field centre as the CRVALs of the first image (or the primary header when the image has
 * none), for instruments whose reference pixel is the field centre (GMOS, GSAOI); the RA/DEC
 * cards otherwise.
 */
export function crvalPosition(h: HeaderSet, axis: 'ra' | 'dec'): number | undefined {
  const [n, ctype] = axis === 'ra' ? ['1', 'RA---TAN'] : ['2', 'DEC--TAN'];
  const ext = h.exts[0];
  const src = ext && ext.has(`CRVAL${n}`) ? ext : h.phu;
  const crval = numOf(src.get(`CRVAL${n}`));
  if (strOf(src.get(`CTYPE${n}`)) === ctype && crval !== undefined) return crval;
  return axis === 'ra' ? raDegrees(h.raw('RA')) : decDegrees(h.raw('DEC'));
}

/** Decimal year of an instant (epoch microseconds), leap years counted. */
function decimalYear(micros: number): number {
  const year = new Date(micros / 1000).getUTCFullYear();
  const start = Date.UTC(year, 0, 1) * 1000;
  const end = Date.UTC(year + 1, 0, 1) * 1000;
  return year + (micros - start) / (end - start);
}

/**
 * The target's position from the RA/DEC cards (degrees), moved by the telescope and target
 * offsets (RAOFFSET + RATRGOFF, DECOFFSE + DECTRGOF, arcseconds) and by the proper motion from
 * EPOCH to the time of the observation (PMRA in seconds of time per year, PMDEC in arcseconds
 * per year): astrodata's target_ra/target_dec with offsets, which the archive uses where an
 * instrument's WCS does not describe the sky.
 */
export function targetPosition(c: Ctx): { ra: number; dec: number } | undefined {
  const ra0 = c.h.num('RA');
  const dec0 = c.h.num('DEC');
  if (ra0 === undefined || dec0 === undefined) return undefined;
  const dec = dec0 + ((c.h.num('DECOFFSE') ?? 0) + (c.h.num('DECTRGOF') ?? 0)) / 3600;
  const cosDec = Math.cos((dec * Math.PI) / 180);
  let ra = ra0 + ((c.h.num('RAOFFSET') ?? 0) + (c.h.num('RATRGOFF') ?? 0)) / 3600 / cosDec;
  let decOut = dec;
  const pmra = c.h.num('PMRA') ?? 0;
  const pmdec = c.h.num('PMDEC') ?? 0;
  if (pmra !== 0 || pmdec !== 0) {
    const ut = c.d.utDatetime(c);
    if (ut !== undefined) {
      const years = decimalYear(ut) - (c.h.num('EPOCH') ?? 2000);
      ra += (pmra * years * 15 * cosDec) / 3600;
      decOut += (pmdec * years) / 3600;
    }
  }
  return { ra, dec: decOut };
}

function wcsCentre(h: HeaderSet): { ra: number; dec: number } | undefined {
  const ext = h.exts[0];
  if (!ext) return h.has('CTYPE1') ? imageCentre(h.phu) : undefined;
  if (ext.has('CTYPE1')) return imageCentre(ext);
  if (h.has('CTYPE1')) return imageCentre(ext, h.phu);
  return undefined;
}

/** Gemini's UT rules: a full DATE-OBS, else a date card plus a time card, else MJD-OBS, else OBSSTART. */
function utDatetime(c: Ctx): number | undefined {
  const h = c.h;
  let date: number | undefined;
  for (const kw of ['DATE-OBS', 'DATE', 'UTDATE']) {
    const v = h.str(kw);
    if (v === undefined) continue;
    const full = parseIsoDatetime(v);
    if (full !== undefined) return full;
    date = parseIsoDate(v.slice(0, 10));
    if (date !== undefined) break;
    // Early NIRI: DD/MM/YY
    const m = /^([0123]\d)\/([01]\d)\/(\d\d+)$/.exec(v);
    if (m) {
      date = parseIsoDate(`${1900 + Number(m[3])}-${m[2]}-${m[1]}`);
      if (date !== undefined) break;
    }
  }
  let time: number | undefined;
  for (const kw of ['UT', 'TIME-OBS', 'STARTUT', 'UTSTART']) {
    const v = h.str(kw);
    const t = v === undefined ? undefined : parseTimeOfDay(v);
    if (t !== undefined) {
      time = t.micros;
      break;
    }
  }
  if (date !== undefined && time !== undefined) return date + time;
  const mjd = h.num('MJD-OBS');
  if (mjd !== undefined && mjd > 1) return mjdToMicros(mjd);
  const obsstart = h.str('OBSSTART');
  if (obsstart !== undefined) {
    const t = parseIsoDatetime(obsstart);
    if (t !== undefined) return t;
  }
  // Last resort: the date in a DHS-style filename, at midnight.
  if (date === undefined && c.filename) {
    const m = /^[A-Za-z](\d{4})(\d{2})(\d{2})/.exec(c.filename);
    if (m && Number(m[1]) > 1999) date = parseIsoDate(`${m[1]}-${m[2]}-${m[3]}`);
  }
  if (date !== undefined) return date + (time ?? 0);
  return undefined;
}

const WFS_CARDS: ReadonlyArray<[string, string]> = [
  ['AOWFS', 'AOWFS_ST'],
  ['OIWFS', 'OIWFS_ST'],
  ['PWFS1', 'PWFS1_ST'],
  ['PWFS2', 'PWFS2_ST'],
];

export const generic: Descriptors = {
  programId: (c) => c.h.str('GEMPRGID')?.toUpperCase(),
  observationId: (c) => c.h.str('OBSID')?.toUpperCase(),
  dataLabel: (c) => c.h.str('DATALAB')?.toUpperCase(),
  telescope: (c) => canonicalTelescope(c.h.str('TELESCOP')),
  instrument: (c) => {
    const name = c.h.str('INSTRUME');
    return name === undefined ? undefined : canonicalInstrument(name);
  },
  utDatetime,
  localTime: (c) => {
    const v = c.h.str('LT');
    return v === undefined ? undefined : parseTimeOfDay(v)?.micros;
  },
  observationType: (c) => {
    if (c.tags.has('PINHOLE')) return 'PINHOLE';
    if (c.tags.has('RONCHI')) return 'RONCHI';
    const v = c.h.str('OBSTYPE');
    return (OBSERVATION_TYPES as readonly string[]).includes(v ?? '') ? v : undefined;
  },
  observationClass: (c) => {
    const v = c.h.str('OBSCLASS');
    return (OBSERVATION_CLASSES as readonly string[]).includes(v ?? '') ? v : undefined;
  },
  object: (c) => c.h.str('OBJECT'),
  ra: (c) => wcsCentre(c.h)?.ra ?? raDegrees(c.h.raw('RA')),
  dec: (c) => wcsCentre(c.h)?.dec ?? decDegrees(c.h.raw('DEC')),
  azimuth: (c) => decDegrees(c.h.raw('AZIMUTH')),
  elevation: (c) => decDegrees(c.h.raw('ELEVATIO')),
  // A number card only: the archive's ingest compares AIRMASS with 1 and gives none for a
  // string such as '1.000' (CIRPASS writes it so).
  airmass: (c) => {
    const am = c.h.raw('AIRMASS');
    return typeof am === 'number' && am >= 1 ? am : undefined;
  },
  exposureTime: (c) => {
    const t = c.h.num('EXPTIME');
    if (t === undefined || t < 0) return undefined;
    // Gemini IR arrays sum their coadds into one image: the exposure is EXPTIME × COADDS.
    return c.tags.has('PREPARED') ? t : t * (c.d.coadds(c) ?? 1);
  },
  filterName: (c) => {
    const f1 = pretty(c.h.str('FILTER1'));
    const f2 = pretty(c.h.str('FILTER2'));
    if (f1 === undefined || f2 === undefined) return undefined;
    return combineFilters([f1, f2]);
  },
  disperser: (c) => pretty(c.h.str('DISPERSR')),
  camera: (c) => pretty(c.h.str('CAMERA')),
  centralWavelength: (c) => {
    const w = c.h.num('CWAVE');
    return w === undefined || w < 0 ? undefined : w;
  },
  effectiveWavelength: (c) => {
    // Images: the filter's effective wavelength; spectra: the central wavelength. Calibrations
    // that are neither (biases, darks) have none; the archive of 2015 still gave darks their
    // filter's band, today's does not, and we follow today's.
    if (c.tags.has('IMAGE')) {
      const f = c.d.filterName(c);
      if (f === undefined) return undefined;
      return c.inst.filterWavelengths?.[f] ?? FILTER_WAVELENGTHS[f];
    }
    if (c.tags.has('SPECT')) return c.d.centralWavelength(c);
    return undefined;
  },
  focalPlaneMask: (c) => pretty(c.h.str('FPMASK')),
  detectorXBin: (c) => c.h.num('XBIN') ?? 1,
  detectorYBin: (c) => c.h.num('YBIN') ?? 1,
  detectorRoiSetting: () => 'Fixed',
  gainSetting: (c) => c.h.str('GAINSET'),
  readSpeedSetting: (c) => c.h.str('RDSPDSET'),
  wellDepthSetting: (c) => c.h.str('WELDEPTH'),
  readMode: (c) => readModeName(c.h.str('READMODE')),
  cassRotatorPa: (c) => {
    const crpa = c.h.raw('CRPA');
    return typeof crpa === 'number' && Math.abs(crpa) <= 360 ? crpa : undefined;
  },
  coadds: (c) => {
    const v = c.h.num('COADDS');
    return v === undefined ? 1 : Math.trunc(v);
  },
  adaptiveOptics: (c) => c.h.str('AOFOLD') === 'IN',
  laserGuideStar: (c) => c.h.str('LGSLOOP') === 'CLOSED' || c.h.str('LGUSTAGE') === 'IN',
  wavefrontSensor: (c) => {
    const names = WFS_CARDS.filter(([, kw]) => c.h.str(kw) === 'guiding').map(([name]) => name);
    if (c.h.raw('GWFS1CFG') !== undefined && c.h.raw('GWFS1CFG') !== null) names.push('GEMS');
    return names.length ? names.sort().join('&') : undefined;
  },
  gcalLamp: (c) => {
    if (!c.h.has('GCALLAMP') || !c.h.has('GCALSHUT')) return undefined;
    const lamps = c.h.str('GCALLAMP') ?? '';
    const shut = c.h.str('GCALSHUT') ?? '';
    const l = lamps.toUpperCase();
    if (
      (shut.toUpperCase() === 'CLOSED' && (l === 'IRHIGH' || l === 'IRLOW')) ||
      l === '' ||
      l === 'NO VALUE'
    ) {
      return 'Off';
    }
    return lamps;
  },
  rawIq: (c) => parsePercentile(c.h.str('RAWIQ')),
  rawCc: (c) => parsePercentile(c.h.str('RAWCC')),
  rawWv: (c) => parsePercentile(c.h.str('RAWWV')),
  rawBg: (c) => parsePercentile(c.h.str('RAWBG')),
  requestedIq: (c) => parsePercentile(c.h.str('REQIQ')),
  requestedCc: (c) => parsePercentile(c.h.str('REQCC')),
  requestedWv: (c) => parsePercentile(c.h.str('REQWV')),
  requestedBg: (c) => parsePercentile(c.h.str('REQBG')),
  qaState: (c) => qaStateOf(c.h.str('RAWGEMQA'), c.h.str('RAWPIREQ')),
  release: (c) => {
    const v = c.h.str('RELEASE');
    if (v === undefined) return undefined;
    const day = parseIsoDate(v.slice(0, 10));
    return day === undefined ? undefined : v.slice(0, 10);
  },
};

/** A read mode as the archive stores it: blanks become '_', a missing mode is 'None'. */
export function readModeName(mode: string | undefined): string {
  return (mode ?? 'None').replace(/ /g, '_');
}

/**
 * The archive's "pretty" filter name: clear and neutral-density positions dropped, blanks and
 * darks reported as such, at most two names joined with '&'.
 */
export function combineFilters(
  names: readonly string[],
  opts: { keepNeutralDensity?: boolean } = {},
): string {
  const comps = names.filter(
    (f) =>
      !(
        f.toLowerCase().includes('open') ||
        f.includes('Clear') ||
        (!opts.keepNeutralDensity && f.toLowerCase().startsWith('nd'))
      ),
  );
  if (comps.length === 0) comps.push('open');
  const cals: ReadonlyArray<[string, string]> = [
    ['Block', 'blank'],
    ['Dark', 'blank'],
    ['DK', 'dark'],
  ];
  for (const [cal, name] of cals) {
    if (names.some((f) => f.includes(cal))) comps.push(name);
  }
  return comps.slice(0, 2).join('&');
}

/**
 * Tags every Gemini file may carry, from Gemini-wide keywords. (astrodata also turns any OBSMODE
 * card into a tag plus SPECT; instruments write OBSMODE with their own meanings — 'IFU' on NIFS
 * images, 'chop-nod' on michelle — and the archive classifies those files as imaging, so the
 * instrument rules alone decide IMAGE/SPECT here.)
 */
export function genericTags(h: HeaderSet): Array<TagRule | null | false> {
  const obsclass = h.str('OBSCLASS');
  const gcallamp = h.str('GCALLAMP');
  const gcalshut = h.str('GCALSHUT');
  const site = h.str('OBSERVAT')?.toUpperCase();
  const frames = [h.str('TRKFRAME'), h.str('FRAME')];
  const keys = new Set(h.keywords());
  const hasAny = (...kws: string[]) => kws.some((k) => keys.has(k));
  let sidereal: TagRule | null = null;
  if (frames.some((f) => f === 'FK5' || f === 'APPT')) {
    const dectrack = h.num('DECTRACK');
    const ratrack = h.num('RATRACK');
    sidereal = { add: [dectrack === 0 && ratrack === 0 ? 'SIDEREAL' : 'NON_SIDEREAL'] };
  }
  const lampOn = gcallamp === 'IRhigh' || gcallamp === 'QH';
  return [
    { add: ['GEMINI'] },
    (obsclass === 'acq' || obsclass === 'acqCal') && { add: ['ACQUISITION'] },
    h.str('FRAME') === 'AZEL_TOPO' && {
      add: h.num('AIRMASS') === 1 ? ['AZEL_TARGET', 'AT_ZENITH'] : ['AZEL_TARGET'],
    },
    hasAny('GIFRINGE', 'PROCFRNG') && { add: ['FRINGE', 'CAL'] },
    lampOn && { add: ['GCALFLAT', 'FLAT', 'CAL'] },
    lampOn && gcalshut === 'OPEN' && { add: ['GCAL_IR_ON', 'LAMPON'], blockedBy: ['PROCESSED'] },
    lampOn && gcalshut === 'CLOSED' && { add: ['GCAL_IR_OFF', 'LAMPOFF'], blockedBy: ['PROCESSED'] },
    site === 'GEMINI-NORTH' && { add: ['NORTH'] },
    site === 'GEMINI-SOUTH' && { add: ['SOUTH'] },
    h.str('DATATYPE') === 'marked-nodandchop' && { add: ['NODCHOP'] },
    sidereal,
    keys.has('BPMASK') && {
      add: ['BPM'],
      blocks: [
        'IMAGE',
        'SPECT',
        'FLAT',
        'PREPARED',
        'GCALFLAT',
        'CAL',
        'LAMPON',
        'GCAL_IR_ON',
        'GCAL_IR_OFF',
        'DARK',
        'NON_SIDEREAL',
        'AZEL_TARGET',
      ],
    },
    !keys.has('GEM-TLM') && { add: ['RAW'] },
    { add: [[...keys].some((k) => k.includes('PREPAR')) ? 'PREPARED' : 'UNPREPARED'] },
    [...keys].some((k) => k.includes('TRIMOVER')) && { add: ['OVERSCAN_TRIMMED'] },
    [...keys].some((k) => k.includes('SUBOVER')) && { add: ['OVERSCAN_SUBTRACTED'] },
    hasAny(
      'PROCARC',
      'GBIAS',
      'PROCBIAS',
      'PROCDARK',
      'GIFLAG',
      'PROCFLAT',
      'GIFRINGE',
      'PROCFRNG',
      'PROCSTND',
      'PROCSRSP',
    ) && {
      add: ['PROCESSED'],
    },
    h.str('OBSTYPE') === 'OBJECT' &&
      hasAny('GMOSAIC', 'PROCSCI') && { add: ['PROCESSED_SCIENCE', 'PROCESSED'], blocks: ['RAW'] },
    keys.has('EXTRACT') && { add: ['EXTRACTED'] },
  ];
}
