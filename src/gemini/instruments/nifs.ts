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
    centralWavelength: (c) => {
      const w = c.h.num('GRATWAVE');
      return w === undefined || w < 0 ? undefined : w;
    },
    disperser: (c) => pretty(c.h.str('GRATING')),
    // NIFS sees GCAL only through its shutter: with GCALSHUT closed no lamp reaches it, whatever
    // GCALLAMP names (the Gemini-wide rule says so only for the IR lamps).
    gcalLamp: (c) => {
      const lamp = c.h.str('GCALLAMP');
      const shut = c.h.str('GCALSHUT');
      if (!c.h.has('GCALLAMP') || shut === undefined) return undefined;
      if (shut.toUpperCase() === 'CLOSED' || lamp === undefined || lamp.toUpperCase() === 'NO VALUE')
        return 'Off';
      return lamp;
    },
    focalPlaneMask: (c) => pretty(c.h.str('APERTURE')),
    filterName: (c) => {
      const f = pretty(c.h.str('FILTER'));
      return f === 'Blocked' ? 'blank' : f;
    },
  },
};
