import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { makeHeader } from '../../src/fits/header.js';
import { decodeImage, imageShape } from '../../src/fits/image.js';
import { readImages } from '../../src/fits/readimages.js';
import {
  bigEndianBytes,
  buildFits,
  card,
  type CardInput,
  imageHdu,
  type PixelArray,
} from '../../src/fits/write.js';
import { tempDir, writeTemp } from './helpers.js';

const dir = tempDir();

function header(bitpix: number, axes: number[], extra: CardInput[] = []) {
  return makeHeader([
    card('SIMPLE', true),
    card('BITPIX', bitpix),
    card('NAXIS', axes.length),
    ...axes.map((n, i) => card(`NAXIS${i + 1}`, n)),
    ...extra.map((c) => (Array.isArray(c) ? card(c[0], c[1], c[2]) : card(c.keyword, c.value as never))),
  ]);
}

const decode = (data: PixelArray, extra: CardInput[] = [], float64 = false) =>
  decodeImage(header(bitpixOf(data), [data.length], extra), bigEndianBytes(data), { float64 });

function bitpixOf(d: PixelArray): number {
  return d instanceof Uint8Array
    ? 8
    : d instanceof Int16Array
      ? 16
      : d instanceof Int32Array
        ? 32
        : d instanceof BigInt64Array
          ? 64
          : d instanceof Float32Array
            ? -32
            : -64;
}

describe('decoding image data', () => {
  it('decodes every BITPIX, big-endian', () => {
    expect([...decode(new Uint8Array([0, 1, 255])).data]).toEqual([0, 1, 255]);
    expect([...decode(new Int16Array([-32768, -1, 0, 32767])).data]).toEqual([-32768, -1, 0, 32767]);
    expect([...decode(new Int32Array([-2147483648, 123456, 2147483647]), [], true).data]).toEqual([
      -2147483648, 123456, 2147483647,
    ]);
    expect([...decode(new BigInt64Array([-5n, 2n ** 40n + 7n, -(2n ** 50n)]), [], true).data]).toEqual([
      -5,
      2 ** 40 + 7,
      -(2 ** 50),
    ]);
    expect([...decode(new Float32Array([1.5, -0.25, NaN, Infinity])).data]).toEqual([
      1.5,
      -0.25,
      NaN,
      Infinity,
    ]);
    const f64 = decode(new Float64Array([Math.PI, -1e300]), [], true).data;
    expect(f64).toBeInstanceOf(Float64Array);
    expect([...f64]).toEqual([Math.PI, -1e300]);
    expect(decode(new Float64Array([Math.PI])).data).toBeInstanceOf(Float32Array);
  });

  it('applies BZERO/BSCALE and turns BLANK into NaN', () => {
    const scaled: CardInput[] = [
      ['BZERO', 32768],
      ['BSCALE', 1],
    ];
    expect([...decode(new Int16Array([-32768, 0, 32767]), scaled).data]).toEqual([0, 32768, 65535]);
    const blank: CardInput[] = [
      ['BZERO', 10],
      ['BSCALE', 0.5],
      ['BLANK', -1],
    ];
    expect([...decode(new Int16Array([4, -1, 6]), blank).data]).toEqual([12, NaN, 13]);
    expect([
      ...decode(new Uint8Array([0, 255, 7]), [
        ['BLANK', 255],
        ['BZERO', -128],
      ]).data,
    ]).toEqual([-128, NaN, -121]);
    expect([
      ...decode(new Int32Array([1, -2147483648]), [
        ['BLANK', -2147483648],
        ['BSCALE', 2],
      ]).data,
    ]).toEqual([2, NaN]);
    expect([
      ...decode(new BigInt64Array([3n, -1n]), [
        ['BLANK', -1],
        ['BZERO', 1],
      ]).data,
    ]).toEqual([4, NaN]);
    // Floats: BLANK has no meaning, BZERO/BSCALE still apply.
    expect([
      ...decode(new Float32Array([1, NaN]), [
        ['BLANK', 1],
        ['BSCALE', 2],
        ['BZERO', 1],
      ]).data,
    ]).toEqual([3, NaN]);
  });

  it('squeezes axes of length 1 and counts planes', () => {
    expect(imageShape(header(16, [1, 200, 1, 300]))).toMatchObject({
      width: 200,
      height: 300,
      planes: 1,
      squeezed: [200, 300],
    });
    expect(imageShape(header(16, [10, 20, 3, 2]))).toMatchObject({
      width: 10,
      height: 20,
      planes: 6,
      pixels: 1200,
    });
    expect(imageShape(header(16, [50]))).toMatchObject({ width: 50, height: 1, planes: 1 });
    expect(imageShape(header(16, []))).toBeNull();
    const cube = decodeImage(
      header(16, [2, 2, 1, 2]),
      bigEndianBytes(new Int16Array([1, 2, 3, 4, 5, 6, 7, 8])),
    );
    expect(cube).toMatchObject({ width: 2, height: 2, planes: 2 });
    expect([...cube.data]).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
  });

  it('decodes from chunks, leaving the caller’s buffers alone', () => {
    const bytes = bigEndianBytes(new Int16Array([1, 2, 3, 4, 5]));
    const copy = Buffer.from(bytes);
    const chunks = [bytes.subarray(0, 3), bytes.subarray(3, 7), bytes.subarray(7)];
    expect([...decodeImage(header(16, [5]), chunks).data]).toEqual([1, 2, 3, 4, 5]);
    expect(bytes.equals(copy)).toBe(true);
    expect(() => decodeImage(header(16, [6]), chunks)).toThrow(/short/);
  });

  it('decodes a 6k × 4.6k int16 frame quickly', () => {
    const w = 6144;
    const h = 4608;
    const bytes = bigEndianBytes(new Int16Array(w * h).map((_, i) => (i % 30000) - 15000));
    const scaling: CardInput[] = [
      ['BZERO', 32768],
      ['BSCALE', 1],
    ];
    const hdr = header(16, [w, h], scaling);
    decodeImage(header(16, [w, 10], scaling), bytes.subarray(0, 2 * w * 10)); // warm-up on a strip
    // CPU time, not wall time: other test files share the machine's cores.
    const start = process.cpuUsage();
    const img = decodeImage(hdr, bytes);
    const used = process.cpuUsage(start);
    const ms = (used.user + used.system) / 1000;
    expect(img.data[1]).toBe(-15000 + 1 + 32768);
    // ~0.1–0.2 s on a quiet 2-core machine; the bound only catches a pathological slowdown.
    expect(ms).toBeLessThan(1500);
  });
});

