import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildFits, imageHdu } from '../../src/fits/write.js';
import { previewFits } from '../../src/preview/index.js';
import { layoutImages, parseSection } from '../../src/preview/mosaic.js';
import { loadForPreview } from '../../src/preview/load.js';
import { percentileClip, select, stretchLut } from '../../src/preview/render.js';
import { decode, gmosFrame, meanOf, singleFrame, stream } from './frames.js';

describe('preview of single images', () => {
  it('a 2000 × 1000 frame becomes a 1000 × 500 grey JPEG; small frames are not enlarged', async () => {
    const big = await previewFits(stream(singleFrame(2000, 1000, (x, y) => x + y)), 'big.fits');
    expect(big.kind).toBe('image');
    const img = await decode(big.jpeg);
    expect([img.width, img.height]).toEqual([1000, 500]);
    const meta = await (await import('sharp')).default(big.jpeg).metadata();
    expect(meta.format).toBe('jpeg');
    expect(meta.channels).toBe(1);
    const small = await decode(
      (await previewFits(stream(singleFrame(300, 200, (x) => x)), 'small.fits')).jpeg,
    );
    expect([small.width, small.height]).toEqual([300, 200]);
  });

  it('north up: the first data row is at the bottom of the picture', async () => {
    // Rows 0–49 (FITS y = 1..50) bright, the rest dark.
    const r = await previewFits(stream(singleFrame(400, 400, (_x, y) => (y < 50 ? 1000 : 0))), 'rows.fits');
    const img = await decode(r.jpeg);
    expect(meanOf(img, 0, 400, 360, 400)).toBeGreaterThan(240); // bottom band: white
    expect(meanOf(img, 0, 400, 0, 300)).toBeLessThan(10); // top: black
  });

  it('maps intensity monotonically: a left-to-right ramp stays a ramp', async () => {
    const r = await previewFits(stream(singleFrame(1000, 100, (x) => x)), 'ramp.fits');
    const img = await decode(r.jpeg);
    const means: number[] = [];
    for (let x0 = 0; x0 < 1000; x0 += 50) means.push(meanOf(img, x0, x0 + 50, 10, 90));
    for (let i = 1; i < means.length; i++) expect(means[i]).toBeGreaterThan(means[i - 1]);
    expect(means[0]).toBeLessThan(20);
    expect(means[means.length - 1]).toBeGreaterThan(240);
    const lut = stretchLut('asinh');
    for (let i = 1; i < lut.length; i++) expect(lut[i]).toBeGreaterThanOrEqual(lut[i - 1]);
  });

  it('clips at robust percentiles: point sources do not flatten the sky; they land where they are', async () => {
    const stars = [
      [100, 100],
      [700, 300],
      [400, 850],
    ];
    const sky = (x: number, y: number) => 100 + ((x * 7 + y * 13) % 10); // faint texture
    const frame = singleFrame(1024, 1024, (x, y) => {
      let v = sky(x, y);
      for (const [sx, sy] of stars) v += 50_000 * Math.exp(-((x - sx) ** 2 + (y - sy) ** 2) / (2 * 3 ** 2));
      return v;
    });
    const r = await previewFits(stream(frame), 'stars.fits');
    expect(r.clip.hi).toBeLessThan(200); // the stars (0.006 % of pixels) are above the 99.7th percentile
    const img = await decode(r.jpeg);
    expect(img.width).toBe(1000);
    const s = 1000 / 1024;
    for (const [sx, sy] of stars) {
      const x = Math.round(sx * s);
      const y = img.height - 1 - Math.round(sy * s); // flipped
      expect(meanOf(img, x - 1, x + 2, y - 1, y + 2)).toBeGreaterThan(250);
    }
    // The sky keeps its texture: mid-grey values, not all black.
    expect(meanOf(img, 500, 600, 500, 600)).toBeGreaterThan(30);
  });

  it('NaNs are ignored by the clip and shown black; an all-NaN frame is black, not an error', async () => {
    const r = await previewFits(
      stream(singleFrame(500, 500, (x, y) => (x >= 200 && x < 300 && y >= 200 && y < 300 ? NaN : 500 + x))),
      'nan.fits',
    );
    expect(Number.isFinite(r.clip.lo) && Number.isFinite(r.clip.hi)).toBe(true);
    const img = await decode(r.jpeg);
    expect(meanOf(img, 220, 280, 220, 280)).toBeLessThan(5);
    expect(meanOf(img, 400, 480, 20, 80)).toBeGreaterThan(150);
    const blank = await decode(
      (await previewFits(stream(singleFrame(64, 64, () => NaN)), 'allnan.fits')).jpeg,
    );
    expect(Math.max(...blank.px)).toBeLessThan(5);
    expect(percentileClip(new Float32Array([NaN, NaN]))).toBeNull();
  });

  it('integer data with BZERO/BSCALE and BLANK: scaled values, blank pixels black', async () => {
    const w = 200;
    const data = new Int16Array(w * w);
    for (let i = 0; i < data.length; i++) data[i] = (i % w) - 100; // -100..99
    data.fill(-32768, 0, w * 20); // first 20 rows blank
    const fits = buildFits([
      imageHdu(data, {
        primary: true,
        shape: [w, w],
        cards: [
          ['BZERO', 32768],
          ['BSCALE', 2],
          ['BLANK', -32768],
        ],
      }),
    ]);
    const r = await previewFits(stream(fits), 'scaled.fits');
    expect(r.clip.lo).toBeGreaterThanOrEqual(32768 - 200);
    expect(r.clip.hi).toBeLessThanOrEqual(32768 + 200);
    const img = await decode(r.jpeg);
    expect(meanOf(img, 0, w, 185, 200)).toBeLessThan(5); // blank rows, at the bottom
  });

  it('degenerate axes are squeezed: NAXIS = 3 with NAXIS3 = 1 is a 2-D image', async () => {
    const r = await previewFits(
      stream(singleFrame(300, 200, (x) => x, { shape: [300, 200, 1] })),
      'cube1.fits',
    );
    const img = await decode(r.jpeg);
    expect([img.width, img.height]).toEqual([300, 200]);
  });
});

