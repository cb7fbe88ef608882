// GMOS-N and GMOS-S: optical imager and long-slit / MOS / IFU spectrograph (three CCDs, read
// through several amplifiers, one extension per amplifier).

import type { HeaderSet } from './headers.js';
import { numOf, strOf } from './headers.js';
import { crvalPosition, pretty } from './generic.js';
import type { Ctx, Instrument } from './types.js';

const FILTER_WAVELENGTHS: Readonly<Record<string, number>> = {
  HeII: 0.468,
  HeIIC: 0.478,
  OIII: 0.499,
  OIIIC: 0.514,
  Ha: 0.656,
  HaC: 0.662,
  SII: 0.672,
  OVIC: 0.679,
  OVI: 0.6838,
  ri: 0.7054,
  CaT: 0.86,
  Z: 0.876,
  DS920: 0.92,
  Y: 1.01,
};

/**
 * Named regions of interest, in unbinned 0-based (y1, y2, x1, x2), as the observing tool offers
 * them; several variants per name because the definitions moved with the detector upgrades.
 */
const ROI_SETTINGS: ReadonlyArray<[string, ReadonlyArray<readonly [number, number, number, number]>]> = [
  [
    'Full Frame',
    [
      [0, 4608, 0, 6144],
      [0, 4224, 0, 6144],
    ],
  ],
  [
    'CCD2',
    [
      [0, 4608, 2048, 4096],
      [0, 4224, 2048, 4096],
    ],
  ],
  [
    'Central Spectrum',
    [
      [1792, 2816, 0, 6144],
      [1791, 2815, 0, 6144],
      [1624, 2648, 0, 6144],
    ],
  ],
  [
    'Central Stamp',
    [
      [2154, 2454, 2922, 3222],
      [1986, 2286, 2922, 3222],
      [1986, 2294, 2922, 3222],
    ],
  ],
];

const IFU_MASKS: Readonly<Record<string, string>> = {
  'IFU-B': 'ONESLIT_BLUE',
  'IFU-B-NS': 'ONESLIT_BLUE',
  b: 'ONESLIT_BLUE',
  'IFU-R': 'ONESLIT_RED',
  'IFU-R-NS': 'ONESLIT_RED',
  r: 'ONESLIT_RED',
  'IFU-2': 'TWOSLIT',
  'IFU-NS-2': 'TWOSLIT',
  s: 'TWOSLIT',
};

function isHamamatsu(h: HeaderSet): boolean | undefined {
  const dettype = h.str('DETTYPE');
  if (dettype === undefined) return undefined;
  if (dettype === 'S10892' || dettype === 'S10892-N') return true;
  if (dettype === 'SDSU II CCD' || dettype === 'SDSU II e2v DD CCD42-90') return false;
  return undefined;
}

/** One binning factor for the file from the extensions' CCDSUM ('2 2'); undefined when they disagree. */
function ccdsum(c: Ctx, axis: 0 | 1): number | undefined {
  const values = c.h.extValues('CCDSUM').map((v) => {
    const n = numOf(strOf(v)?.split(/\s+/)[axis]);
    return n === undefined ? undefined : Math.trunc(n);
  });
  if (values.length === 0) {
    const phu = c.h.str('CCDSUM');
    const n = numOf(phu?.split(/\s+/)[axis]);
    return n === undefined ? undefined : Math.trunc(n);
  }
  return values.every((v) => v === values[0]) ? values[0] : undefined;
}

function isSpect(h: HeaderSet): boolean {
  return !(h.num('MASKTYP') === 0 || h.str('MASKNAME') === 'None' || h.str('GRATING') === 'MIRROR');
}