describe('reading the images of a file', () => {
  const sci = (n: number) =>
    imageHdu(
      new Int16Array(30 * 20).map((_, i) => i * n),
      {
        shape: [30, 1, 20],
        cards: [
          ['EXTNAME', 'SCI'],
          ['EXTVER', n],
          ['BZERO', 1],
        ],
      },
    );
  const file = buildFits([
    imageHdu(null, { primary: true }),
    sci(1),
    imageHdu(new Float32Array(8), { shape: [8], cards: [['EXTNAME', 'VEC']] }), // 1-D: not a picture
    {
      cards: [
        ['XTENSION', 'BINTABLE'],
        ['BITPIX', 8],
        ['NAXIS', 2],
        ['NAXIS1', 4],
        ['NAXIS2', 2],
        ['PCOUNT', 0],
        ['GCOUNT', 1],
        ['TFIELDS', 1],
        ['TFORM1', '1J'],
      ],
      data: Buffer.alloc(8),
    },
    sci(2),
  ]);

  it('decodes every 2-D image HDU by default, in one pass', async () => {
    const path = writeTemp(dir, 'mef.fits.gz', gzipSync(file));
    const images = await readImages(path);
    expect(images.map((i) => [i.hdu.index, i.width, i.height, i.planes, i.compressed])).toEqual([
      [1, 30, 20, 1, false],
      [4, 30, 20, 1, false],
    ]);
    expect(images[1].data[7]).toBe(7 * 2 + 1);
  });

  it('decodes only what select picks', async () => {
    const path = writeTemp(dir, 'mef.fits', file);
    const images = await readImages(path, (hdu) => hdu.header.get('EXTNAME') === 'VEC', { float64: true });
    expect(images).toHaveLength(1);
    expect(images[0]).toMatchObject({ width: 8, height: 1, planes: 1 });
    expect(images[0].data).toBeInstanceOf(Float64Array);
  });

  it('fails on a truncated file, naming the problem', async () => {
    const path = writeTemp(dir, 'cut.fits', file.subarray(0, file.length - 2000));
    await expect(readImages(path)).rejects.toThrow(/cut\.fits: HDU 4 \(SCI,2\): data truncated/);
  });
});
