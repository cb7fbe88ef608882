// NIFS: Gemini-North near-infrared integral-field spectrograph (behind the Altair AO system).

import { pretty, readModeName } from './generic.js';
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
    // Read modes by the number of non-destructive read pairs (LNRS).
    readMode: (c) => {
      const modes: Record<number, string> = { 1: 'Bright Object', 4: 'Medium Object', 16: 'Faint Object' };
      return readModeName(modes[c.h.num('LNRS') ?? -1] ?? 'Invalid');
    },
    camera: (c) => c.h.str('INSTRUME'),
    // GRATWAVE (µm) as a number card: early files write it as a string ('1.6490  '), which the
    // archive's ingest does not read as a wavelength.
    centralWavelength: (c) => {
      const w = c.h.raw('GRATWAVE');
      return typeof w === 'number' && w >= 0 ? w : undefined;
    },
    disperser: (c) => pretty(c.h.str('GRATING')),
    // astrodata's NIFS rule (NIFS has more lamp names than the Gemini-wide one knows): a closed
    // GCAL shutter means no lamp ('Off'), an open one the lamp named by GCALLAMP.
    gcalLamp: (c) => {
      if (!c.h.has('GCALLAMP')) return undefined;
      const shut = (c.h.str('GCALSHUT') ?? '').toUpperCase();
      if (shut.includes('CLOSED')) return 'Off';
      const lamp = c.h.str('GCALLAMP');
      return lamp !== undefined && shut.includes('OPEN') ? lamp : undefined;
    },
    focalPlaneMask: (c) => pretty(c.h.str('APERTURE')),
    filterName: (c) => {
      const f = pretty(c.h.str('FILTER'));
      return f === 'Blocked' ? 'blank' : f;
    },
  },
};
