import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { readFits } from '../../src/fits/reader.js';
import type { Hdu } from '../../src/fits/types.js';
import { buildFits, type CardInput, headerBlocks, imageHdu } from '../../src/fits/write.js';

/** A stream that delivers `bytes` in chunks of `size` (odd sizes cross every boundary). */
function chunked(bytes: Buffer, size = 1000): Readable {
  const parts: Buffer[] = [];
  for (let i = 0; i < bytes.length; i += size) parts.push(bytes.subarray(i, i + size));
  return Readable.from(parts, { objectMode: false });
}

const primary = imageHdu(null, { primary: true, cards: [['OBJECT', 'test']] });
const sci = (n: number) =>
  imageHdu(new Int16Array(100 * 50).fill(n), {
    shape: [100, 50],
    cards: [
      ['EXTNAME', 'SCI'],
      ['EXTVER', n],
    ],
  });
const mef = () => buildFits([primary, sci(1), sci(2), sci(3)]);

describe('reading the HDUs of a stream', () => {
  it('finds every HDU of a multi-extension file with its offsets and sizes', async () => {
    const { hdus, problems, totalBytes } = await readFits(chunked(mef(), 777));
    expect(problems).toEqual([]);
    expect(totalBytes).toBe(2880 + 3 * (2880 + 11520));
    expect(
      hdus.map((h) => [h.index, h.headerOffset, h.headerSize, h.dataOffset, h.dataSize, h.paddedDataSize]),
    ).toEqual([
      [0, 0, 2880, 2880, 0, 0],
      [1, 2880, 2880, 5760, 10000, 11520],
      [2, 17280, 2880, 20160, 10000, 11520],
      [3, 31680, 2880, 34560, 10000, 11520],
    ]);
    expect(hdus[2].header.get('extver')).toBe(2);
    expect(hdus[0].header.get('OBJECT')).toBe('test');
  });

  it('hands the wanted data units to onData in order, padding excluded', async () => {
    const seen = new Map<number, Buffer[]>();
    const ended: number[] = [];
    await readFits(chunked(mef(), 333), {
      wantData: (hdu) => hdu.header.get('EXTVER') !== 2,
      onData: async (hdu, chunk) => {
        await new Promise((r) => setImmediate(r)); // a slow consumer holds the stream back
        seen.set(hdu.index, [...(seen.get(hdu.index) ?? []), Buffer.from(chunk)]);
      },
      onDataEnd: (hdu) => {
        ended.push(hdu.index);
      },
    });
    expect([...seen.keys()]).toEqual([1, 3]);
    const data3 = Buffer.concat(seen.get(3)!);
    expect(data3.length).toBe(10000);
    expect(data3.readInt16BE(0)).toBe(3);
    expect(data3.readInt16BE(9998)).toBe(3);
    expect(ended).toEqual([0, 1, 3]); // the empty primary data unit is complete at once
  });

  it('sizes table, random-groups and PCOUNT/GCOUNT data units', async () => {
    const bintable: CardInput[] = [
      ['XTENSION', 'BINTABLE'],
      ['BITPIX', 8],
      ['NAXIS', 2],
      ['NAXIS1', 12],
      ['NAXIS2', 7],
      ['PCOUNT', 100],
      ['GCOUNT', 1],
      ['TFIELDS', 0],
    ];
    const table: CardInput[] = [
      ['XTENSION', 'TABLE'],
      ['BITPIX', 8],
      ['NAXIS', 2],
      ['NAXIS1', 30],
      ['NAXIS2', 3],
      ['PCOUNT', 0],
      ['GCOUNT', 1],
      ['TFIELDS', 0],
    ];
    const file = buildFits([
      {
        cards: [
          ['SIMPLE', true],
          ['BITPIX', -32],
          ['NAXIS', 3],
          ['NAXIS1', 0],
          ['NAXIS2', 3],
          ['NAXIS3', 2],
          ['GROUPS', true],
          ['PCOUNT', 2],
          ['GCOUNT', 5],
          ['EXTEND', true],
        ],
        data: Buffer.alloc(4 * 5 * (2 + 6)),
      },
      { cards: bintable, data: Buffer.alloc(12 * 7 + 100) },
      { cards: table, data: Buffer.alloc(90, 0x20) },
    ]);
    const { hdus, problems } = await readFits(chunked(file));
    expect(problems).toEqual([]);
    expect(hdus.map((h) => h.dataSize)).toEqual([160, 184, 90]);
  });

  it('reads a header-only file', async () => {
    const { hdus, problems } = await readFits(chunked(buildFits([primary])));
    expect(problems).toEqual([]);
    expect(hdus).toHaveLength(1);
  });
});

