// NIFS: Gemini-North near-infrared integral-field spectrograph (behind the Altair AO system).

import { pretty } from './generic.js';
import type { Instrument } from './types.js';

export const nifs: Instrument = {
  names: ['NIFS'],
  tags: (h) => {
    const obstype = h.str('OBSTYPE');
    const flip = h.str('FLIP');
    return [
      { add: ['NIFS'] },
      // Darks keep IMAGE/SPECT: the archive files a dark taken with the flip mirror out as IFU data.
      obstype === 'DARK' && { add: ['DARK', 'CAL'] },
      flip === 'In' && { add: ['IMAGE'] },
      obstype === 'ARC' && { add: ['ARC', 'CAL'] },
      // Flats through the Ronchi mask calibrate the IFU's spatial distortion.
      obstype === 'FLAT' && h.str('APERTURE') === 'Ronchi_Screen_G5615' && { add: ['RONCHI', 'CAL'] },
      flip === 'Out' && { add: ['SPECT', 'IFU'] },
    ];
  },
  descriptors: {
    camera: (c) => c.h.str('INSTRUME'),
    centralWavelength: (c) => {
      const w = c.h.num('GRATWAVE');
      return w === undefined || w < 0 ? undefined : w;
    },
    disperser: (c) => pretty(c.h.str('GRATING')),
    focalPlaneMask: (c) => pretty(c.h.str('APERTURE')),
    filterName: (c) => {
      const f = pretty(c.h.str('FILTER'));
      return f === 'Blocked' ? 'blank' : f;
    },
  },
};
