// Gemini filename conventions.
//
// The archive keys files by name with any `.bz2` removed (file.name); everything else here is
// read from the name alone, for queue priorities and quick classification before a header is
// opened. Seen in real data:
//   N20150216S0129.fits          DHS raw file: site N|S, UT/night date, letter, 4-digit serial.
//                                Letters: S = the summit DHS (all facility instruments, GHOST,
//                                IGRINS-2 ...), A = 'Alopeke, Z = Zorro (with b|r camera suffix:
//                                N20190313A0002r.fits), G = GRACES, M = MAROON-X.
//   N20120905S0122_arc.fits      processed: suffix after the serial (_flat, _bias, _stack_fringe,
//   rgS20100212S0301.fits        _H for one IGRINS-2 band ...) and/or an IRAF-style lower-case
//   mrgN20050831S0770_add.fits   processing prefix (r, rg, mrg, mfrg ...).
//   SDCH_20200131_0010.fits      IGRINS (1): SDC + band (H, K, or S = slit-viewing camera).
//   img_20221020_12h23m34s.fits  Gemini-South all-sky camera image.
//   20200101_GS-2019B-FT-105_obslog.txt   observing log of one program for one night.
//   02jul07.0040.fits, 2003mar20_2731.fits, 01MAY08_023.fits, TX20071021_RAW.2037.fits
//                                visiting / retired instruments (FLAMINGOS, CIRPASS, PHOENIX,
//                                OSCIR, Hokupaa+QUIRC, hrwfs, TEXES): "legacy", dated.

import type { Site } from './nights.js';
import { isYyyymmdd } from './nights.js';

export type FilenameKind = 'raw' | 'processed' | 'igrins' | 'skycam' | 'obslog' | 'legacy' | 'unknown';

export interface GeminiFilename {
  /** The name as the archive keys it: `.bz2` removed (other suffixes, including `.gz`, kept). */
  name: string;
  /** Compression suffix found on the given name. */
  compression: 'bz2' | 'gz' | null;
  kind: FilenameKind;
  site: Site | null;
  /** YYYYMMDD from the name (for GS DHS names this is the night label, see nights.ts). */
  date: string | null;
  serial: number | null;
  /** The instrument-family letter of DHS-style names (S, A, Z, G, M ...), else null. */
  letter: string | null;
  /** Instrument implied by the name alone, when it implies one. */
  instrument: string | null;
  /** Processing prefix before the site letter (rg, mrg ...), '' when none. */
  prefix: string;
  /** Everything between the serial and the extension (_flat, r, _H ...), '' when none. */
  suffix: string;
  /** Program id of an obslog name, else null. */
  programId: string | null;
}

/** Letters of DHS-style names that identify a visiting instrument's own data system. */
const LETTER_INSTRUMENT: Readonly<Record<string, string>> = {
  A: 'ALOPEKE',
  Z: 'ZORRO',
  G: 'GRACES',
  M: 'MAROON-X',
};

const IGRINS_BAND_INSTRUMENT = 'IGRINS';

/** Remove one trailing `.bz2`, as the archive does for file.name. */
export function trimBz2(filename: string): string {
  return filename.endsWith('.bz2') ? filename.slice(0, -4) : filename;
}

// [prefix][N|S]YYYYMMDD<letter><serial><suffix>[.fits]
const DHS_RE = /^([a-z]*)([NS])(\d{8})([A-Z])(\d{3,})([^.]*)(\.fits)?$/;
const IGRINS_RE = /^SDC([HKS])_(\d{8})_(\d+)([^.]*)(\.fits)?$/;
const SKYCAM_RE = /^img_(\d{8})_(\d{2})h(\d{2})m(\d{2})s([^.]*)(\.fits)?$/;
const OBSLOG_RE = /^(\d{8})_(.+)_obslog\.txt$/;
const TEXES_RE = /^TX(\d{8})_([A-Za-z]+)\.(\d+)(\.fits)?$/;
const MONTHS = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];
// [prefix]YY[YY]monDD(.|_)serial[suffix][.fits]
const MONTHNAME_RE =
  /^([a-zA-Z]?)(\d{2}|\d{4})(jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)(\d{2})[._](\d+)([^.]*(?:\.\d+)?)(\.fits)?$/i;

