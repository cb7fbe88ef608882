import { describe, expect, it } from 'vitest';
import * as fits from '../../src/fits/index.js';

describe('a header', () => {
  const { header, issues, ended } = fits.parseHeader(
    fits.headerBlocks([
      ['SIMPLE', true],
      ['BITPIX', 16],
      ['NAXIS', 0],
      ['OBJECT', 'first'],
      ['COMMENT', 'one'],
      ['OBJECT', 'second'],
      ['COMMENT', 'two'],
      ['ESO DET ID', 'ccd'],
      ['', null],
    ]),
  );

  it('looks keywords up case-insensitively, first occurrence', () => {
    expect(ended).toBe(true);
    expect(issues).toEqual([]);
    expect(header.get('object')).toBe('first');
    expect(header.has('Object')).toBe(true);
    expect(header.has('EXPTIME')).toBe(false);
    expect(header.get('EXPTIME')).toBeUndefined();
    expect(header.get('eso det id')).toBe('ccd');
    expect(header.all('COMMENT').map((c) => c.comment)).toEqual(['one', 'two']);
    expect(header.number('BITPIX')).toBe(16);
    expect(header.string('BITPIX')).toBeUndefined();
  });

  it('keeps every card in order, blank ones included, END excluded', () => {
    expect(header.cards.map((c) => c.keyword)).toEqual([
      'SIMPLE',
      'BITPIX',
      'NAXIS',
      'OBJECT',
      'COMMENT',
      'OBJECT',
      'COMMENT',
      'ESO DET ID',
      '',
    ]);
  });

  it('is what the public API re-exports', () => {
    for (const name of [
      'readFits',
      'readFitsFile',
      'openFitsStream',
      'readImages',
      'verifyFits',
      'buildFits',
      'formatCard',
      'decodeTileCompressed',
    ]) {
      expect(typeof (fits as Record<string, unknown>)[name]).toBe('function');
    }
  });
});
