import { describe, expect, it } from 'vitest';
import { editHeader, headerLength, HeaderEditError } from '../../src/fits/edit.js';
import { parseHeader } from '../../src/fits/header.js';
import { formatCard, headerBlocks } from '../../src/fits/write.js';

const base = () =>
  headerBlocks([
    ['SIMPLE', true],
    ['BITPIX', 16],
    ['NAXIS', 0],
    ['RAWGEMQA', 'UNKNOWN', 'Gemini Quality Assessment'],
    ['RAWPIREQ', 'UNKNOWN', 'PI Requirements Met'],
    { keyword: 'FITSFILE', value: 'D:\\HXRG\\a-very-long-path\\'.repeat(6) },
    ['MAROONX TELESCOPE PROGRAMID', 'GN-CAL20250101'],
    ['HISTORY', 'written by the instrument'],
  ]);

const text = (b: Buffer) => b.toString('latin1');

describe('editHeader', () => {
  it('changes a value in place, keeping the comment and every other card image byte for byte', () => {
    const before = base();
    const r = editHeader(before, { set: [{ keyword: 'RAWGEMQA', value: 'USABLE' }] });
    expect(r.inPlace).toBe(true);
    expect(r.header.length).toBe(before.length);
    expect(r.changes).toEqual([{ keyword: 'RAWGEMQA', action: 'set', before: 'UNKNOWN', after: 'USABLE' }]);
    const h = parseHeader(r.header).header;
    expect(h.get('RAWGEMQA')).toBe('USABLE');
    expect(h.card('RAWGEMQA')!.comment).toBe('Gemini Quality Assessment');
    // Only the RAWGEMQA card image differs.
    const diff = [];
    for (let i = 0; i < before.length; i += 80)
      if (text(before).slice(i, i + 80) !== text(r.header).slice(i, i + 80)) diff.push(i / 80);
    expect(diff).toEqual([3]);
    // CONTINUE and HIERARCH survive.
    expect(h.get('FITSFILE')).toBe('D:\\HXRG\\a-very-long-path\\'.repeat(6));
    expect(h.get('MAROONX TELESCOPE PROGRAMID')).toBe('GN-CAL20250101');
  });

  it('adds a new keyword before the trailing HISTORY cards, and grows by a whole block when needed', () => {
    const before = base();
    const one = editHeader(before, { set: [{ keyword: 'NEWKEY', value: 42 }] });
    const cards = parseHeader(one.header).header.cards.map((c) => c.keyword);
    expect(cards.indexOf('NEWKEY')).toBe(cards.indexOf('HISTORY') - 1);
    const many = Array.from({ length: 40 }, (_, i) => ({ keyword: `KEY${i}`, value: `value ${i}` }));
    const grown = editHeader(before, { set: many });
    expect(grown.inPlace).toBe(false);
    expect(grown.header.length).toBe(before.length + 2880);
    expect(headerLength(grown.header)).toBe(grown.header.length);
    expect(parseHeader(grown.header).header.get('KEY39')).toBe('value 39');
  });

  it('rewrites a lower-case keyword under its proper spelling', () => {
    const raw = headerBlocks([
      ['SIMPLE', true],
      ['BITPIX', 8],
      ['NAXIS', 0],
    ]);
    const end = 'END'.padEnd(80);
    const withObject = Buffer.from(
      text(raw)
        .replace(end, `Object  = 'HD 1234'`.padEnd(80) + end)
        .slice(0, 2880),
      'latin1',
    );
    const r = editHeader(withObject, { set: [{ keyword: 'OBJECT', value: 'HD 1234' }] });
    expect(r.changes).toHaveLength(1);
    expect(text(r.header)).toContain(formatCard('OBJECT', 'HD 1234'));
  });

  it('refuses structural keywords and, with reject_new, keywords the header lacks', () => {
    expect(() => editHeader(base(), { set: [{ keyword: 'NAXIS', value: 2 }] })).toThrow(HeaderEditError);
    expect(() =>
      editHeader(
        base(),
        {
          set: [
            { keyword: 'RAWGEMQA', value: 'BAD' },
            { keyword: 'RAWGEMQ', value: 'BAD' },
          ],
        },
        { rejectNew: true },
      ),
    ).toThrow(/RAWGEMQ is not in the header/);
  });

  it('lists nothing when the header already says so', () => {
    expect(editHeader(base(), { set: [{ keyword: 'RAWPIREQ', value: 'UNKNOWN' }] }).changes).toEqual([]);
  });
});
