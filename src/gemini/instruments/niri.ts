// NIRI: Gemini-North near-infrared imager with grism long-slit spectroscopy (f6, f14, f32 cameras).

import type { HeaderSet } from './headers.js';
import { numOf, removeComponentId } from './headers.js';
import type { Instrument } from './types.js';
import { readModeName } from './generic.js';

const FILTER_WAVELENGTHS: Readonly<Record<string, number>> = {
  'Jcon(1065)': 1.065,
  HeI: 1.083,
  'Pa(gamma)': 1.094,
  'Jcon(112)': 1.122,
  'Jcon(121)': 1.207,
  'Pa(beta)': 1.282,
  'H-con(157)': 1.57,
  'CH4(short)': 1.58,
  H: 1.65,
  'CH4(long)': 1.69,
  'H2Oice(2045)': 2.045,
  'HeI(2p2s)': 2.059,
  'Kcon(209)': 2.0975,
  'K(prime)': 2.12,
  'H2 1-0 S1': 2.1239,
  'K(short)': 2.15,
  'H2 2-1 S1': 2.2465,
  'Br(gamma)': 2.1686,
  'Kcon(227)': 2.2718,
  'CH4ice(2275)': 2.275,
  'CO 2-0 (bh)': 2.289,
  H2Oice: 3.05,
  hydrocarb: 3.295,
  'L(prime)': 3.78,
  'Br(alpha)Con': 3.99,
  'Br(alpha)': 4.052,
  'M(prime)': 4.68,
};

/** The usual name of a filter combination (component names sorted, joined with '+'). */
const FILTER_NAMES: Readonly<Record<string, string>> = {
  'PK50+Y': 'Y',
  J: 'J',
  H: 'H',
  Kprime: 'K(prime)',
  K: 'K',
  Lprime: 'L(prime)',
  Mprime: 'M(prime)',
  'Jcon(121)+PK50': 'Jcon(121)',
  'Hcon(157)+PK50': 'H-con(157)',
  'CH4short+PK50': 'CH4(short)',
  'CH4long+PK50': 'CH4(long)',
  'FeII+PK50': 'FeII',
  'HeI(2p2s)+Kprime': 'HeI(2p2s)',
  H2Oice204: 'H2Oice(2045)',
  'kcon(209)': 'Kcon(209)',
  'kcon(227)': 'Kcon(227)',
  'H2v=1-0S1+K': 'H2 1-0 S1',
  Brgamma: 'Br(gamma)',
  CH4ice227: 'CH4ice(2275)',
  Jsort: 'J order sort',
  'Hsort+PK50': 'H order sort',
  Ksort: 'K order sort',
  Lsort: 'L order sort',
  Msort: 'M order sort',
  'Jcon1065+PK50': 'Jcon(1065)',
  'Jcon(112)+PK50': 'Jcon(112)',
  Kshort: 'K(short)',
  'H2v=2-1S1': 'H2 2-1 S1',
  'PK50+Pabeta': 'Pa(beta)',
  PaGamma: 'Pa(gamma)',
  HeI: 'HeI',
  Bra: 'Br(alpha)',
  H2Oice: 'H2O ice',
  hydrocarb: 'hydrocarb',
  Bracont: 'Br(alpha)Con',
  'COv=2-0bh': 'CO 2-0 (bh)',
};

/** Grism central wavelengths (microns) by focal-plane mask (with component id) and grism. */
const SPEC_WAVELENGTHS: Readonly<Record<string, number>> = (() => {
  const out: Record<string, number> = {};
  const f6 = ['f6-2pix_G5211', 'f6-4pix_G5212', 'f6-4pix_G5222', 'f6-6pix_G5213', 'f6-6pix_G5223'];
  const f6blue = ['f6-2pixBl_G5214', 'f6-4pixBl_G5215', 'f6-6pixBl_G5216'];
  const f32 = ['f32-6pix_G5229', 'f32-9pix_G5230'];
  const set = (masks: string[], grism: string, microns: number) => {
    for (const m of masks) out[`${m}|${grism}`] = microns;
  };
  set(f6, 'Jgrism', 1.233);
  set(f6blue, 'Jgrism', 1.184);
  set(f6, 'Hgrism', 1.695);
  set(f6blue, 'Hgrism', 1.625);
  set(f6, 'Kgrism', 2.263);
  set(f6blue, 'Kgrism', 2.167);
  set(f6, 'Lgrism', 3.574);
  set(f6blue, 'Lgrism', 3.435);
  set(f6, 'Mgrism', 5.14);
  set(f6blue, 'Mgrism', 4.94);
  set(f32, 'Jgrism', 1.203);
  set(f32, 'Hgrism', 1.6412);
  set(f32, 'Kgrism', 2.184);
  return out;
})();

