import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { compressSync } from '../fits/bzip2.js';
import { buildFits, imageHdu, type CardInput, type HduInput } from '../fits/write.js';

// Gemini-like sample files for `fitsstore up`, tests and benchmarks: realistic primary headers of
// a few facility instruments, optional extensions and bzip2, and deliberately broken files.

export interface SampleSpec {
  site?: 'N' | 'S';
  /** YYYYMMDD of the name. */
  date?: string;
  serial: number;
  instrument?: 'GMOS-N' | 'GMOS-S' | 'NIRI' | 'F2' | 'GNIRS' | 'GSAOI';
  extensions?: number;
  /** Pixels per side of each image (small by default). */
  size?: number;
  obstype?: string;
  obsclass?: string;
  programId?: string;
  object?: string;
  qa?: { rawgemqa: string; rawpireq: string };
  release?: string;
  bz2?: boolean;
  extraCards?: CardInput[];
}

export function sampleName(s: SampleSpec): string {
  const site = s.site ?? 'N';
  return `${site}${s.date ?? '20250101'}S${String(s.serial).padStart(4, '0')}.fits${s.bz2 ? '.bz2' : ''}`;
}

function isoDate(yyyymmdd: string) {
  return `${yyyymmdd.slice(0, 4)}-${yyyymmdd.slice(4, 6)}-${yyyymmdd.slice(6, 8)}`;
}

export function samplePrimaryCards(s: SampleSpec): CardInput[] {
  const site = s.site ?? 'N';
  const date = s.date ?? '20250101';
  const inst = s.instrument ?? (site === 'N' ? 'GMOS-N' : 'GMOS-S');
  const semester = `${date.slice(0, 4)}${Number(date.slice(4, 6)) < 8 && Number(date.slice(4, 6)) > 1 ? 'A' : 'B'}`;
  const prog = s.programId ?? `G${site}-${semester}-Q-${100 + (s.serial % 7)}`;
  const obsnum = 1 + (s.serial % 5);
  const sec = s.serial % 60;
  const qa = s.qa ?? { rawgemqa: 'UNKNOWN', rawpireq: 'UNKNOWN' };
  const cards: CardInput[] = [
    ['INSTRUME', inst, 'Instrument used to acquire data'],
    ['OBJECT', s.object ?? `NGC ${1000 + (s.serial % 50)}`, 'Object Name'],
    ['OBSTYPE', s.obstype ?? 'OBJECT', 'Observation type'],
    ['OBSCLASS', s.obsclass ?? 'science', 'Observe class'],
    ['GEMPRGID', prog, 'Gemini programme ID'],
    ['OBSID', `${prog}-${obsnum}`, 'Observation ID / Data label'],
    ['DATALAB', `${prog}-${obsnum}-${String(s.serial).padStart(3, '0')}`, 'DHS data label'],
    [
      'OBSERVAT',
      site === 'N' ? 'Gemini-North' : 'Gemini-South',
      'Name of telescope (Gemini-North|Gemini-South)',
    ],
    ['TELESCOP', site === 'N' ? 'Gemini-North' : 'Gemini-South'],
    ['DATE-OBS', isoDate(date), 'UTC Date of observation (YYYY-MM-DD)'],
    [
      'TIME-OBS',
      `10:${String(Math.floor(s.serial / 60) % 60).padStart(2, '0')}:${String(sec).padStart(2, '0')}.0`,
      'Time of observation',
    ],
    [
      'UT',
      `10:${String(Math.floor(s.serial / 60) % 60).padStart(2, '0')}:${String(sec).padStart(2, '0')}.0`,
      'UT at observation start',
    ],
    ['RA', 150.1 + (s.serial % 10) * 0.01, 'Right Ascension'],
    ['DEC', 2.2 + (s.serial % 10) * 0.01, 'Declination'],
    ['AIRMASS', 1.2, 'Mean airmass for the observation'],
    ['EXPTIME', 30.0, 'Exposure time in seconds'],
    ['RAWIQ', '70-percentile', 'Raw Image Quality'],
    ['RAWCC', '50-percentile', 'Raw Cloud Cover'],
    ['RAWWV', 'Any', 'Raw Water Vapour/Transparency'],
    ['RAWBG', '80-percentile', 'Raw Background'],
    ['RAWGEMQA', qa.rawgemqa, 'Gemini Quality Assessment'],
    ['RAWPIREQ', qa.rawpireq, 'PI Requirements Met'],
    ['RELEASE', s.release ?? isoDate(date), 'End of proprietary period YYYY-MM-DD'],
  ];
  if (inst.startsWith('GMOS')) {
    cards.push(
      ['FILTER1', 'open1-6', 'Filter 1'],
      ['FILTER2', 'r_G0303', 'Filter 2'],
      ['GRATING', 'MIRROR', 'Grating name'],
      ['MASKNAME', 'None', 'Mask name'],
      ['MASKTYP', 0, 'Mask/IFU type'],
      ['DETECTOR', 'GMOS + Hamamatsu', 'Detector name'],
      ['CENTWAVE', 0.0, 'Central wavelength'],
    );
  } else {
    cards.push(['FILTER', 'K_G0204', 'Filter']);
  }
  return [...cards, ...(s.extraCards ?? [])];
}