function empty(name: string, compression: GeminiFilename['compression']): GeminiFilename {
  return {
    name,
    compression,
    kind: 'unknown',
    site: null,
    date: null,
    serial: null,
    letter: null,
    instrument: null,
    prefix: '',
    suffix: '',
    programId: null,
  };
}

function siteOfLetter(c: string): Site {
  return c === 'N' ? 'GN' : 'GS';
}

/** Parse a Gemini filename (with or without directory-free compression suffix). Never throws. */
export function parseFilename(filename: string): GeminiFilename {
  const name = trimBz2(filename);
  const compression = filename.endsWith('.bz2') ? 'bz2' : name.endsWith('.gz') ? 'gz' : null;
  const stem = compression === 'gz' ? name.slice(0, -3) : name;
  const out = empty(name, compression);

  let m = DHS_RE.exec(stem);
  if (m && isYyyymmdd(m[3])) {
    const [, prefix, siteChar, date, letter, serial, suffix] = m;
    out.site = siteOfLetter(siteChar);
    out.date = date;
    out.letter = letter;
    out.serial = Number(serial);
    out.prefix = prefix;
    out.suffix = suffix;
    out.instrument = LETTER_INSTRUMENT[letter] ?? null;
    // The speckle cameras write one raw file per camera, marked b (blue) or r (red).
    const cameraSuffix = (letter === 'A' || letter === 'Z') && /^[br]$/.test(suffix);
    out.kind = prefix === '' && (suffix === '' || cameraSuffix) ? 'raw' : 'processed';
    return out;
  }

  m = IGRINS_RE.exec(stem);
  if (m && isYyyymmdd(m[2])) {
    out.kind = 'igrins';
    out.date = m[2];
    out.serial = Number(m[3]);
    out.letter = m[1];
    out.suffix = m[4];
    out.instrument = IGRINS_BAND_INSTRUMENT;
    return out;
  }

  m = SKYCAM_RE.exec(stem);
  if (m && isYyyymmdd(m[1])) {
    out.kind = 'skycam';
    out.site = 'GS'; // only Gemini-South's all-sky camera feeds the archive (GS_ALLSKYCAMERA)
    out.date = m[1];
    out.serial = Number(m[2] + m[3] + m[4]); // HHMMSS: orders the night's images
    out.suffix = m[5];
    out.instrument = 'GS_ALLSKYCAMERA';
    return out;
  }

  m = OBSLOG_RE.exec(stem);
  if (m && isYyyymmdd(m[1])) {
    out.kind = 'obslog';
    out.date = m[1];
    out.programId = m[2];
    const site = /^G([NS])-/.exec(m[2]);
    out.site = site ? siteOfLetter(site[1]) : null;
    return out;
  }

  m = TEXES_RE.exec(stem);
  if (m && isYyyymmdd(m[1])) {
    out.kind = 'legacy';
    out.date = m[1];
    out.serial = Number(m[3]);
    out.suffix = `_${m[2]}`;
    out.instrument = 'TEXES';
    return out;
  }

  m = MONTHNAME_RE.exec(stem);
  if (m) {
    const [, prefix, yy, mon, dd, serial, suffix] = m;
    // Two-digit years belong to the 1998-2009 instruments (OSCIR started in 1998).
    const year = yy.length === 4 ? yy : (Number(yy) >= 90 ? '19' : '20') + yy;
    const date = `${year}${String(MONTHS.indexOf(mon.toLowerCase()) + 1).padStart(2, '0')}${dd}`;
    if (isYyyymmdd(date)) {
      out.kind = 'legacy';
      out.date = date;
      out.serial = Number(serial);
      out.prefix = prefix;
      out.suffix = suffix;
      return out;
    }
  }

  return out;
}

/** True when the name looks like a file the archive ingests (FITS, possibly compressed, or an obslog). */
export function isIngestibleName(filename: string): boolean {
  const name = trimBz2(filename);
  return /\.fits(\.gz)?$/.test(name) || /_obslog\.txt$/.test(name);
}
