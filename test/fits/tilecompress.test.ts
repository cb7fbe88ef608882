import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { makeHeader } from '../../src/fits/header.js';
import { parseHeader } from '../../src/fits/header.js';
import { readImages } from '../../src/fits/readimages.js';
import { riceDecode } from '../../src/fits/rice.js';
import { decodeTileCompressed } from '../../src/fits/tilecompress.js';
import { buildFits, card, headerBlocks, imageHdu } from '../../src/fits/write.js';
import { riceEncode, tempDir, tiledHdu, type TiledOptions, writeTemp } from './helpers.js';

const fixtures = fileURLToPath(new URL('../fixtures/fits/', import.meta.url));
const dir = tempDir();

/** Deterministic values with flat runs, smooth noise and wild jumps (every Rice block kind). */
function values(n: number, lo: number, hi: number, seed = 7): number[] {
  let s = seed;
  const rnd = () => (s = (s * 1103515245 + 12345) >>> 0) / 2 ** 32;
  return Array.from({ length: n }, (_, i) => {
    if (i % 200 < 40) return lo + 5; // flat
    if (i % 200 > 180) return Math.floor(lo + rnd() * (hi - lo)); // wild
    return Math.round(lo + (hi - lo) / 2 + 20 * Math.sin(i / 9) + rnd() * 6) + 0; // no -0
  });
}

function decodeTiled(pixels: ArrayLike<number>, o: TiledOptions) {
  const { cards, data } = tiledHdu(pixels, o);
  const { header } = parseHeader(headerBlocks(cards));
  return decodeTileCompressed(header, data);
}

describe('Rice decoding', () => {
  it.each([
    [4, 32, -2147483648, 2147483647],
    [2, 16, -32768, 32767],
    [1, 32, 0, 255],
  ])('round-trips bytepix %i, blocksize %i', (bytepix, blocksize, lo, hi) => {
    const v = values(1000, lo, hi);
    expect([...riceDecode(riceEncode(v, blocksize, bytepix), v.length, blocksize, bytepix)]).toEqual(v);
  });

  it('fails cleanly on a short tile', () => {
    const enc = riceEncode(values(500, 0, 1000));
    expect(() => riceDecode(enc.subarray(0, 20), 500)).toThrow(/ends early/);
  });
});

describe('tile-compressed images made by fpack', () => {
  it('RICE_1, GZIP_1 and GZIP_2 tiles give back the original integers exactly', async () => {
    const original = await readImages(fixtures + 'tiles.fits');
    expect(original.map((i) => i.hdu.header.get('EXTNAME'))).toEqual(['I16', 'U16', 'I32', 'U8', 'F32']);
    for (const name of ['tiles-rice', 'tiles-gzip1', 'tiles-gzip2']) {
      const images = await readImages(fixtures + name + '.fits.fz');
      expect(images.map((i) => [i.width, i.height, i.compressed])).toEqual(
        original.map(() => [100, 37, true]),
      );
      for (let k = 0; k < 4; k++) expect(images[k].data, `${name} ${k}`).toEqual(original[k].data);
      // BLANK pixels of the int16 image (BSCALE 2, BZERO 10) come back as NaN.
      expect(images[0].data[17]).toBeNaN();
      expect(images[0].data[1]).toBe(original[0].data[1]);
    }
  });

  it('lossless float tiles (GZIP with -q 0) are exact, NaNs included', async () => {
    const original = await readImages(fixtures + 'tiles.fits');
    const gz = await readImages(fixtures + 'tiles-gzip2.fits.fz');
    expect(gz[4].hdu.header.get('ZQUANTIZ')).toBe('NONE');
    expect(gz[4].data).toEqual(original[4].data);
  });

  it('quantized float tiles read back as cfitsio reads them (SUBTRACTIVE_DITHER_1 and _2)', async () => {
    const q = await readImages(fixtures + 'tiles-q.fits.fz');
    expect(q[4].hdu.header.get('ZQUANTIZ')).toBe('SUBTRACTIVE_DITHER_2');
    const funpacked = await readImages(fixtures + 'tiles-q.fits');
    expect(q[4].data).toEqual(funpacked[4].data);
    expect(q[4].data[42]).toBeNaN();
    expect(q[4].data[100 * 12 + 50]).toBe(0); // dither 2 keeps exact zeros

    const rice = await readImages(fixtures + 'tiles-rice.fits.fz');
    const original = await readImages(fixtures + 'tiles.fits');
    expect(rice[4].hdu.header.get('ZQUANTIZ')).toBe('SUBTRACTIVE_DITHER_1');
    const a = rice[4].data;
    const b = original[4].data;
    for (let i = 0; i < a.length; i++) {
      if (Number.isNaN(b[i])) expect(a[i]).toBeNaN();
      else expect(Math.abs(a[i] - b[i])).toBeLessThan(0.2); // within the quantization step
    }
  });
});

