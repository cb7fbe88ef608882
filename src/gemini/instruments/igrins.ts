// IGRINS (visiting Gemini-South 2020-2022, files SDC{H,K,S}_YYYYMMDD_NNNN) and IGRINS-2 (the
// Gemini-North facility successor, DHS files): near-infrared H+K echelle spectrographs.

import { decDegrees, generic, raDegrees } from './generic.js';
import { strOf } from './headers.js';
import { parseIsoDate, parseIsoDatetime, parseTimeOfDay } from './time.js';
import type { Instrument } from './types.js';

const BAND_WAVELENGTHS: Readonly<Record<string, number>> = { H: 1.65, K: 2.2 };

export const igrins: Instrument = {
  names: ['IGRINS'],
  tags: (h) => {
    const band = h.str('BAND');
    const objtype = h.str('OBJTYPE');
    return [
      { add: ['IGRINS'] },
      band === 'S' && { add: ['IMAGE', 'ACQUISITION'] },
      // H and K frames are echelle spectra, but the archive's IGRINS tag set has no SPECT (nor
      // IMAGE for them): it lists IGRINS files as imaging, without a central wavelength.
      objtype === 'DARK' && { add: ['DARK'], blocks: ['IMAGE', 'SPECT'] },
      objtype === 'ARC' && { add: ['ARC', 'CAL'] },
      objtype === 'FLAT' && { add: ['FLAT', 'CAL'] },
      objtype === 'STD' && { add: ['STANDARD', 'CAL'] },
      objtype === 'TAR' && { add: ['SCIENCE'] },
    ];
  },
  descriptors: {
    // Early files wrote the program only as GEMPRID.
    programId: (c) => (c.h.str('GEMPRGID') ?? c.h.str('GEMPRID'))?.toUpperCase(),
    observationId: (c) => {
      const prog = (c.h.str('GEMPRGID') ?? c.h.str('GEMPRID'))?.toUpperCase();
      const raw = c.h.raw('OBSID');
      const obsid = typeof raw === 'number' ? String(raw) : c.h.str('OBSID')?.toUpperCase();
      if (obsid === undefined || obsid === prog) return prog === undefined ? undefined : `${prog}-0`;
      if (prog !== undefined && /^\d+$/.test(obsid)) return `${prog}-${obsid}`;
      return obsid;
    },
    dataLabel: (c) => {
      const dl = c.h.str('DATALAB')?.toUpperCase();
      if (dl) return dl;
      const obs = c.d.observationId(c);
      return obs === undefined ? undefined : `${obs}-0`;
    },
    // OBJTYPE: TAR (science target), STD (telluric standard), DARK, FLAT, ARC.
    observationType: (c) => {
      const t = c.h.str('OBJTYPE');
      if (t === 'TAR' || t === 'STD') return 'OBJECT';
      return t === 'DARK' || t === 'FLAT' || t === 'ARC' ? t : undefined;
    },
    observationClass: (c) => {
      const t = c.h.str('OBJTYPE') ?? '';
      if (t.includes('STD')) return 'partnerCal';
      if (t.includes('TAR')) return 'science';
      if (c.h.str('BAND') === 'S') return 'acq';
      return undefined;
    },
    ra: (c) => raDegrees(c.h.raw('OBJRA')),
    dec: (c) => decDegrees(c.h.raw('OBJDEC')),
    airmass: (c) => c.h.num('AMSTART'),
    // IGRINS has no filters; the archive shows the band (H, K, or S for the slit camera) instead.
    filterName: (c) => c.h.str('BAND'),
    effectiveWavelength: (c) => BAND_WAVELENGTHS[c.h.str('BAND') ?? ''],
    // Some files have no RELEASE: one year after the observation.
    release: (c) => {
      const v = c.h.str('RELEASE');
      if (v && parseIsoDate(v.slice(0, 10)) !== undefined) return v.slice(0, 10);
      const obs = c.h.str('DATE-OBS')?.slice(0, 10);
      const day = obs === undefined ? undefined : parseIsoDate(obs);
      if (day === undefined || c.h.has('RELEASE')) return undefined;
      return new Date(day / 1000 + 365 * 86_400_000).toISOString().slice(0, 10);
    },
  },
};

export const igrins2: Instrument = {
  names: ['IGRINS-2'],
  tags: (h) => {
    const obstype = h.str('OBSTYPE');
    // A raw IGRINS-2 file bundles the H and K frames; only a single-band file (FILTER in its
    // primary header) is a spectrum in its own right. The archive lists raw bundles as imaging.
    const band = h.str('FILTER');
    return [
      { add: ['IGRINS', 'IGRINS-2'] },
      band ? { add: [band, 'SPECT', 'XD'] } : { add: ['BUNDLE'] },
      obstype === 'DARK' && { add: ['DARK', 'CAL'] },
      obstype === 'FLAT' && { add: ['FLAT', 'CAL'] },
      h.has('PROCSTND') && { add: ['STANDARD', 'CAL'] },
    ];
  },
  descriptors: {
    // No read mode is recorded for IGRINS-2.
    readMode: () => undefined,
    // The H and K arms are exposed separately, with their own EXPTIME in the first two extensions.
    exposureTime: (c) => {
      const times = c.h.allExts
        .slice(0, 2)
        .map((e) => e.get('EXPTIME'))
        .filter((v): v is number => typeof v === 'number');
      return times.length ? Math.max(...times) : c.h.num('EXPTIME');
    },
    // Early IGRINS-2 files carry only the date in the primary header; the start of the
    // exposure is UTSTART (a full ISO timestamp) of each arm's extension: take the earlier.
    utDatetime: (c) => {
      const full = parseIsoDatetime(c.h.str('DATE-OBS') ?? '');
      const time = ['UT', 'TIME-OBS', 'STARTUT', 'UTSTART'].some(
        (k) => parseTimeOfDay(c.h.str(k) ?? '') !== undefined,
      );
      if (full === undefined && !time) {
        const starts = [c.h.phu, ...c.h.allExts]
          .map((h) => parseIsoDatetime(strOf(h.get('UTSTART')) ?? ''))
          .filter((t): t is number => t !== undefined);
        if (starts.length) return Math.min(...starts);
      }
      return generic.utDatetime(c);
    },
    // No filters: a single-band file names its band.
    filterName: (c) => c.h.str('FILTER'),
    // Approximate wavelength of the central order of a single-band file.
    centralWavelength: (c) => ({ H: 1.616297, K: 2.120674 })[c.h.str('FILTER') ?? ''],
  },
};
