import { describe, expect, it } from 'vitest';
import { parseCard, parseCards } from '../../src/fits/cards.js';
import { img } from './helpers.js';

const one = (text: string) => parseCard(img(text));

describe('a header card', () => {
  it('reads every value type', () => {
    expect(one("OBJECT  = 'M31     '           / target").card).toMatchObject({
      keyword: 'OBJECT',
      value: 'M31',
      comment: 'target',
    });
    expect(one("QUOTE   = 'it''s ''x'''").card.value).toBe("it's 'x'");
    expect(one("LEAD    = '  a  '").card.value).toBe('  a'); // leading blanks count, trailing do not
    expect(one("EMPTY   = ''").card.value).toBe('');
    expect(one('SIMPLE  =                    T / conforms').card).toMatchObject({
      value: true,
      comment: 'conforms',
    });
    expect(one('FLAG    =                    F').card.value).toBe(false);
    expect(one('NAXIS1  =                 2048').card.value).toBe(2048);
    expect(one('NEG     =                  -17').card.value).toBe(-17);
    expect(one('HUGE    = 123456789012345678901234567890').card.value).toBe(1.2345678901234568e29);
    expect(one('EXPTIME =                 30.5').card.value).toBe(30.5);
    expect(one('DBL     =       1.234567890D+3').card.value).toBe(1234.56789);
    expect(one('EXP     =              -2.5E-7').card.value).toBe(-2.5e-7);
    expect(one('DOT     =                  .25').card.value).toBe(0.25);
    expect(one('TRAIL   =               -9999.').card.value).toBe(-9999);
    expect(one('CPLX    =           (1.5, -2.0)').card.value).toBe('(1.5, -2.0)');
    expect(one('UNDEF   =                      / nothing here').card).toMatchObject({
      value: null,
      comment: 'nothing here',
    });
    expect(one('UNDEF2  =').card.value).toBeNull();
  });

  it('reads commentary cards as text', () => {
    expect(one('COMMENT   FITS (Flexible Image Transport System)').card).toEqual({
      keyword: 'COMMENT',
      comment: '  FITS (Flexible Image Transport System)',
      raw: img('COMMENT   FITS (Flexible Image Transport System)'),
    });
    const history = one('HISTORY = not a value').card;
    expect(history).toMatchObject({ keyword: 'HISTORY', comment: '= not a value' });
    expect('value' in history).toBe(false);
    expect(one('').card).toEqual({ keyword: '', raw: img('') });
    expect(one('        blank keyword text').card).toMatchObject({
      keyword: '',
      comment: 'blank keyword text',
    });
    // No "= " in columns 9–10: no value either.
    const words = one('NOVALUE   just words').card;
    expect(words).toMatchObject({ keyword: 'NOVALUE', comment: '  just words' });
    expect(words.value).toBeUndefined();
  });

  it('reads HIERARCH keywords with their spaces', () => {
    const { card, issues } = one("HIERARCH ESO DET CHIP1 ID = 'ccd42' / chip");
    expect(card).toMatchObject({ keyword: 'ESO DET CHIP1 ID', value: 'ccd42', comment: 'chip' });
    expect(issues).toEqual([]);
    expect(one('HIERARCH A B C = 5').card).toMatchObject({ keyword: 'A B C', value: 5 });
  });

  it('keeps a slash inside a string', () => {
    expect(one("PATH    = '/data/a/b.fits' / where").card).toMatchObject({
      value: '/data/a/b.fits',
      comment: 'where',
    });
  });

  it('reports bad cards without throwing', () => {
    const bytes = one("OBJECT  = 'caf\u00e9'");
    expect(bytes.issues[0]).toMatchObject({ kind: 'bad-card' });
    expect(bytes.issues[0].message).toMatch(/non-ASCII byte 0xe9 in column 15/);
    expect(bytes.card.value).toBe('caf\u00e9');

    const kw = one('bad key =                    1');
    expect(kw.issues).toEqual([{ kind: 'bad-keyword', message: 'invalid keyword "bad key"' }]);
    expect(kw.card).toMatchObject({ keyword: 'BAD KEY', value: 1 });

    const value = one('DATE    = 2020-01-01 / unquoted');
    expect(value.issues[0]).toMatchObject({ kind: 'bad-card' });
    expect(value.card.value).toBe('2020-01-01');

    expect(one("OPEN    = 'no end").issues[0].message).toMatch(/unterminated string/);
    expect(one("JUNK    = 'a' b").issues[0].message).toMatch(/text after string/);
  });
});

describe('long strings (CONTINUE)', () => {
  it('joins the pieces into one card that keeps every image', () => {
    const images = [
      img("LONG    = 'This is a long &'  / first"),
      img("CONTINUE  'string value &' / second"),
      img("CONTINUE  'that ends here'"),
      img('NEXT    =                    1'),
    ];
    const { cards, issues } = parseCards(images);
    expect(issues).toEqual([]);
    expect(cards).toHaveLength(2);
    expect(cards[0]).toMatchObject({
      keyword: 'LONG',
      value: 'This is a long string value that ends here',
      comment: 'first second',
    });
    expect(cards[0].raw).toBe(images.slice(0, 3).join(''));
    expect(cards[1]).toMatchObject({ keyword: 'NEXT', value: 1 });
  });

  it('reads the IGRINS-2 style (CONTINUE= and no &) as astropy does, with warnings', () => {
    const { cards, issues } = parseCards([
      img("FITSFILE= '/home/dcsh/DCS/Data/'"),
      img("CONTINUE= 'SDCH_0080.fits'"),
    ]);
    expect(cards).toHaveLength(1);
    expect(cards[0].value).toBe('/home/dcsh/DCS/Data/SDCH_0080.fits');
    expect(issues.map((i) => i.issue.severity)).toEqual(['warning', 'warning']);
  });

  it('keeps a lone & and an orphan CONTINUE as they are', () => {
    const { cards } = parseCards([
      img("AMP     = 'a&'"),
      img('N       =                    2'),
      img("CONTINUE  'x'"),
    ]);
    expect(cards.map((c) => [c.keyword, c.value])).toEqual([
      ['AMP', 'a&'],
      ['N', 2],
      ['CONTINUE', undefined],
    ]);
  });
});
