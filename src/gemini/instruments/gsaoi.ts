// GSAOI: Gemini-South near-infrared imager behind the GeMS multi-conjugate AO system (four
// HAWAII-2RG arrays, one extension each).

import { crvalPosition, pretty, readModeName } from './generic.js';
import type { Instrument } from './types.js';

const FILTER_WAVELENGTHS: Readonly<Record<string, number>> = {
  Z: 1.015,
  HeI1083: 1.083,
  PaG: 1.094,
  Jcont: 1.207,
  PaB: 1.282,
  Hcont: 1.57,
  CH4short: 1.58,
  CH4long: 1.69,
  H2O: 2.0,
  'HeI-2p2s': 2.058,
  Kcntshrt: 2.093,
  Kprime: 2.12,
  'H2(1-0)': 2.122,
  Kshort: 2.15,
  'H2(2-1)': 2.248,
  BrG: 2.166,
  Kcntlong: 2.27,
  CO2360: 2.36,
};

export const gsaoi: Instrument = {
  names: ['GSAOI'],
  filterWavelengths: FILTER_WAVELENGTHS,
  tags: (h) => {
    const obstype = h.str('OBSTYPE');
    const object = (h.str('OBJECT') ?? '').toUpperCase();
    const image = ['IMAGE'];
    if (obstype === 'FLAT') image.push('FLAT', 'CAL');
    if (object.includes('DOMEFLAT')) image.push('DOMEFLAT', 'FLAT', 'CAL');
    else if (object.includes('TWILIGHT')) image.push('TWILIGHT', 'FLAT', 'CAL');
    return [
      { add: ['GSAOI'] },
      obstype === 'DARK' && { add: ['DARK', 'CAL'], blocks: ['IMAGE'] },
      { add: image },
      object === 'DOMEFLAT' && { add: ['LAMPON'] },
      object === 'DOMEFLAT OFF' && { add: ['LAMPOFF'] },
    ];
  },
  descriptors: {
    // Read modes by the number of Fowler sample pairs (LNRS).
    readMode: (c) => {
      const modes: Record<number, string> = {
        2: 'Bright Objects',
        8: 'Faint Objects',
        16: 'Very Faint Objects',
      };
      return readModeName(modes[c.h.num('LNRS') ?? -1] ?? 'Invalid');
    },
    camera: (c) => pretty(c.h.str('DETECTOR')),
    // GSAOI averages its coadds, so EXPTIME is already the exposure of the image.
    exposureTime: (c) => {
      const t = c.h.num('EXPTIME');
      return t === undefined || t < 0 ? undefined : t;
    },
    centralWavelength: (c) => {
      const a = c.h.num('WAVELENG'); // Angstroms
      return a === undefined || a < 0 ? undefined : a / 10_000;
    },
    ra: (c) => crvalPosition(c.h, 'ra'),
    dec: (c) => crvalPosition(c.h, 'dec'),
  },
};