/** The same bytes as a random-access source (a local file), counting what is actually read. */
function randomAccess(bytes: Buffer, stats = { read: 0 }) {
  return {
    size: bytes.length,
    async readAt(position: number, length: number) {
      const part = bytes.subarray(position, position + length);
      stats.read += part.length;
      return Buffer.from(part);
    },
  };
}

describe.each([
  ['a stream', (bytes: Buffer) => readFits(chunked(bytes))],
  ['a random-access source', (bytes: Buffer) => readFits(randomAccess(bytes))],
])('problems found while reading %s', (_source, read) => {
  it('not FITS: the first card is not SIMPLE = T', async () => {
    const r1 = await read(Buffer.from('<html>hello</html>'.padEnd(5000)));
    expect(r1.problems).toEqual([
      { kind: 'not-fits', message: expect.stringMatching(/not a FITS file/), fatal: true },
    ]);
    const r2 = await read(
      headerBlocks([
        ['SIMPLE', false],
        ['BITPIX', 8],
        ['NAXIS', 0],
      ]),
    );
    expect(r2.problems[0].kind).toBe('not-fits');
    const r3 = await read(Buffer.alloc(0));
    expect(r3.problems[0]).toMatchObject({ kind: 'not-fits', message: expect.stringMatching(/empty/) });
  });

  it('truncated header', async () => {
    const { problems, hdus } = await read(mef().subarray(0, 2880 + 1000));
    expect(hdus).toHaveLength(1);
    expect(problems).toEqual([
      {
        hdu: 1,
        kind: 'truncated-header',
        message: 'HDU 1 (SCI,1): header truncated at byte 3880',
        fatal: true,
      },
    ]);
  });

  it('missing END, at the end of the file or running into data', async () => {
    const cards: CardInput[] = [
      ['SIMPLE', true],
      ['BITPIX', 8],
      ['NAXIS', 0],
    ];
    const noEnd = headerBlocks(cards).toString('latin1').replace('END ', '    ');
    const atEof = await read(Buffer.from(noEnd, 'latin1'));
    expect(atEof.problems[0]).toMatchObject({ kind: 'missing-end', hdu: 0, fatal: true });

    const withData = Buffer.concat([Buffer.from(noEnd, 'latin1'), Buffer.alloc(2880 * 100)]);
    const intoData = await read(withData);
    expect(intoData.problems[0]).toMatchObject({
      kind: 'missing-end',
      message: expect.stringMatching(/data found at byte 2880/),
    });

    // Text that never ends: reading stops instead of holding it all.
    const endless = Buffer.concat([Buffer.from(noEnd, 'latin1'), Buffer.alloc(2880 * 2500, 0x20)]);
    const stopped = await read(endless);
    expect(stopped.problems[0]).toMatchObject({
      kind: 'missing-end',
      message: expect.stringMatching(/no END card in 2000 header blocks/),
    });
    expect(stopped.totalBytes).toBeLessThan(endless.length);
  });

  it('truncated data names the HDU', async () => {
    const { problems, hdus } = await read(mef().subarray(0, 34560 + 5000));
    expect(problems).toEqual([
      {
        hdu: 3,
        kind: 'truncated-data',
        message: 'HDU 3 (SCI,3): data truncated: 5000 of 10000 bytes',
        fatal: true,
      },
    ]);
    expect(hdus[3].truncated).toBe(true);
  });

  it('a short last block is a non-fatal problem', async () => {
    const { problems } = await read(mef().subarray(0, 34560 + 10000));
    expect(problems).toEqual([
      {
        hdu: 3,
        kind: 'truncated-data',
        message: expect.stringMatching(/short of its padding by 1520 bytes/),
        fatal: false,
      },
    ]);
  });

  it('bad cards are reported and reading goes on', async () => {
    const header = headerBlocks([
      ['SIMPLE', true],
      ['BITPIX', 8],
      ['NAXIS', 0],
      ['EXTEND', true],
    ]);
    header.write("OBJECT  = 'caf\xe9'", 4 * 80, 'latin1');
    header.write('DATE    = 2020-01-01', 5 * 80, 'latin1');
    header.write('END'.padEnd(80), 6 * 80, 'latin1');
    const { problems, hdus } = await read(Buffer.concat([header, buildFits([sci(1)])]));
    expect(hdus).toHaveLength(2);
    expect(problems.map((p) => [p.kind, p.hdu, p.fatal])).toEqual([
      ['bad-card', 0, false],
      ['bad-card', 0, false],
    ]);
    expect(problems[0].message).toMatch(/^HDU 0 \(primary\) card 5: non-ASCII byte 0xe9/);
  });

  it('junk after the last HDU is reported; zero blocks are not', async () => {
    const zeros = await read(Buffer.concat([mef(), Buffer.alloc(2880)]));
    expect(zeros.problems).toEqual([]);
    const junk = await read(Buffer.concat([mef(), Buffer.alloc(100), Buffer.from('garbage')]));
    expect(junk.problems).toEqual([
      {
        kind: 'trailing-bytes',
        message: expect.stringMatching(
          /^107 bytes after the last HDU \(HDU 3 \(SCI,3\)\) .* from byte 46180/,
        ),
        fatal: false,
      },
    ]);
  });

  it('a header without NAXIS stops the read: the data cannot be sized', async () => {
    const { problems } = await read(
      headerBlocks([
        ['SIMPLE', true],
        ['BITPIX', 16],
      ]),
    );
    expect(problems).toEqual([
      { hdu: 0, kind: 'missing-keyword', message: expect.stringMatching(/NAXIS missing/), fatal: true },
    ]);
  });

  it('stops early without reading the rest of the stream', async () => {
    let pulled = 0;
    const big = Buffer.concat([Buffer.from('not fits'.padEnd(2880)), Buffer.alloc(2880 * 1000)]);
    const stream = Readable.from(
      (function* () {
        for (let i = 0; i < big.length; i += 2880) {
          pulled++;
          yield big.subarray(i, i + 2880);
        }
      })(),
    );
    const { problems } = await readFits(stream);
    expect(problems[0].kind).toBe('not-fits');
    expect(pulled).toBeLessThan(50);
    expect(stream.destroyed).toBe(true);
  });

  it('never keeps a data unit in memory', async () => {
    // 200 MB of data streamed through: heap growth stays far below it.
    const header = headerBlocks([
      ['SIMPLE', true],
      ['BITPIX', 8],
      ['NAXIS', 1],
      ['NAXIS1', 200_000_000],
    ]);
    const block = Buffer.alloc(1 << 20);
    const stream = Readable.from(
      (function* () {
        yield header;
        for (let i = 0; i < 200_000_000; i += block.length)
          yield block.subarray(0, Math.min(block.length, 200_000_000 - i));
        yield Buffer.alloc(padTo2880(200_000_000));
      })(),
    );
    const before = process.memoryUsage().arrayBuffers;
    let hdu: Hdu | undefined;
    const { problems } = await readFits(stream, { onHdu: (h) => void (hdu = h) });
    expect(problems).toEqual([]);
    expect(hdu?.dataSize).toBe(200_000_000);
    expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(50_000_000);
  });
});