export const gmos: Instrument = {
  names: ['GMOS-N', 'GMOS-S'],
  filterWavelengths: FILTER_WAVELENGTHS,
  tags: (h) => {
    const obstype = h.str('OBSTYPE');
    const grating = h.str('GRATING');
    const masktyp = h.num('MASKTYP');
    const maskname = h.str('MASKNAME') ?? '';
    const object = (h.str('OBJECT') ?? '').toUpperCase();
    const isBias = obstype === 'BIAS';
    const isBpm = obstype === 'BPM' || h.has('BPMASK');
    const hartmann = [h.str('FILTER1'), h.str('FILTER2')].some((f) => f?.includes('Hartmann'));
    let ifu: string | undefined;
    if (!isBias && masktyp === -1) {
      const slit = /^g[ns]ifu_slit([rbs])_mdf/.exec(maskname)?.[1];
      ifu = IFU_MASKS[maskname.startsWith('IFU') ? maskname : (slit ?? '')];
    }
    return [
      { add: ['GMOS'] },
      // Unlike biases, darks keep IMAGE/SPECT: the archive lists a dark taken with a grating and
      // slit in place as long-slit spectroscopy.
      obstype === 'DARK' && { add: ['DARK', 'CAL'] },
      obstype === 'ARC' && { add: ['ARC', 'CAL'] },
      isBias && { add: ['BIAS', 'CAL'], blocks: ['IMAGE', 'SPECT'] },
      obstype === 'FLAT' && !(grating === 'MIRROR' && hartmann) && { add: ['GCALFLAT', 'FLAT', 'CAL'] },
      object === 'TWILIGHT' && { add: ['TWILIGHT', 'CAL', isSpect(h) ? 'SLITILLUM' : 'FLAT'] },
      object === 'DOMEFLAT' && { add: ['DOMEFLAT', 'CAL', 'FLAT'] },
      h.has('SENSFUNC') && { add: ['PROCESSED', 'STANDARD', 'CAL'], blocks: ['RAW'] },
      ifu !== undefined && { add: ['IFU', ifu] },
      masktyp !== 0 && { add: ['THRUSLIT'], ifPresent: ['IMAGE'] },
      { add: [grating === 'MIRROR' ? 'IMAGE' : 'SPECT'] },
      !isBias && !isBpm && masktyp === 1 && maskname.endsWith('arcsec') && { add: ['LS'] },
      !isBias &&
        masktyp === 1 &&
        !(maskname.startsWith('IFU') || maskname.startsWith('focus') || maskname.endsWith('arcsec')) && {
          add: ['MOS'],
        },
      h.has('NODPIX') && { add: ['NODANDSHUFFLE'] },
    ];
  },
  descriptors: {
    // The archive records GMOS's readout as nod-and-shuffle or classic.
    readMode: (c) => (c.tags.has('NODANDSHUFFLE') ? 'NodAndShuffle' : 'Classic'),
    // The GMOS "camera" is the instrument itself.
    camera: (c) => c.h.str('INSTRUME'),
    centralWavelength: (c) => {
      // CENTWAVE (nm) only exists since 2007; GRWLEN before.
      const nm = c.h.has('CENTWAVE') ? c.h.num('CENTWAVE') : c.h.num('GRWLEN');
      return nm === undefined || nm <= 0 ? undefined : nm / 1000;
    },
    disperser: (c) => pretty(c.h.str('GRATING'))?.replace(/^\++|\++$/g, ''),
    exposureTime: (c) => {
      const t = c.h.num('EXPTIME');
      return t === undefined || t < 0 || t > 10000 ? undefined : t;
    },
    focalPlaneMask: (c) => {
      const mask = c.h.str('MASKNAME');
      return mask === 'None' ? 'Imaging' : mask;
    },
    detectorXBin: (c) => ccdsum(c, 0),
    detectorYBin: (c) => ccdsum(c, 1),
    detectorRoiSetting: (c) => {
      const x1 = c.h.num('DETRO1X');
      const xs = c.h.num('DETRO1XS');
      const y1 = c.h.num('DETRO1Y');
      const ys = c.h.num('DETRO1YS');
      if (!x1 || !xs || !y1 || !ys) return 'Undefined';
      const xbin = ccdsum(c, 0) ?? 1;
      const ybin = ccdsum(c, 1) ?? 1;
      const roi = [y1 - 1, y1 + ys * ybin - 1, x1 - 1, x1 + xs * xbin - 1];
      for (const [name, variants] of ROI_SETTINGS) {
        if (variants.some((v) => v.every((n, i) => n === roi[i]))) return name;
      }
      return 'Custom';
    },
    gainSetting: (c) => {
      let settings: Array<string | undefined>;
      if (!c.tags.has('PREPARED')) {
        // Raw GMOS files carry the nominal gain per amplifier; the low-gain setting is below 3 e-/ADU.
        settings = c.h.extValues('GAIN').map((g) => {
          const n = numOf(g);
          return n === undefined ? undefined : n < 3 ? 'low' : 'high';
        });
      } else {
        // Prepared data: GAINSET if the reduction recorded it, else the original gain (GAINORIG,
        // or GAINMULT when GAINORIG is a placeholder 1), else the GAIN card.
        settings = c.h.extValues('GAINSET').map((v) => strOf(v));
        if (settings.every((s) => s === undefined)) {
          let gains = c.h.extValues('GAINORIG').map(numOf);
          if (gains.length && gains.every((g) => g === 1)) gains = c.h.extValues('GAINMULT').map(numOf);
          else if (gains.every((g) => g === undefined)) gains = c.h.extValues('GAIN').map(numOf);
          settings = gains.map((n) => (n === undefined ? undefined : n < 3 ? 'low' : 'high'));
        }
      }
      if (settings.length === 0) return undefined;
      // One discrepant amplifier is tolerated (a bad amp in old data).
      for (const s of settings) {
        if (settings.filter((x) => x === s).length >= settings.length - 1) return s;
      }
      return undefined;
    },
    readSpeedSetting: (c) => {
      const ampinteg = c.h.num('AMPINTEG');
      const ham = isHamamatsu(c.h);
      if (ampinteg === undefined || ham === undefined) return undefined;
      return ampinteg > (ham ? 8000 : 2000) ? 'slow' : 'fast';
    },
    // GMOS WCS: CRVAL of the first extension is the field centre.
    ra: (c) => crvalPosition(c.h, 'ra'),
    dec: (c) => crvalPosition(c.h, 'dec'),
  },
};
