import { describe, expect, it } from 'vitest';
import { parseCards } from '../../src/fits/cards.js';
import { parseHeader } from '../../src/fits/header.js';
import { buildFits, card, formatCard, formatReal, headerBlocks, imageHdu } from '../../src/fits/write.js';

const images = (text: string) => text.match(/.{80}/g) ?? [];

describe('formatting a card', () => {
  it('follows the fixed format: strings from column 11, padded to 8; logicals and numbers end in column 30', () => {
    expect(formatCard('OBJECT', 'M31', 'target')).toBe("OBJECT  = 'M31     '           / target".padEnd(80));
    expect(formatCard('SIMPLE', true, 'conforms')).toBe(
      'SIMPLE  =                    T / conforms'.padEnd(80),
    );
    expect(formatCard('NAXIS1', 2048)).toBe('NAXIS1  =                 2048'.padEnd(80));
    expect(formatCard('EXPTIME', 30.5)).toBe('EXPTIME =                 30.5'.padEnd(80));
    expect(formatCard('TINY', 1e-30)).toBe('TINY    =              1.0E-30'.padEnd(80));
    expect(formatCard('UNDEF', null, 'unknown')).toBe('UNDEF   =                      / unknown'.padEnd(80));
    expect(formatCard('QUOTE', "it's")).toBe("QUOTE   = 'it''s   '".padEnd(80)); // as astropy writes it
    expect(formatCard('COMMENT', 'hello')).toBe('COMMENT hello'.padEnd(80));
    expect(formatCard('date-obs', '2024-01-02')).toBe("DATE-OBS= '2024-01-02'".padEnd(80));
  });

  it('writes reals that read back as reals, within 20 columns', () => {
    for (const v of [0.1, -1.5e-300, 123456789.123456789, 6.02214076e23, -0.000123456789012345]) {
      const s = formatReal(v);
      expect(s.length).toBeLessThanOrEqual(20);
      expect(s).toMatch(/[.E]/);
      expect(Number(s)).toBeCloseTo(v, 10);
      expect(Math.abs(Number(s) - v) / Math.abs(v)).toBeLessThan(1e-15);
    }
    expect(() => formatCard('BAD', NaN)).toThrow(/NaN/);
  });

  it('writes HIERARCH for long or spaced keywords', () => {
    expect(formatCard('ESO DET CHIP ID', 'ccd', 'chip')).toBe(
      "HIERARCH ESO DET CHIP ID = 'ccd     ' / chip".padEnd(80),
    );
    expect(card('A B C', 5)).toMatchObject({ keyword: 'A B C', value: 5 });
  });

  it('writes long strings with CONTINUE and reads them back whole', () => {
    const value = 'x'.repeat(50) + "'quoted'" + 'y'.repeat(100) + ' end';
    const text = formatCard('LONGSTR', value, 'a comment');
    expect(text.length % 80).toBe(0);
    const imgs = images(text);
    expect(imgs.length).toBeGreaterThan(2);
    expect(imgs[1].startsWith("CONTINUE  '")).toBe(true);
    const { cards, issues } = parseCards(imgs);
    expect(issues).toEqual([]);
    expect(cards).toEqual([{ keyword: 'LONGSTR', value, comment: 'a comment', raw: text }]);
  });

  it('puts a long comment of a long string on CONTINUE cards of its own', () => {
    const comment = 'word '.repeat(30).trim();
    const c = card('LONGSTR', 'z'.repeat(100), comment);
    expect(c.value).toBe('z'.repeat(100));
    expect(c.comment).toBe(comment);
  });

  it('rejects non-ASCII text', () => {
    expect(() => formatCard('OBJECT', 'café')).toThrow(/printable ASCII/);
  });
});

describe('header blocks and files', () => {
  it('ends the header with END and pads it with blanks to 2880 bytes', () => {
    const cards = Array.from({ length: 36 }, (_, i) => card(`KEY${i}`, i));
    const bytes = headerBlocks(cards);
    expect(bytes.length).toBe(5760); // 36 cards + END need a second block
    expect(bytes.toString('latin1', 2880, 2960)).toBe('END'.padEnd(80));
    expect(bytes.subarray(2960).every((b) => b === 0x20)).toBe(true);
    const { header, ended, size } = parseHeader(bytes);
    expect(ended).toBe(true);
    expect(size).toBe(5760);
    expect(header.get('key35')).toBe(35);
  });

  it('pads data with zeros and writes pixels big-endian', () => {
    const file = buildFits([imageHdu(new Int16Array([1, -2, 3]), { primary: true })]);
    expect(file.length).toBe(5760);
    expect([...file.subarray(2880, 2886)]).toEqual([0, 1, 0xff, 0xfe, 0, 3]);
    expect(file.subarray(2886).every((b) => b === 0)).toBe(true);
    const { header } = parseHeader(file);
    expect(header.cards.map((c) => c.keyword)).toEqual(['SIMPLE', 'BITPIX', 'NAXIS', 'NAXIS1', 'EXTEND']);
  });

  it('stores Uint16Array as int16 with BZERO = 32768', () => {
    const hdu = imageHdu(new Uint16Array([0, 65535]), { shape: [2, 1] });
    const { header } = parseHeader(headerBlocks(hdu.cards));
    expect(header.get('BZERO')).toBe(32768);
    expect(header.get('BITPIX')).toBe(16);
    expect([...buildFits([hdu]).subarray(2880, 2884)]).toEqual([0x80, 0x00, 0x7f, 0xff]);
  });
});
