import { describe, expect, it } from 'vitest';
import { isIngestibleName, parseFilename, trimBz2 } from '../../src/gemini/filename.js';

describe('parseFilename', () => {
  it('reads a DHS raw file name', () => {
    expect(parseFilename('N20200101S0001.fits')).toEqual({
      name: 'N20200101S0001.fits',
      compression: null,
      kind: 'raw',
      site: 'GN',
      date: '20200101',
      serial: 1,
      letter: 'S',
      instrument: null,
      prefix: '',
      suffix: '',
      programId: null,
    });
  });

  it('trims .bz2 from the name and reports the compression', () => {
    const f = parseFilename('S20191231S0456.fits.bz2');
    expect(f.name).toBe('S20191231S0456.fits');
    expect(f.compression).toBe('bz2');
    expect(f.site).toBe('GS');
    expect(f.serial).toBe(456);
  });

  it('keeps .gz in the name but still parses the stem', () => {
    const f = parseFilename('N20200101S0001.fits.gz');
    expect(f.name).toBe('N20200101S0001.fits.gz');
    expect(f.compression).toBe('gz');
    expect(f.kind).toBe('raw');
    expect(f.date).toBe('20200101');
  });

  it.each([
    ['N20190313A0002r.fits', 'A', 'ALOPEKE', 'r', 'raw'],
    ['S20190716Z0925b.fits', 'Z', 'ZORRO', 'b', 'raw'],
    ['N20150604G0003.fits', 'G', 'GRACES', '', 'raw'],
    ['N20250101M0624.fits', 'M', 'MAROON-X', '', 'raw'],
  ])('knows the visiting-instrument letter of %s', (name, letter, instrument, suffix, kind) => {
    const f = parseFilename(name);
    expect(f).toMatchObject({ letter, instrument, suffix, kind });
  });

  it('recognises processed names by suffix or prefix', () => {
    expect(parseFilename('N20200101S0001_flat.fits')).toMatchObject({
      kind: 'processed',
      suffix: '_flat',
      serial: 1,
    });
    expect(parseFilename('N20200101S0001_bias.fits')).toMatchObject({ kind: 'processed', suffix: '_bias' });
    expect(parseFilename('rgS20100212S0301.fits')).toMatchObject({
      kind: 'processed',
      prefix: 'rg',
      site: 'GS',
    });
    expect(parseFilename('mrgN20050831S0770_add.fits')).toMatchObject({
      kind: 'processed',
      prefix: 'mrg',
      suffix: '_add',
    });
    // One band of an IGRINS-2 exposure is a product of the raw (two-band) file.
    expect(parseFilename('N20240429S0122_H.fits')).toMatchObject({
      kind: 'processed',
      suffix: '_H',
      serial: 122,
    });
  });

  it('reads IGRINS names', () => {
    expect(parseFilename('SDCH_20240429_0122.fits')).toMatchObject({
      kind: 'igrins',
      date: '20240429',
      serial: 122,
      letter: 'H',
      instrument: 'IGRINS',
      site: null,
    });
    expect(parseFilename('SDCK_20201122_0020.fits.bz2').letter).toBe('K');
  });

  it('reads sky-camera images', () => {
    expect(parseFilename('img_20221020_12h23m34s.fits')).toMatchObject({
      kind: 'skycam',
      date: '20221020',
      serial: 122334,
      site: 'GS',
    });
  });

  it('reads obslogs and their program', () => {
    expect(parseFilename('20200101_GS-2019B-FT-105_obslog.txt')).toMatchObject({
      kind: 'obslog',
      date: '20200101',
      programId: 'GS-2019B-FT-105',
      site: 'GS',
    });
    expect(parseFilename('20190105_GN-CAL20190105_obslog.txt').site).toBe('GN');
  });

  it('dates the names of retired instruments', () => {
    expect(parseFilename('02jul07.0040.fits')).toMatchObject({
      kind: 'legacy',
      date: '20020707',
      serial: 40,
    });
    expect(parseFilename('2003mar20_2731.fits')).toMatchObject({ kind: 'legacy', date: '20030320' });
    expect(parseFilename('01MAY08_023.fits')).toMatchObject({ kind: 'legacy', date: '20010508', serial: 23 });
    expect(parseFilename('TX20071021_RAW.2037.fits')).toMatchObject({ kind: 'legacy', instrument: 'TEXES' });
  });

  it('gives up on anything else without throwing', () => {
    for (const name of [
      'notes.txt',
      'N20201301S0001.fits',
      'N20200230S0001.fits',
      '',
      'GN2001BQ013-04.fits',
    ]) {
      const f = parseFilename(name);
      expect(f.kind).toBe('unknown');
      expect(f.date).toBeNull();
    }
  });
});

describe('trimBz2', () => {
  it('removes one trailing .bz2 only', () => {
    expect(trimBz2('x.fits.bz2')).toBe('x.fits');
    expect(trimBz2('x.fits')).toBe('x.fits');
    expect(trimBz2('x.bz2.bz2')).toBe('x.bz2');
  });
});

describe('isIngestibleName', () => {
  it('accepts FITS files (compressed or not) and obslogs', () => {
    expect(isIngestibleName('N20200101S0001.fits')).toBe(true);
    expect(isIngestibleName('N20200101S0001.fits.bz2')).toBe(true);
    expect(isIngestibleName('20200101_GN-2020A-Q-1_obslog.txt')).toBe(true);
    expect(isIngestibleName('N20200101S0001.fits.tmp')).toBe(false);
    expect(isIngestibleName('readme.txt')).toBe(false);
  });
});
