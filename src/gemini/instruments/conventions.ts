// The archive's vocabularies and value conventions shared by every instrument: enumerations of
// the header table, broad-band wavelengths, canonical names, sky-condition percentiles and the
// derived QA state. Each enumeration is listed once, here: extraction keeps only these values and
// the search terms (gemini/selection/vocabulary.ts) are made from the same lists.

export const OBSERVATION_TYPES = [
  'DARK',
  'ARC',
  'FLAT',
  'BIAS',
  'OBJECT',
  'PINHOLE',
  'RONCHI',
  'CAL',
  'FRINGE',
  'MASK',
  'STANDARD',
  'SLITILLUM',
  'BPM',
] as const;

export const OBSERVATION_CLASSES = [
  'dayCal',
  'partnerCal',
  'acqCal',
  'acq',
  'science',
  'progCal',
  'nightCal',
] as const;

export const GAIN_SETTINGS = ['high', 'low', 'standard'] as const;
export const READSPEED_SETTINGS = [
  'fast',
  'medium',
  'slow',
  'standard',
  // GHOST reads its two cameras at separate speeds.
  'red:fast,blue:fast',
  'red:fast,blue:medium',
  'red:fast,blue:slow',
  'red:medium,blue:fast',
  'red:medium,blue:medium',
  'red:medium,blue:slow',
  'red:slow,blue:fast',
  'red:slow,blue:medium',
  'red:slow,blue:slow',
] as const;
export const WELLDEPTH_SETTINGS = ['Shallow', 'Deep', 'Invalid'] as const;

/** Effective wavelength (microns) of the broad bands; wavelength_band is the nearest one. */
export const WAVELENGTH_BANDS: Readonly<Record<string, number>> = {
  None: 0.0,
  u: 0.35,
  g: 0.475,
  r: 0.63,
  i: 0.78,
  Z: 0.9,
  Y: 1.02,
  X: 1.1,
  J: 1.2,
  H: 1.65,
  K: 2.2,
  L: 3.4,
  M: 4.8,
  N: 11.7,
  Q: 18.3,
};

/** Effective wavelengths (microns) of standard filters, overridable per instrument. */
export const FILTER_WAVELENGTHS: Readonly<Record<string, number>> = {
  u: 0.35,
  g: 0.475,
  r: 0.63,
  i: 0.78,
  z: 0.925,
  Y: 1.02,
  J: 1.25,
  H: 1.635,
  K: 2.2,
  FeII: 1.644,
};

/** The band nearest a wavelength in microns ('None' for 0, as the archive's table has it). */
export function wavelengthBand(microns: number | undefined): string | undefined {
  if (microns === undefined) return undefined;
  let best: string | undefined;
  let bestDiff = Infinity;
  for (const [band, w] of Object.entries(WAVELENGTH_BANDS)) {
    const diff = Math.abs(w - microns);
    if (diff < bestDiff) {
      best = band;
      bestDiff = diff;
    }
  }
  return best;
}

/** Lower-case spelling → the archive's instrument name (also the selection grammar's vocabulary). */
export const INSTRUMENT_NAMES: Readonly<Record<string, string>> = {
  niri: 'NIRI',
  nifs: 'NIFS',
  'gmos-n': 'GMOS-N',
  'gmos-s': 'GMOS-S',
  michelle: 'michelle',
  gnirs: 'GNIRS',
  ghost: 'GHOST',
  phoenix: 'PHOENIX',
  texes: 'TEXES',
  trecs: 'TReCS',
  nici: 'NICI',
  'igrins-2': 'IGRINS-2',
  igrins: 'IGRINS',
  gsaoi: 'GSAOI',
  oscir: 'OSCIR',
  f2: 'F2',
  gpi: 'GPI',
  abu: 'ABU',
  bhros: 'bHROS',
  hrwfs: 'hrwfs',
  flamingos: 'FLAMINGOS',
  cirpass: 'CIRPASS',
  graces: 'GRACES',
  alopeke: 'ALOPEKE',
  zorro: 'ZORRO',
  'maroon-x': 'MAROON-X',
};

/** The archive's spelling of an instrument name; unknown names pass through unchanged. */
export function canonicalInstrument(name: string): string {
  const known = INSTRUMENT_NAMES[name.toLowerCase()];
  if (known) return known;
  if (/^hokupa+\+*quirc$/i.test(name)) return 'Hokupaa+QUIRC';
  return name;
}

/**
 * 'Gemini-North' | 'Gemini-South' from the spellings the archive mends (case, '-' or '_':
 * geminiNorth, GEMINI_SOUTH). A blank inside ('Gemini South', as IGRINS writes) is not one of
 * them: the archive records no telescope for such files.
 */
export function canonicalTelescope(name: string | undefined): string | undefined {
  if (!name) return undefined;
  const s = name.toLowerCase().replace(/[-_]/g, '');
  if (s === 'gemininorth') return 'Gemini-North';
  if (s === 'geminisouth') return 'Gemini-South';
  return undefined;
}

/** '70-percentile' → 70, 'Any' → 100, anything else (UNKNOWN, '') → undefined. */
export function parsePercentile(v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  if (v === 'Any') return 100;
  const m = /^(\d\d)-percentile$/.exec(v);
  return m ? Number(m[1]) : undefined;
}

/**
 * Gemini's derived QA state from the observer's two flags: RAWGEMQA (did the data come out
 * usable: USABLE | BAD | CHECK | UNKNOWN) and RAWPIREQ (were the PI's conditions met: YES | NO |
 * CHECK | UNKNOWN). A missing flag counts as UNKNOWN, and UNKNOWN wins over everything.
 */
export function qaStateOf(rawgemqa: string | undefined, rawpireq: string | undefined): string {
  const gem = (rawgemqa ?? 'UNKNOWN').toUpperCase();
  const pi = (rawpireq ?? 'UNKNOWN').toUpperCase();
  if (gem === 'UNKNOWN' || pi === 'UNKNOWN') return 'Undefined';
  if (gem === 'USABLE' && pi === 'YES') return 'Pass';
  if (gem === 'USABLE' && pi === 'NO') return 'Usable';
  if (gem === 'BAD') return 'Fail';
  if (gem === 'CHECK' || pi === 'CHECK') return 'CHECK';
  return 'Undefined';
}