describe('percentiles', () => {
  it('selection finds the same percentiles as sorting, NaNs and infinities left out', () => {
    let seed = 7;
    const rand = () => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;
    for (const n of [1, 2, 3, 10, 1000, 150_000]) {
      const data = new Float32Array(n);
      for (let i = 0; i < n; i++)
        data[i] = i % 97 === 5 ? NaN : Math.floor(rand() * 50) * (rand() < 0.01 ? 1000 : 1);
      if (n > 3) data[2] = Infinity;
      const finite = Array.from(data)
        .filter((v) => Number.isFinite(v))
        .sort((a, b) => a - b);
      const at = (p: number) =>
        finite[Math.min(finite.length - 1, Math.max(0, Math.round((p / 100) * (finite.length - 1))))];
      expect(percentileClip(data)).toEqual({ lo: at(0.3), hi: at(99.7) });
    }
    const a = Float32Array.from([5, 1, 4, 1, 3]);
    expect([0, 1, 2, 3, 4].map((k) => select(Float32Array.from(a), 5, k))).toEqual([1, 1, 3, 4, 5]);
  });
});

describe('mosaics', () => {
  it('a GMOS 12-amplifier frame: amplifiers placed by DETSEC, overscan trimmed, chip gaps, binning from CCDSUM', async () => {
    // CCDs of 1024 × 2048 unbinned, binned 2 × 2: amplifiers of 128 data + 16 overscan columns.
    const bytes = gmosFrame({
      ccd: [1024, 2048],
      bin: 2,
      overscan: 16,
      value: (x) => 1000 + x,
      overscanValue: 30000,
    });
    const loaded = await loadForPreview(stream(bytes), 'gmos.fits');
    expect(loaded.images).toHaveLength(12);
    const layout = layoutImages(loaded.primary, loaded.images)!;
    expect(layout.kind).toBe('detector-mosaic');
    // 3 × 1024 unbinned columns + 2 gaps of 61 (GMOS-S Hamamatsu), binned by 2.
    expect(layout.width).toBe(Math.floor((2048 + 2 * 61) / 2) + 512);
    expect(layout.height).toBe(1024);
    const r = await previewFits(stream(bytes), 'gmos.fits');
    const img = await decode(r.jpeg);
    const scale = 1000 / layout.width;
    expect([img.width, img.height]).toEqual([1000, Math.round(1024 * scale)]);
    // Data rise left to right across the detector; the overscan (30000) never shows as a bright stripe.
    const cols: number[] = [];
    const gap1 = [512, Math.floor((1024 + 61) / 2)].map((x) => x * scale); // mosaic columns of the first gap
    const gap2 = [Math.floor((1024 + 61) / 2) + 512, Math.floor((2048 + 122) / 2)].map((x) => x * scale);
    // JPEG and the resampling kernel ring for a few pixels at the edges of a gap: leave those out.
    const inGap = (x: number) =>
      (x >= gap1[0] - 8 && x <= gap1[1] + 8) || (x >= gap2[0] - 8 && x <= gap2[1] + 8);
    for (let x = 3; x < img.width - 3; x++)
      if (!inGap(x)) cols.push(meanOf(img, x, x + 1, 20, img.height - 20));
    for (let i = 1; i < cols.length; i++) expect(cols[i]).toBeGreaterThanOrEqual(cols[i - 1] - 3);
    expect(Math.max(...cols.slice(0, 20))).toBeLessThan(40);
    // The gaps are black.
    for (const g of [gap1, gap2])
      expect(
        meanOf(img, Math.round((g[0] + g[1]) / 2) - 1, Math.round((g[0] + g[1]) / 2) + 1, 20, 600),
      ).toBeLessThan(20);
  });

  it('GSAOI: four arrays in a 2 × 2 grid with gaps', async () => {
    const n = 256;
    const hdus = [imageHdu(null, { primary: true, cards: [['INSTRUME', 'GSAOI']] })];
    const origins = [
      [0, 0],
      [n, 0],
      [0, n],
      [n, n],
    ];
    origins.forEach(([x0, y0], k) => {
      hdus.push(
        imageHdu(new Float32Array(n * n).fill(100 * (k + 1)), {
          shape: [n, n],
          cards: [
            ['EXTNAME', 'SCI'],
            ['DETSEC', `[${x0 + 1}:${x0 + n},${y0 + 1}:${y0 + n}]`],
          ],
        }),
      );
    });
    const loaded = await loadForPreview(stream(buildFits(hdus)), 'gsaoi.fits');
    const layout = layoutImages(loaded.primary, loaded.images)!;
    expect([layout.width, layout.height]).toEqual([2 * n + 145, 2 * n + 140]);
    const img = await decode((await previewFits(stream(buildFits(hdus)), 'gsaoi.fits')).jpeg);
    // Array 1 (dimmest) bottom left, array 4 (brightest) top right, gap dark.
    const bl = meanOf(img, 20, 100, img.height - 100, img.height - 20);
    const tr = meanOf(img, img.width - 100, img.width - 20, 20, 100);
    expect(tr).toBeGreaterThan(bl);
    expect(
      meanOf(img, Math.round(img.width / 2) - 2, Math.round(img.width / 2) + 2, 20, img.height - 20),
    ).toBeLessThan(10);
  });

  it('parses sections, reversed ones included', () => {
    expect(parseSection('[33:544,1:2304]')).toEqual({ x1: 33, x2: 544, y1: 1, y2: 2304 });
    expect(parseSection('[ 512:1 , 1:10 ]')).toEqual({ x1: 512, x2: 1, y1: 1, y2: 10 });
    expect(parseSection('[0:10,1:10]')).toBeNull();
    expect(parseSection(42)).toBeNull();
  });
});