describe('tile-compressed images made by the tests', () => {
  const W = 45;
  const H = 13;

  it('RICE_1 with the default BLOCKSIZE 32 and BYTEPIX 4 (no ZNAMEn cards)', () => {
    const v = values(W * H, -100000, 100000);
    const img = decodeTiled(v, { cmptype: 'RICE_1', zbitpix: 32, width: W, height: H });
    expect(img).toMatchObject({ width: W, height: H, planes: 1 });
    expect([...img.data]).toEqual(v);
  });

  it('RICE_1 int16 in 2-D tiles with partial edge tiles, BZERO and BLANK applied', () => {
    const v = values(W * H, -32768, 32767);
    v[3] = -32768;
    const img = decodeTiled(v, {
      cmptype: 'RICE_1',
      zbitpix: 16,
      width: W,
      height: H,
      tile: [16, 5],
      bytepix: 2,
      blocksize: 16,
      cards: [
        ['BZERO', 32768],
        ['BLANK', -32768],
      ],
    });
    expect([...img.data]).toEqual(v.map((x) => (x === -32768 ? NaN : x + 32768)));
  });

  it.each(['GZIP_1', 'GZIP_2', 'NOCOMPRESS'] as const)('%s int16 and uint8', (cmptype) => {
    const v16 = values(W * H, -32768, 32767);
    expect([...decodeTiled(v16, { cmptype, zbitpix: 16, width: W, height: H, tile: [W, 4] }).data]).toEqual(
      v16,
    );
    const v8 = values(W * H, 0, 255);
    expect([...decodeTiled(v8, { cmptype, zbitpix: 8, width: W, height: H }).data]).toEqual(v8);
  });

  it('GZIP_1 raw floats', () => {
    const f = new Float32Array(values(W * H, -1000, 1000).map((x) => x / 3));
    expect(decodeTiled(f, { cmptype: 'GZIP_1', zbitpix: -32, width: W, height: H }).data).toEqual(f);
  });

  it('quantized floats: ZSCALE/ZZERO per tile and ZBLANK', () => {
    const q = values(W * H, -5000, 5000);
    q[10] = -2147483647;
    const img = decodeTiled(q, {
      cmptype: 'RICE_1',
      zbitpix: -32,
      width: W,
      height: H,
      zscale: 0.5,
      zzero: 100,
      zblank: -2147483647,
    });
    expect([...img.data]).toEqual(q.map((x) => (x === -2147483647 ? NaN : Math.fround(x * 0.5 + 100))));
  });

  it('reads a tile-compressed HDU inside a file, with the other HDUs', async () => {
    const v = values(W * H, 0, 60000).map((x) => x - 30000);
    const tiled = tiledHdu(v, { cmptype: 'GZIP_1', zbitpix: 16, width: W, height: H });
    const path = writeTemp(
      dir,
      'mixed.fits.fz',
      buildFits([imageHdu(null, { primary: true }), tiled, imageHdu(new Int16Array(v), { shape: [W, H] })]),
    );
    const images = await readImages(path);
    expect(images.map((i) => [i.hdu.index, i.compressed])).toEqual([
      [1, true],
      [2, false],
    ]);
    expect(images[0].data).toEqual(images[1].data);
  });

  it('refuses HCOMPRESS_1 and PLIO_1 with a clear message', () => {
    const { cards, data } = tiledHdu([1, 2, 3], { cmptype: 'GZIP_1', zbitpix: 16, width: 3, height: 1 });
    const header = makeHeader([
      ...parseHeader(headerBlocks(cards)).header.cards.filter((c) => c.keyword !== 'ZCMPTYPE'),
      card('ZCMPTYPE', 'HCOMPRESS_1'),
    ]);
    expect(() => decodeTileCompressed(header, data)).toThrow(/HCOMPRESS_1 is not supported/);
  });
});