/** The bytes of one sample file (uncompressed). */
export function sampleFits(s: SampleSpec): Buffer {
  const size = s.size ?? 16;
  const next = s.extensions ?? 0;
  const pixels = () => {
    const a = new Int16Array(size * size);
    for (let i = 0; i < a.length; i++) a[i] = (i * 7 + s.serial) % 1000;
    return a;
  };
  const hdus: HduInput[] = [];
  if (next === 0) {
    hdus.push(imageHdu(pixels(), { primary: true, shape: [size, size], cards: samplePrimaryCards(s) }));
  } else {
    hdus.push(imageHdu(null, { primary: true, cards: [['NEXTEND', next], ...samplePrimaryCards(s)] }));
    for (let i = 1; i <= next; i++) {
      hdus.push(
        imageHdu(pixels(), {
          shape: [size, size],
          cards: [
            ['EXTNAME', 'SCI'],
            ['EXTVER', i],
            ['CCDSUM', '2 2'],
            ['DETSEC', `[${(i - 1) * size + 1}:${i * size},1:${size}]`],
          ],
        }),
      );
    }
  }
  return buildFits(hdus);
}

export function bzip2(buf: Buffer): Buffer {
  return compressSync(buf);
}

/** Writes a file atomically (temp + rename), as the DHS would once a file is complete. */
export function writeSample(dir: string, s: SampleSpec): string {
  mkdirSync(dir, { recursive: true });
  const name = sampleName(s);
  const raw = sampleFits(s);
  const file = path.join(dir, name);
  const tmp = path.join(dir, `.${name}.writing`);
  writeFileSync(tmp, s.bz2 ? bzip2(raw) : raw);
  renameSync(tmp, file);
  return name;
}

export type BrokenKind = 'not-fits' | 'truncated' | 'no-telescop' | 'zero-bytes' | 'missing-end';

/** A deliberately bad file with a name like a good one. */
export function brokenSample(kind: BrokenKind, s: SampleSpec): Buffer {
  const good = sampleFits(s);
  switch (kind) {
    case 'not-fits':
      return Buffer.from('this is not a FITS file\n'.repeat(200));
    case 'truncated':
      return good.subarray(0, good.length - 2880 - 100);
    case 'zero-bytes':
      return Buffer.alloc(0);
    case 'missing-end': {
      const b = Buffer.from(good.subarray(0, 2880));
      const text = b.toString('latin1').replace(/END {77}/, ' '.repeat(80));
      return Buffer.from(text, 'latin1');
    }
    case 'no-telescop': {
      const cards = samplePrimaryCards(s).filter((c) => !(Array.isArray(c) && c[0] === 'TELESCOP'));
      return buildFits([imageHdu(new Int16Array(16), { primary: true, shape: [4, 4], cards })]);
    }
  }
}
