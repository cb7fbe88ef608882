// GHOST: Gemini-South high-resolution optical spectrograph. A raw file is a "bundle": the primary
// header describes the observation and the extensions hold the red, blue and slit-viewer camera
// frames, each with its own sub-header.

import type { Header } from '../../fits/types.js';
import type { HeaderSet } from './headers.js';
import { numOf, strOf } from './headers.js';
import { parseIsoDate, parseTimeOfDay } from './time.js';
import type { Instrument } from './types.js';
import { readModeName } from './generic.js';

/** '2 x 4' → [2, 4] */
function binning(s: string | undefined): [number, number] | undefined {
  const m = s ? /^(\d+)\s*x\s*(\d+)$/.exec(s) : null;
  return m ? [Number(m[1]), Number(m[2])] : undefined;
}

/** A bundle's primary header names no camera; each extension's does. */
function isBundle(h: HeaderSet): boolean {
  return !h.has('CAMERA') && h.allExts.some((e) => e.has('CAMERA'));
}

function firstWith(h: HeaderSet, ...keys: string[]): Header | undefined {
  return h.allExts.find((e) => keys.every((k) => e.get(k) !== undefined && e.get(k) !== null));
}

export const ghost: Instrument = {
  names: ['GHOST'],
  tags: (h) => {
    const bundle = isBundle(h);
    const camera = h.str('CAMERA')?.toUpperCase();
    return [
      { add: ['GHOST'] },
      bundle && { add: ['BUNDLE'] },
      !bundle && (camera === 'RED' || camera === 'BLUE') && { add: ['SPECT', camera] },
      !bundle && camera === 'SLITV' && { add: ['IMAGE', 'SLITV'] },
      h.str('OBSTYPE') === 'BIAS' && { add: ['BIAS', 'CAL'], blocks: ['SPECT', 'IMAGE'] },
      h.str('OBSTYPE') === 'DARK' && { add: ['DARK', 'CAL'], blocks: ['SPECT', 'IMAGE'] },
      h.str('OBSTYPE') === 'ARC' && { add: ['ARC', 'CAL'] },
      h.str('OBSTYPE') === 'FLAT' && { add: ['FLAT', 'CAL'] },
    ];
  },
  descriptors: {
    // Bundles carry the exact start only in the camera sub-headers (the primary UT is rounded
    // differently), as DATE-OBS + UTSTART.
    utDatetime: (c) => {
      const sub = firstWith(c.h, 'DATE-OBS', 'UTSTART');
      if (sub) {
        const day = parseIsoDate(strOf(sub.get('DATE-OBS'))?.slice(0, 10) ?? '');
        const t = parseTimeOfDay(strOf(sub.get('UTSTART')) ?? '');
        if (day !== undefined && t !== undefined) return day + t.micros;
      }
      const date = parseIsoDate(c.h.str('DATE-OBS') ?? c.h.str('DATE') ?? '');
      const t = parseTimeOfDay(c.h.str('UT') ?? '');
      return date !== undefined && t !== undefined ? date + t.micros : undefined;
    },
    // The shorter of the two arms' total exposure (exposures × exposure time).
    exposureTime: (c) => {
      const red = (c.h.num('NREDEXP') ?? NaN) * (c.h.num('REDEXPT') ?? NaN);
      const blue = (c.h.num('NBLUEEXP') ?? NaN) * (c.h.num('BLUEEXPT') ?? NaN);
      const arms = [red, blue].filter(Number.isFinite);
      if (arms.length) return Math.min(...arms);
      return c.h.num('EXPTIME');
    },
    // Standard resolution → SR, high resolution → HR.
    focalPlaneMask: (c) => {
      const res = c.h.str('RESOLUT')?.toLowerCase();
      if (res === 'standard') return 'SR';
      if (res === 'high') return 'HR';
      return undefined;
    },
    // Binning of the science cameras, when both arms agree.
    detectorXBin: (c) => sameBinning(c.h)?.[0],
    detectorYBin: (c) => sameBinning(c.h)?.[1],
    // A bundle reads its two arms at different speeds; there is no single setting.
    readSpeedSetting: () => undefined,
    gainSetting: () => undefined,
    // astrodata's GHOST read_mode is the read speed of each camera, written as a Python dict
    // sorted by camera: each arm's READMODE (in its camera header: 0 slow, 1 medium, 2 fast);
    // the slit viewer always reads at its standard speed.
    readMode: (c) => {
      const speeds = new Map<string, string>();
      for (const ext of c.h.allExts) {
        const camera = strOf(ext.get('CAMERA'))?.toLowerCase();
        if (camera === 'slitv') speeds.set('slitv', 'standard');
        const mode = numOf(ext.get('READMODE'));
        if ((camera === 'red' || camera === 'blue') && mode !== undefined && !speeds.has(camera)) {
          const speed = ['slow', 'medium', 'fast'][mode];
          if (speed) speeds.set(camera, speed);
        }
      }
      if (speeds.size === 0) return 'None';
      const entries = [...speeds].sort(([a], [b]) => (a < b ? -1 : 1)).map(([k, v]) => `'${k}': '${v}'`);
      return readModeName(`{${entries.join(', ')}}`);
    },
  },
};

function sameBinning(h: HeaderSet): [number, number] | undefined {
  const red = binning(h.str('REDCCDS'));
  const blue = binning(h.str('BLUCCDS'));
  if (red && blue) return red[0] === blue[0] && red[1] === blue[1] ? red : undefined;
  if (red || blue) return red ?? blue;
  // A single-camera file: its CCDSUM.
  const sum = h
    .anyStr('CCDSUM')
    ?.split(/\s+/)
    .map((s) => numOf(s));
  return sum && sum.length === 2 && sum[0] !== undefined && sum[1] !== undefined
    ? [sum[0], sum[1]]
    : undefined;
}
