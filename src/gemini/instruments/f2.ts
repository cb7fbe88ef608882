// FLAMINGOS-2 (F2): near-infrared imager and long-slit / MOS spectrograph at Gemini-South.

import type { HeaderSet } from './headers.js';
import { removeComponentId } from './headers.js';
import { decDegrees, pretty, raDegrees } from './generic.js';
import type { Ctx, Instrument } from './types.js';
import { tanPixelToSky } from './wcs.js';

const FILTER_WAVELENGTHS: Readonly<Record<string, number>> = {
  Y: 1.02,
  'J-lo': 1.122,
  J: 1.25,
  H: 1.635,
  JH: 1.39,
  HK: 1.871,
  'K-blue': 2.06,
  'K-short': 2.15,
  'K-long': 2.2,
  'K-red': 2.31,
};

function isSpect(h: HeaderSet): boolean {
  const grism = h.str('GRISM') ?? '';
  const grpos = h.str('GRISMPOS') ?? '';
  return /^(JH|HK|R3K)/.test(grism) || /^(JH|HK|R3K)/.test(grpos);
}

/**
 * The archive takes F2's sky position at the Cassegrain rotator centre rather than at the middle
 * of the array: astrodata's pixel (1034, 1054) counted from 0, FITS pixel (1035, 1055). (Answers
 * the archive computed before 2022 used FITS pixel (1034, 1054), a quarter arcsecond away.)
 */
function rotatorCentre(c: Ctx): { ra: number; dec: number } | undefined {
  const ext = c.h.exts[0];
  return ext ? tanPixelToSky(ext, 1035, 1055) : undefined;
}

function filters(h: HeaderSet): [string, string] | undefined {
  // FILT1POS/FILT2POS before 2010-03-01.
  const f1 = h.str('FILTER1') ?? h.str('FILT1POS');
  const f2 = h.str('FILTER2') ?? h.str('FILT2POS');
  return f1 === undefined || f2 === undefined ? undefined : [f1, f2];
}

export const f2: Instrument = {
  names: ['F2', 'FLAM'],
  filterWavelengths: FILTER_WAVELENGTHS,
  tags: (h) => {
    const obstype = h.str('OBSTYPE');
    const dark = obstype === 'DARK' || [h.str('FILTER1'), h.str('FILTER2')].some((f) => f?.startsWith('DK'));
    const spect = isSpect(h);
    const mospos = h.str('MOSPOS') ?? '';
    const decker = [h.str('DECKER'), h.str('DCKERPOS')];
    const disp = h.str('DISPERSR') ?? '';
    return [
      { add: ['F2'] },
      dark && { add: ['DARK', 'CAL'], blocks: ['IMAGE', 'SPECT'] },
      (h.str('GRISM') === 'Open' || h.str('GRISMPOS') === 'Open') && { add: ['IMAGE'] },
      spect && (decker.includes('Long_slit') || /^.?pix-slit/.test(mospos)) && { add: ['LS', 'SPECT'] },
      spect && (decker.includes('mos') || /^mos/.test(mospos)) && { add: ['MOS', 'SPECT'] },
      obstype === 'ARC' && { add: ['ARC', 'CAL'] },
      obstype === 'FLAT' && { add: ['FLAT', 'CAL'] },
      (h.str('OBJECT') ?? '').toUpperCase() === 'TWILIGHT' && {
        add: ['TWILIGHT', 'CAL'],
        blocks: h.str('GRISM') !== 'Open' ? ['FLAT'] : [],
      },
      disp.startsWith('DISP_WOLLASTON') && { add: ['POL'] },
      disp.startsWith('DISP_PRISM') && { add: ['SPECT', 'IFU'] },
    ];
  },
  descriptors: {
    // F2's read mode is its number of reads (LNRS: 1 bright, 4 medium, 8 faint objects).
    readMode: (c) => {
      const n = c.h.num('LNRS');
      return n === undefined ? 'None' : String(n);
    },
    camera: (c) => pretty(c.h.str('LYOT')),
    disperser: (c) => pretty(c.h.str('GRISM')),
    focalPlaneMask: (c) => pretty(c.h.str('MOSPOS')),
    centralWavelength: (c) => {
      // GRWLEN is in microns; the K-long filter's value was wrong in the headers.
      const w = removeComponentId(c.h.str('FILTER1') ?? '') === 'K-long' ? 2.2 : c.h.num('GRWLEN');
      return w === undefined || w < 0 ? undefined : w;
    },
    filterName: (c) => {
      const f = filters(c.h);
      if (!f) return undefined;
      const [f1, f2] = f.map(removeComponentId);
      let names = [f1, f2].filter((x) => !/open/i.test(x));
      if ([f1, f2].some((x) => x.includes('Block') || x.includes('Dark'))) names = ['blank'];
      if ([f1, f2].some((x) => x.includes('DK'))) names = ['dark'];
      if (names.length === 0) names = ['open'];
      return names.slice(0, 2).join('&');
    },
    ra: (c) => rotatorCentre(c)?.ra ?? raDegrees(c.h.raw('RA')),
    dec: (c) => rotatorCentre(c)?.dec ?? decDegrees(c.h.raw('DEC')),
  },
};
