// Retired and visiting instruments, best effort: enough to classify and search their archive
// holdings (michelle, T-ReCS, NICI, PHOENIX, bHROS, OSCIR, FLAMINGOS, CIRPASS; the others, such as
// TEXES, are read by the Gemini-wide rules alone). Their headers predate many Gemini
// conventions, so each maps its own keywords onto the archive's fields.

import { pretty, raDegrees, readModeName, WAVELENGTH_BANDS } from './generic.js';
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
    // MODE: the observing mode (stare, nod, chop-nod) is what astrodata calls michelle's read mode.
    readMode: (c) => readModeName(c.h.str('MODE')),
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
    // GRATING: 'Mirror' images; any grating is long-slit spectroscopy (T-ReCS has no other mode).
    (h.str('GRATING') ?? '').toUpperCase().includes('MIRROR') ? { add: ['IMAGE'] } : { add: ['SPECT', 'LS'] },
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
  // OSCIR has no class of its own in astrodata: the Gemini-wide OBSMODE rule applies, and any
  // observing mode other than IMAGE ('chop-nod', 'stare') counts as spectroscopy.
  tags: (h) => {
    const mode = h.str('OBSMODE')?.toUpperCase();
    return [{ add: ['OSCIR'] }, mode !== undefined && { add: mode === 'IMAGE' ? [mode] : [mode, 'SPECT'] }];
  },
  descriptors: {
    airmass: (c) => c.h.num('AIRMASS') ?? c.h.num('AIRMASS1'),
  },
};

/** Calibration tags from a word in a free-text card (OBJECT or OBSTYPE), as the old instruments wrote them. */
function calibrationWords(text: string | undefined, blocks: readonly string[]) {
  const t = (text ?? '').toLowerCase();
  return [
    t.includes('flat') && { add: ['FLAT', 'CAL'] },
    t.includes('twilight') && { add: ['TWILIGHT', 'CAL'] },
    t.includes('dark') && { add: ['DARK', 'CAL'], blocks },
    t.includes('bias') && { add: ['BIAS', 'CAL'], blocks },
  ];
}

/**
 * FLAMINGOS (the University of Florida imager / multi-object spectrograph, at Gemini-South in
 * 2002): BIAS (detector bias voltage) is 1.0 for imaging and 0.75 for spectroscopy; OBJECT names
 * the calibrations; EXP_TIME, FILTER and GRISM describe the exposure. Its RA/DEC cards are absent
 * (only RA_BASE/RA_TEL are written), so the archive records no position.
 */
export const flamingos: Instrument = {
  names: ['FLAMINGOS'],
  tags: (h) => [
    { add: ['FLAMINGOS'] },
    h.num('BIAS') === 1 ? { add: ['IMAGE'] } : { add: ['SPECT'] },
    ...calibrationWords(h.str('OBJECT'), []),
  ],
  descriptors: {
    exposureTime: (c) => c.h.num('EXP_TIME'),
    filterName: (c) => c.h.str('FILTER'),
    // GRISM positions: open1, open2, leaky-dark, true-dark or a grism name.
    disperser: (c) => {
      const g = c.h.str('GRISM');
      return g === undefined || g.includes('open') || g.includes('dark') ? undefined : g;
    },
    // The fixed central wavelength of its JH and HK grisms, microns.
    centralWavelength: () => 1.5,
    ra: (c) => c.h.num('RA'),
    dec: (c) => c.h.num('DEC'),
  },
};

/**
 * CIRPASS (Cambridge near-infrared IFU spectrograph, visiting Gemini-South in 2003): the
 * archive classes its files as images, takes the calibrations from OBSTYPE and the position
 * from TEL_RA (sexagesimal hours). The declination it reads from a keyword CIRPASS never wrote
 * (astrodata's table names 'TEC_DEC'), so no declination is recorded.
 */
export const cirpass: Instrument = {
  names: ['CIRPASS'],
  tags: (h) => [
    { add: ['CIRPASS', 'IMAGE'] },
    ...calibrationWords(h.str('OBSTYPE'), ['IMAGE']).filter((r) => !r || !r.add.includes('TWILIGHT')),
  ],
  descriptors: {
    ra: (c) => raDegrees(c.h.raw('TEL_RA')),
    dec: () => undefined,
  },
};

/** hrwfs (the Gemini-South high-resolution wavefront sensor camera): images; position from CRVAL1/2. */
export const hrwfs: Instrument = {
  names: ['HRWFS'],
  tags: (h) => [{ add: ['HRWFS', 'IMAGE'] }, ...calibrationWords(h.str('OBSTYPE'), ['IMAGE'])],
  descriptors: {
    ra: (c) => c.h.num('CRVAL1'),
    dec: (c) => c.h.num('CRVAL2'),
  },
};

/**
 * TEXES (the visiting mid-infrared echelle spectrograph): always a spectrum (biases and darks
 * excepted); OBSTIME is the exposure time.
 */
export const texes: Instrument = {
  names: ['TEXES'],
  tags: (h) => {
    const t = (h.str('OBSTYPE') ?? '').toLowerCase();
    return [
      { add: ['TEXES', 'SPECT'] },
      t.includes('dark') && { add: ['DARK', 'CAL'], blocks: ['SPECT'] },
      t.includes('flat') && { add: ['FLAT', 'CAL'] },
      t.includes('bias') && { add: ['BIAS', 'CAL'], blocks: ['SPECT'] },
    ];
  },
  descriptors: {
    exposureTime: (c) => c.h.num('OBSTIME'),
  },
};

/**
 * Hokupa'a + QUIRC (the University of Hawaii AO system and its near-infrared camera, at
 * Gemini-North in 2000-2002): images; IMAGETYP is the observation type, AMEND the airmass, and
 * the FILTER card names the band, which the archive also shows as the filter.
 */
export const hokupaa: Instrument = {
  names: ['HOKUPAA+QUIRC'],
  tags: (h) => {
    const object = (h.str('OBJECT') ?? '').toLowerCase();
    return [
      { add: ['HOKUPAAQUIRC', 'IMAGE'] },
      object.includes('dark') && { add: ['DARK'], blocks: ['IMAGE', 'SPECT'] },
      object.includes('flat') && { add: ['FLAT', 'CAL'] },
    ];
  },
  descriptors: {
    airmass: (c) => c.h.num('AMEND'),
    observationType: (c) => c.h.str('IMAGETYP')?.toUpperCase(),
    filterName: (c) => c.h.str('FILTER'),
    // The band is named by the FILTER card itself; its effective wavelength picks it again.
    effectiveWavelength: (c) => WAVELENGTH_BANDS[c.h.str('FILTER') ?? ''],
  },
};
