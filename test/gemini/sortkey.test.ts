import { describe, expect, it } from 'vitest';
import { sortkey, trimBz2 } from '../../src/gemini/sortkey.js';

/** Names in the order the queue takes them: ORDER BY sortkey DESC. */
function queueOrder(names: string[]): string[] {
  return [...names].sort((a, b) => (sortkey(a) < sortkey(b) ? 1 : sortkey(a) > sortkey(b) ? -1 : 0));
}

describe('sortkey', () => {
  it('is z + date + zero-padded serial for DHS names', () => {
    expect(sortkey('N20200101S0001.fits')).toBe('z20200101000001');
    expect(sortkey('S20121122S9876_blah.fits')).toBe('z20121122009876');
    expect(sortkey('SDCH_20121020_9876.fits')).toBe('z20121020009876');
  });

  it('gives the same key with or without .bz2', () => {
    expect(sortkey('N20200101S0001.fits.bz2')).toBe(sortkey('N20200101S0001.fits'));
  });

  it('puts newer data first', () => {
    expect(
      queueOrder([
        'N20200101S0001.fits',
        'S20200102S0001.fits',
        'N20200101S0002.fits',
        'N20191231S0999.fits',
      ]),
    ).toEqual(['S20200102S0001.fits', 'N20200101S0002.fits', 'N20200101S0001.fits', 'N20191231S0999.fits']);
  });

  it('orders a 5-digit serial after a 4-digit one of the same night', () => {
    expect(queueOrder(['N20200101S9999.fits', 'N20200101S10000.fits'])).toEqual([
      'N20200101S10000.fits',
      'N20200101S9999.fits',
    ]);
  });

  it('puts science before sky-camera images, those before obslogs, unknown names last', () => {
    const names = [
      'readme.fits',
      '20250101_GN-2024B-Q-1_obslog.txt',
      'img_20250101_01h02m03s.fits',
      'N20100101S0001.fits',
    ];
    expect(queueOrder(names)).toEqual([
      'N20100101S0001.fits',
      'img_20250101_01h02m03s.fits',
      '20250101_GN-2024B-Q-1_obslog.txt',
      'readme.fits',
    ]);
    expect(sortkey('img_20221020_12h23m34s.fits')).toBe('y20221020122334');
    expect(sortkey('20001122_GN-2000A-Q-11_obslog.txt')).toBe('x20001122GN-2000A-Q-11');
    expect(sortkey('blahblah')).toBe('ablahblah');
  });

  it('re-exports trimBz2', () => {
    expect(trimBz2('a.fits.bz2')).toBe('a.fits');
  });
});
