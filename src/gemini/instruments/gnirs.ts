// GNIRS: near-infrared spectrograph (long slit, cross-dispersed, IFU) with an acquisition mirror
// that turns it into an imager.

import type { HeaderSet } from './headers.js';
import { removeComponentId } from './headers.js';
import { combineFilters, decDegrees, pretty, raDegrees, readModeName } from './generic.js';
import type { Ctx, Instrument } from './types.js';
import { tanPixelToSky } from './wcs.js';

const FILTER_WAVELENGTHS: Readonly<Record<string, number>> = {
  YPHOT: 1.03,
  X: 1.1,
  'X_(order_6)': 1.1,
  JPHOT: 1.25,
  'J_(order_5)': 1.27,
  H: 1.63,
  'H_(order_4)': 1.63,
  H2: 2.125,
  'K_(order_3)': 2.195,
  KPHOT: 2.22,
  PAH: 3.295,
  L: 3.5,
  'L_(order_2)': 3.5,
  M: 5.1,
  'M_(order_1)': 5.1,
};

/**
 * Sky position at the centre of the 1024×1024 array. Raw GNIRS images are written 1024×1022,
 * and the archive's positions are those of pixel (512, 512), not of the middle of the 1022 rows.
 */
function arrayCentre(c: Ctx): { ra: number; dec: number } | undefined {
  const ext = c.h.exts[0];
  const wcs = ext?.has('CTYPE1') ? ext : c.h.phu;
  return tanPixelToSky(wcs, 512, 512);
}

/** Grating name as '<lines/mm>_G<id>': the header writes e.g. '111_mm_G5534' or '32/mmSB_G5533'. */
function grating(h: HeaderSet): string | undefined {
  const g = h.str('GRATING');
  if (g === undefined) return undefined;
  const m = /^([\d/m]+)[A-Z]*(_G)(\d+)/.exec(g);
  return removeComponentId(m ? `${m[1]}${m[2]}${m[3]}` : g);
}

/**
 * Prism name as astrodata reads it: leading camera letters (L, B, S, R: long/short, blue/red)
 * and a position prefix ('SXD+XD_G5536') dropped, so 'SXD_G5509' and 'LXD_G5535' are 'XD'.
 */
function prism(h: HeaderSet): string | undefined {
  const p = h.str('PRISM');
  if (p === undefined) return undefined;
  const m = /^[LBSR]*\+*([A-Z]*_G\d+)/.exec(p) ?? /^(?:[A-Z0-9]*\+)?([A-Z]*_G\d+)/.exec(p);
  return m ? removeComponentId(m[1]) : undefined;
}

export const gnirs: Instrument = {
  names: ['GNIRS'],
  filterWavelengths: FILTER_WAVELENGTHS,
  tags: (h) => {
    const obstype = h.str('OBSTYPE');
    const acqmir = h.str('ACQMIR');
    const slit = h.str('SLIT') ?? '';
    let spect: string[] | null = null;
    if (acqmir === 'Out') {
      spect = ['SPECT'];
      const s = slit.toLowerCase();
      const grat = h.str('GRATING') ?? '';
      const pr = h.str('PRISM') ?? '';
      if (s.includes('ifu')) spect.push('IFU');
      else if ((s.includes('arcsec') || s.includes('pin')) && grat.includes('mm')) {
        if (pr.includes('MIR')) spect.push('LS');
        else if (pr.includes('XD')) spect.push('XD');
      }
    }
    return [
      { add: ['GNIRS'] },
      obstype === 'DARK' && { add: ['DARK', 'CAL'], blocks: ['IMAGE', 'SPECT'] },
      obstype === 'ARC' && { add: ['ARC', 'CAL'] },
      acqmir === 'In' && { add: ['IMAGE'] },
      !slit.includes('Acq') && { add: ['THRUSLIT'], ifPresent: ['IMAGE'] },
      spect && { add: spect },
      obstype === 'FLAT' &&
        (slit.includes('Pinholes')
          ? { add: ['PINHOLE', 'CAL'], remove: ['GCALFLAT'] }
          : { add: ['FLAT', 'CAL'] }),
    ];
  },
  descriptors: {
    // The OT's read modes, by non-destructive read pairs (LNRS) and digital averages (NDAVGS).
    readMode: (c) => {
      const key = `${c.h.num('LNRS')}/${c.h.num('NDAVGS')}`;
      const modes: Record<string, string> = {
        '32/16': 'Very Faint Objects',
        '16/16': 'Faint Objects',
        '1/16': 'Bright Objects',
        '1/1': 'Very Bright Objects',
      };
      return readModeName(modes[key] ?? 'Invalid');
    },
    // FILTER1 + FILTER2; GNIRS's neutral-density filters (ND100X for bright acquisitions) are
    // part of the filter name, unlike the ND positions of other instruments' wheels.
    filterName: (c) => {
      const f1 = pretty(c.h.str('FILTER1'));
      const f2 = pretty(c.h.str('FILTER2'));
      if (f1 === undefined || f2 === undefined) return undefined;
      return combineFilters([f1, f2], { keepNeutralDensity: true });
    },
    ra: (c) => arrayCentre(c)?.ra ?? raDegrees(c.h.raw('RA')),
    dec: (c) => arrayCentre(c)?.dec ?? decDegrees(c.h.raw('DEC')),
    centralWavelength: (c) => {
      const w = c.h.num('GRATWAVE');
      return w === undefined || w < 0 ? undefined : w;
    },
    // The disperser group: grating, and the cross-dispersing prism when one is in.
    disperser: (c) => {
      if (c.h.str('ACQMIR') === 'In') return 'MIRROR';
      const g = grating(c.h);
      const p = prism(c.h);
      if (g === undefined || p === undefined) return undefined;
      return p.startsWith('MIR') ? g : `${g}&${p}`;
    },
    // Slit and decker together, shortened to what the configuration amounts to.
    focalPlaneMask: (c) => {
      const slitRaw = c.h.str('SLIT');
      const deckerRaw = c.h.str('DECKER');
      if (slitRaw === undefined || deckerRaw === undefined) return undefined;
      const slit = removeComponentId(slitRaw.replace(/ /g, '')).replace('Acquisition', 'Acq');
      const decker = removeComponentId(deckerRaw).replace('Acquisition', 'Acq');
      if (decker.includes('Long')) return slit;
      if (decker.includes('XD')) return `${slit}XD`;
      if (slit.includes('HR-IFU') && decker.includes('HR-IFU')) return 'HR-IFU';
      if (slit.includes('LR-IFU') && decker.includes('LR-IFU')) return 'LR-IFU';
      if (slit.includes('IFU') && decker.includes('IFU')) return 'IFU';
      if (slit.includes('Acq') && decker.includes('Acq')) return 'Acq';
      return `${slit}&${decker}`;
    },
    wellDepthSetting: (c) => {
      const bias = c.h.num('DETBIAS');
      if (bias === undefined) return undefined;
      if (Math.abs(0.3 - Math.abs(bias)) < 0.1) return 'Shallow';
      if (Math.abs(0.6 - Math.abs(bias)) < 0.1) return 'Deep';
      return undefined;
    },
  },
};
