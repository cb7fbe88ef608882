// Retired and visiting instruments, best effort: enough to classify and search their archive
// holdings (michelle, T-ReCS, NICI, PHOENIX, bHROS, OSCIR; the others, such as FLAMINGOS and TEXES,
// are read by the Gemini-wide rules alone, which is what the archive does). Their headers
// predate many Gemini conventions, so each maps its own keywords onto the archive's fields.

import { pretty } from './generic.js';
import { parseIsoDate, parseTimeOfDay } from './time.js';
import type { Instrument } from './types.js';

/** Always a spectrograph. */
const spectrograph = (name: string) => () => [{ add: [name, 'SPECT'] }];

export const michelle: Instrument = {
  names: ['MICHELLE'],
  tags: (h) => {
    const camera = h.str('CAMERA');
    return [
      { add: ['MICHELLE'] },
      camera === 'imaging' && { add: ['IMAGE'] },
      camera === 'spectroscopy' && { add: ['SPECT', 'LS'] },
    ];
  },
  descriptors: {
    centralWavelength: (c) => c.h.num('GRATPOS'),
    coadds: (c) => c.h.num('NUMEXPOS') ?? 1,
    disperser: (c) => c.h.str('GRATNAME'),
    // EXPOSURE is per coadd, and each of NUMEXT extensions (nod positions) holds NUMEXPOS coadds.
    exposureTime: (c) => {
      const t = c.h.num('EXPOSURE');
      if (t === undefined || t < 0) return undefined;
      return t * (c.h.num('NUMEXT') ?? 1) * (c.h.num('NUMEXPOS') ?? 1);
    },
    filterName: (c) => {
      const f = c.h.str('FILTER');
      return f === 'NBlock' ? 'blank' : f;
    },
    focalPlaneMask: (c) => c.h.str('SLITNAME'),
  },
};

export const trecs: Instrument = {
  names: ['TRECS'],
  tags: (h) => [
    { add: ['TRECS'] },
    { add: [(h.str('GRATING') ?? '').toUpperCase().includes('MIRROR') ? 'IMAGE' : 'SPECT'] },
  ],
  descriptors: {
    camera: (c) => c.h.str('OBSMODE'),
    disperser: (c) => c.h.str('GRATING'),
    exposureTime: (c) => c.h.num('OBJTIME'),
    focalPlaneMask: (c) => c.h.str('SLIT'),
    centralWavelength: (c) => {
      const d = c.h.str('GRATING');
      if (d === 'LowRes-10') return 10.5;
      if (d === 'LowRes-20') return 20.0;
      if (d?.startsWith('HighRes-10')) return c.h.num('HRCENWL');
      return undefined;
    },
  },
};

export const nici: Instrument = {
  names: ['NICI'],
  tags: () => [{ add: ['NICI', 'IMAGE'] }],
  descriptors: {
    camera: (c) => c.h.str('INSTRUME'),
    // Two cameras (red and blue channels) with their own integration times, always equal.
    exposureTime: (c) => c.h.num('ITIME_B') || c.h.num('ITIME_R'),
    filterName: (c) => {
      const red = pretty(c.h.str('FILTER_R'));
      const blue = pretty(c.h.str('FILTER_B'));
      if (red === undefined || blue === undefined) return red ?? blue;
      return `${red}+${blue}`;
    },
    disperser: (c) => pretty(c.h.str('DICHROIC')),
    focalPlaneMask: (c) => pretty(c.h.str('FPMW')),
  },
};

export const phoenix: Instrument = {
  names: ['PHOENIX'],
  tags: spectrograph('PHOENIX'),
  descriptors: {
    // DATE is when the file was written; the observation is UTDATE + UT.
    utDatetime: (c) => {
      const day = parseIsoDate(c.h.str('UTDATE') ?? '');
      const t = parseTimeOfDay(c.h.str('UT') ?? '');
      return day === undefined || t === undefined ? undefined : day + t.micros;
    },
    focalPlaneMask: (c) => c.h.str('SLIT_POS'),
  },
};

export const bhros: Instrument = {
  names: ['BHROS'],
  tags: spectrograph('BHROS'),
  descriptors: {
    disperser: () => 'bHROS',
    centralWavelength: (c) => {
      const a = c.h.num('WAVELENG'); // Angstroms
      return a === undefined || a <= 0 ? undefined : a / 10_000;
    },
  },
};

export const oscir: Instrument = {
  names: ['OSCIR'],
  descriptors: {
    airmass: (c) => c.h.num('AIRMASS') ?? c.h.num('AIRMASS1'),
  },
};