// Bias voltage (VDDUC - VDET) of NIRI's two well-depth settings.
const SHALLOW_BIAS = -0.6;
const DEEP_BIAS = -0.87;

function isSpect(h: HeaderSet): boolean {
  return (h.str('FILTER3') ?? '').includes('grism');
}

export const niri: Instrument = {
  names: ['NIRI'],
  filterWavelengths: FILTER_WAVELENGTHS,
  tags: (h) => {
    const obstype = h.str('OBSTYPE');
    const spect = isSpect(h);
    return [
      { add: ['NIRI'] },
      obstype === 'DARK' && { add: ['DARK', 'CAL'], blocks: ['SPECT', 'IMAGE'] },
      obstype === 'ARC' && { add: ['ARC'] },
      obstype === 'FLAT' && { add: ['CAL', 'FLAT'] },
      !spect && {
        add:
          (h.str('OBJECT') ?? '').toUpperCase() === 'TWILIGHT'
            ? ['IMAGE', 'CAL', 'FLAT', 'TWILIGHT']
            : ['IMAGE'],
      },
      spect && { add: ['SPECT', 'LS'] },
    ];
  },
  descriptors: {
    // Read modes by LNRS/NDAVGS: low background reads 16 pairs, each averaged 16 times.
    readMode: (c) => {
      const key = `${c.h.num('LNRS')}/${c.h.num('NDAVGS')}`;
      const modes: Record<string, string> = {
        '16/16': 'Low Background',
        '1/16': 'Medium Background',
        '1/1': 'High Background',
      };
      return readModeName(modes[key] ?? 'Unknown');
    },
    disperser: (c) => {
      const f3 = c.h.str('FILTER3');
      if (f3 === undefined) return undefined;
      return f3.includes('grism') ? removeComponentId(f3) : 'MIRROR';
    },
    filterName: (c) => {
      const names = [1, 2, 3]
        .map((i) => c.h.str(`FILTER${i}`))
        .filter((f): f is string => f !== undefined)
        .map(removeComponentId)
        .filter((f) => !['open', 'grism', 'pupil'].some((x) => f.toLowerCase().includes(x)))
        .sort();
      if (names.includes('blank')) return 'blank';
      if (names.length === 0) return 'open';
      return FILTER_NAMES[names.join('+')] ?? names.join('&');
    },
    centralWavelength: (c) => {
      const mask = c.h.str('FPMASK');
      const grism = c.h.str('FILTER3');
      if (mask === undefined || grism === undefined) return undefined;
      return SPEC_WAVELENGTHS[`${mask}|${removeComponentId(grism)}`];
    },
    detectorRoiSetting: (c) => {
      // NIRI reads square central subarrays; the ROI is named by the array size.
      const ext = c.h.exts[0] ?? c.h.phu;
      const n1 = numOf(ext.get('NAXIS1'));
      const n2 = numOf(ext.get('NAXIS2'));
      if (n1 === undefined || n2 === undefined) return undefined;
      if (n1 === n2 && n1 % 256 === 0) return n1 === 1024 ? 'Full Frame' : `Central${n1}`;
      return 'Custom';
    },
    wellDepthSetting: (c) => {
      const vdduc = c.h.num('A_VDDUC');
      const vdet = c.h.num('A_VDET');
      if (vdduc === undefined || vdet === undefined) return undefined;
      const bias = vdduc - vdet;
      if (Math.abs(bias - SHALLOW_BIAS) < 0.05) return 'Shallow';
      if (Math.abs(bias - DEEP_BIAS) < 0.05) return 'Deep';
      return undefined;
    },
  },
};