function padTo2880(n: number): number {
  return (2880 - (n % 2880)) % 2880;
}

describe('reading a random-access source', () => {
  it('reads the header blocks and skips the data units it was not asked for', async () => {
    const big = (n: number) =>
      imageHdu(new Int16Array(500 * 400).fill(n), { shape: [500, 400], cards: [['EXTVER', n]] });
    const bytes = buildFits([primary, big(1), big(2)]);
    const stats = { read: 0 };
    const r = await readFits(randomAccess(bytes, stats), { wantData: () => false });
    const s = await readFits(chunked(bytes), { wantData: () => false });
    expect(r.problems).toEqual([]);
    expect(r.hdus.map((h) => [h.headerOffset, h.dataOffset, h.dataSize, h.header.cards.length])).toEqual(
      s.hdus.map((h) => [h.headerOffset, h.dataOffset, h.dataSize, h.header.cards.length]),
    );
    expect(r.totalBytes).toBe(bytes.length);
    expect(stats.read).toBeLessThan(bytes.length / 4);
  });

  it('still hands over the data units that are wanted', async () => {
    const got: number[] = [];
    await readFits(randomAccess(mef()), {
      wantData: (h) => h.index === 2,
      onData: (_h, chunk) => {
        got.push(chunk.length);
      },
    });
    expect(got.reduce((a, b) => a + b, 0)).toBe(100 * 50 * 2);
  });
});

describe('hashing while reading', () => {
  it('onBytes sees the whole stream, to the end with readToEnd even after a fatal problem', async () => {
    const { createHash } = await import('node:crypto');
    const file = Buffer.concat([buildFits([primary, sci(1)]), Buffer.from('junk')]);
    const md5 = createHash('md5');
    const r = await readFits(chunked(file, 700), { onBytes: (c) => md5.update(c) });
    expect(md5.digest('hex')).toBe(createHash('md5').update(file).digest('hex'));
    expect(r.totalBytes).toBe(file.length);

    const bad = Buffer.concat([Buffer.from('not fits'.padEnd(2880)), Buffer.alloc(100_000)]);
    let seen = 0;
    const r2 = await readFits(chunked(bad, 1000), {
      onBytes: (c) => void (seen += c.length),
      readToEnd: true,
    });
    expect(r2.problems[0].kind).toBe('not-fits');
    expect(seen).toBe(bad.length);
    expect(r2.totalBytes).toBe(bad.length);
  });
});