describe('reading local files', () => {
  it('positioned reads of a plain file give the same preview as the stream; damage is reported alike', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'fitsstore-preview-'));
    try {
      const bytes = gmosFrame({ ccd: [1024, 2048], bin: 2, overscan: 16 });
      const file = path.join(dir, 'gmos.fits');
      writeFileSync(file, bytes);
      const fromFile = await previewFits(file, 'gmos.fits');
      const fromStream = await previewFits(stream(bytes), 'gmos.fits');
      expect(fromFile.jpeg.equals(fromStream.jpeg)).toBe(true);
      const cut = path.join(dir, 'cut.fits');
      writeFileSync(cut, bytes.subarray(0, bytes.length - 5000));
      await expect(previewFits(cut, 'cut.fits')).rejects.toThrow(
        /cut\.fits: HDU 12 \(SCI,12\): data truncated/,
      );
      await expect(previewFits(stream(bytes.subarray(0, bytes.length - 5000)), 'cut.fits')).rejects.toThrow(
        /cut\.fits: HDU 12 \(SCI,12\): data truncated/,
      );
      writeFileSync(cut, 'not FITS at all');
      await expect(previewFits(cut, 'cut.fits')).rejects.toThrow(/cut\.fits: not a FITS file/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('spectra', () => {
  it('a 1-D image is drawn as a line plot', async () => {
    const n = 3000;
    const y = new Float32Array(n);
    for (let i = 0; i < n; i++) y[i] = 100 + 10 * Math.sin(i / 200) + (Math.abs(i - 1500) < 5 ? 500 : 0);
    const r = await previewFits(stream(buildFits([imageHdu(y, { primary: true, shape: [n] })])), 'spec.fits');
    expect(r.kind).toBe('spectrum');
    const img = await decode(r.jpeg);
    expect([img.width, img.height]).toEqual([1000, 500]);
    // Dark curve pixels exist, and the emission line reaches the top of the plot near the middle.
    const col = Math.round(40 + (940 * 1500) / (n - 1));
    let top = img.height;
    for (let yy = 0; yy < img.height; yy++)
      if (meanOf(img, col - 2, col + 3, yy, yy + 1) < 128) {
        top = yy;
        break;
      }
    expect(top).toBeLessThan(60);
  });

  it('a binary table with WAVELENGTH and FLUX columns is plotted', async () => {
    const rows = 500;
    const rowBytes = 8;
    const data = Buffer.alloc(rows * rowBytes);
    for (let i = 0; i < rows; i++) {
      data.writeFloatBE(400 + i, i * rowBytes);
      data.writeFloatBE(Math.sqrt(i), i * rowBytes + 4);
    }
    const table = {
      cards: [
        ['XTENSION', 'BINTABLE'],
        ['BITPIX', 8],
        ['NAXIS', 2],
        ['NAXIS1', rowBytes],
        ['NAXIS2', rows],
        ['PCOUNT', 0],
        ['GCOUNT', 1],
        ['TFIELDS', 2],
        ['TTYPE1', 'WAVELENGTH'],
        ['TFORM1', '1E'],
        ['TTYPE2', 'FLUX'],
        ['TFORM2', '1E'],
      ] as [string, string | number][],
      data,
    };
    const r = await previewFits(stream(buildFits([imageHdu(null, { primary: true }), table])), 'table.fits');
    expect(r.kind).toBe('spectrum');
  });

  it('a file with neither image nor spectrum is an error naming the file', async () => {
    await expect(
      previewFits(stream(buildFits([imageHdu(null, { primary: true })])), 'empty.fits'),
    ).rejects.toThrow(/empty\.fits: no image or spectrum/);
  });
});
