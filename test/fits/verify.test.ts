import { describe, expect, it } from 'vitest';
import { verifyFits } from '../../src/fits/verify.js';
import { buildFits, type CardInput, type HduInput, imageHdu } from '../../src/fits/write.js';
import { bzip2, tempDir, writeTemp } from './helpers.js';

const dir = tempDir();
let n = 0;
const verify = (hdus: HduInput[] | Buffer, name = `v${n++}.fits`) =>
  verifyFits(writeTemp(dir, name, Buffer.isBuffer(hdus) ? hdus : buildFits(hdus)));

const primary = (cards: CardInput[] = []) => imageHdu(null, { primary: true, cards });
const sci = () => imageHdu(new Int16Array(6), { shape: [3, 2], cards: [['EXTNAME', 'SCI']] });
const bintable = (cards: CardInput[]): HduInput => ({ cards, data: Buffer.alloc(cards.length > 0 ? 24 : 0) });
const tableCards = (naxis1: number, extra: CardInput[] = []): CardInput[] => [
  ['XTENSION', 'BINTABLE'],
  ['BITPIX', 8],
  ['NAXIS', 2],
  ['NAXIS1', naxis1],
  ['NAXIS2', 2],
  ['PCOUNT', 0],
  ['GCOUNT', 1],
  ['TFIELDS', 2],
  ['TFORM1', '1J'],
  ['TFORM2', '4A'],
  ...extra,
];

describe('fitsverify checks', () => {
  it('a well-formed multi-extension file is ok, with no problems', async () => {
    const r = await verify([primary(), sci(), bintable(tableCards(8)), sci()]);
    expect(r.problems).toEqual([]);
    expect(r).toMatchObject({ ok: true, errors: 0, warnings: 0 });
    expect(r.hdus).toHaveLength(4);
  });

  it('missing EXTEND in a primary with extensions is a warning only', async () => {
    const noExtend = primary().cards.filter((c) => !(Array.isArray(c) && c[0] === 'EXTEND'));
    const r = await verify([{ cards: noExtend }, sci()]);
    expect(r.ok).toBe(true);
    expect(r.warnings).toBe(1);
    expect(r.problems[0]).toMatchObject({
      hdu: 0,
      kind: 'missing-keyword',
      severity: 'warning',
      message: expect.stringMatching(/EXTEND/),
    });
  });

  it('mandatory keywords must be there, in order, with valid values', async () => {
    const r = await verify([
      {
        cards: [
          ['SIMPLE', true],
          ['NAXIS', 0],
          ['BITPIX', 8],
          ['EXTEND', true],
        ],
      },
      {
        cards: [
          ['XTENSION', 'IMAGE'],
          ['BITPIX', 16],
          ['NAXIS', 1],
          ['NAXIS1', 0],
          ['GCOUNT', 1],
        ],
      },
      {
        cards: [
          ['XTENSION', 'IMAGE'],
          ['BITPIX', 16],
          ['NAXIS', 0],
          ['PCOUNT', 3],
          ['GCOUNT', 1],
          ['EXTVER', 'one'],
        ],
      },
    ]);
    expect(r.ok).toBe(false);
    expect(r.problems.map((p) => [p.hdu, p.kind, p.message.replace(/^HDU \d+ \([^)]*\): /, '')])).toEqual([
      [0, 'bad-keyword', 'BITPIX must be card 2'],
      [0, 'bad-keyword', 'NAXIS must be card 3'],
      [1, 'missing-keyword', 'mandatory keyword PCOUNT is missing'],
      [1, 'bad-keyword', 'GCOUNT must be card 6'],
      [2, 'bad-value', 'PCOUNT = 3: must be 0 in an IMAGE extension'],
      [2, 'bad-value', 'EXTVER = "one": must be an integer'],
    ]);
  });

  it('binary tables: TFORMn present and adding up to NAXIS1', async () => {
    const r = await verify([
      primary(),
      bintable(tableCards(12)),
      bintable(tableCards(8).filter((c) => !(Array.isArray(c) && c[0] === 'TFORM2'))),
    ]);
    expect(r.problems.map((p) => [p.hdu, p.kind])).toEqual([
      [1, 'bad-value'],
      [2, 'missing-keyword'],
      [2, 'bad-value'],
    ]);
    expect(r.problems[0].message).toMatch(/NAXIS1 = 12 but the TFORMn columns add up to 8 bytes/);
  });

  it('ASCII tables need TBCOLn', async () => {
    const cards: CardInput[] = [
      ['XTENSION', 'TABLE'],
      ['BITPIX', 8],
      ['NAXIS', 2],
      ['NAXIS1', 10],
      ['NAXIS2', 1],
      ['PCOUNT', 0],
      ['GCOUNT', 1],
      ['TFIELDS', 1],
      ['TFORM1', 'A10'],
    ];
    const r = await verify([primary(), { cards, data: Buffer.alloc(10, 0x20) }]);
    expect(r.problems.map((p) => p.message)).toEqual(['HDU 1 (TABLE): mandatory keyword TBCOL1 is missing']);
  });

  it('duplicate keywords are warnings; structural problems are errors', async () => {
    const dup = await verify([
      primary([
        ['OBJECT', 'a'],
        ['OBJECT', 'b'],
      ]),
    ]);
    expect(dup).toMatchObject({ ok: true, warnings: 1 });
    const file = buildFits([primary(), sci()]);
    const cut = await verify(file.subarray(0, file.length - 2880));
    expect(cut.ok).toBe(false);
    expect(cut.problems[0].kind).toBe('truncated-data');
    const notFits = await verify(Buffer.from('hello world'));
    expect(notFits.problems).toEqual([expect.objectContaining({ kind: 'not-fits' })]);
  });

  it('a file that cannot be decompressed is a read error, not an exception', async () => {
    const bz = bzip2(buildFits([primary(), sci()]));
    const path = writeTemp(dir, 'broken.fits.bz2', bz.subarray(0, bz.length - 30));
    const r = await verifyFits(path);
    expect(r.ok).toBe(false);
    expect(r.problems.at(-1)).toMatchObject({
      kind: 'read-error',
      fatal: true,
      message: expect.stringContaining('broken.fits.bz2'),
    });
  });
});
