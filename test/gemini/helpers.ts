// Small hand-made headers for the gemini tests: a plain object of keyword → value becomes a
// Header (case-insensitive, first occurrence wins, as the FITS reader's headers behave).

import type { Card, CardValue, Header } from '../../src/fits/types.js';

export type Cards = Record<string, CardValue>;

export function headerFromObject(obj: Cards): Header {
  const cards: Card[] = Object.entries(obj).map(([keyword, value]) => ({
    keyword: keyword.toUpperCase(),
    value,
    raw: `${keyword.toUpperCase().padEnd(8)}= ${JSON.stringify(value)}`,
  }));
  const byKey = new Map<string, Card>();
  for (const c of cards) if (!byKey.has(c.keyword)) byKey.set(c.keyword, c);
  return {
    cards,
    get: (k) => byKey.get(k.toUpperCase())?.value,
    has: (k) => byKey.has(k.toUpperCase()),
  };
}

/** A file: primary header first, then extensions. */
export function file(primary: Cards, ...extensions: Cards[]): Header[] {
  return [primary, ...extensions].map(headerFromObject);
}

/** Cards every DHS file of a Gemini-North program carries; tests override what they exercise. */
export function dhsPrimary(over: Cards = {}): Cards {
  return {
    SIMPLE: true,
    NAXIS: 0,
    TELESCOP: 'Gemini-North',
    OBSERVAT: 'Gemini-North',
    GEMPRGID: 'GN-2021A-Q-7',
    OBSID: 'GN-2021A-Q-7-3',
    DATALAB: 'GN-2021A-Q-7-3-012',
    OBSTYPE: 'OBJECT',
    OBSCLASS: 'science',
    OBJECT: 'Test Galaxy',
    TRKFRAME: 'FK5',
    FRAME: 'FK5',
    RATRACK: 0,
    DECTRACK: 0,
    RA: 150.25,
    DEC: 2.5,
    AZIMUTH: 120.5,
    ELEVATIO: 60.25,
    AIRMASS: 1.15,
    'DATE-OBS': '2021-03-04',
    UT: '08:15:30.5',
    LT: '22:15:30.0',
    RAWIQ: '70-percentile',
    RAWCC: '50-percentile',
    RAWWV: 'Any',
    RAWBG: '80-percentile',
    REQIQ: '85-percentile',
    REQCC: '70-percentile',
    REQWV: 'Any',
    REQBG: 'Any',
    RAWGEMQA: 'USABLE',
    RAWPIREQ: 'YES',
    RELEASE: '2022-03-04',
    ...over,
  };
}
