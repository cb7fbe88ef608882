// Test helpers: temp files, bzip2 (src/fits/bzip2.ts: binary or npm codec), and a small tile-compression encoder
// (Rice per White & Greenfield, as cfitsio's fits_rcomp; gzip via node:zlib) so the decoder is
// checked on data the tests make themselves, besides the fpack fixtures.

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll } from 'vitest';
import { compressSync } from '../../src/fits/bzip2.js';
import type { CardInput } from '../../src/fits/write.js';

/** A temp directory removed after the test file. */
export function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'fits-test-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

export function writeTemp(dir: string, name: string, bytes: Buffer): string {
  const path = join(dir, name);
  writeFileSync(path, bytes);
  return path;
}

export function bzip2(bytes: Buffer): Buffer {
  return compressSync(bytes);
}

/** One card image, padded to 80 columns. */
export function img(text: string): string {
  return text.padEnd(80);
}

/** Rice-encodes signed pixel values (wrapped to bytepix bytes), cfitsio-compatible. */
export function riceEncode(values: ArrayLike<number>, blocksize = 32, bytepix = 4): Buffer {
  const { fsbits, fsmax, bbits } = {
    1: { fsbits: 3, fsmax: 6, bbits: 8 },
    2: { fsbits: 4, fsmax: 14, bbits: 16 },
    4: { fsbits: 5, fsmax: 25, bbits: 32 },
  }[bytepix as 1 | 2 | 4];
  const bits: number[] = [];
  const put = (value: number, n: number) => {
    for (let k = n - 1; k >= 0; k--) bits.push(Math.floor(value / 2 ** k) % 2);
  };
  const mod = 2 ** bbits;
  const wrap = (v: number) => ((v % mod) + mod) % mod; // unsigned bbits-bit
  let last = wrap(values[0]);
  put(last, bbits);
  for (let i = 0; i < values.length; i += blocksize) {
    const n = Math.min(blocksize, values.length - i);
    const diffs: number[] = [];
    let sum = 0;
    for (let j = 0; j < n; j++) {
      const next = wrap(values[i + j]);
      let d = wrap(next - last);
      if (d >= mod / 2) d -= mod; // signed difference
      const z = d < 0 ? -2 * d - 1 : 2 * d; // zig-zag
      diffs.push(z);
      sum += z;
      last = next;
    }
    const dpsum = Math.max(0, (sum - Math.floor(n / 2) - 1) / n);
    let psum = Math.floor(dpsum) >>> 1;
    let fs = 0;
    while (psum > 0) {
      psum >>>= 1;
      fs++;
    }
    if (fs >= fsmax) {
      put(fsmax + 1, fsbits);
      for (const z of diffs) put(z, bbits);
    } else if (fs === 0 && sum === 0) {
      put(0, fsbits);
    } else {
      put(fs + 1, fsbits);
      for (const z of diffs) {
        const top = Math.floor(z / 2 ** fs);
        for (let k = 0; k < top; k++) bits.push(0);
        bits.push(1);
        if (fs > 0) put(z % 2 ** fs, fs);
      }
    }
  }
  while (bits.length % 8) bits.push(0);
  const out = Buffer.alloc(bits.length / 8);
  for (let i = 0; i < out.length; i++) {
    let b = 0;
    for (let k = 0; k < 8; k++) b = (b << 1) | bits[i * 8 + k];
    out[i] = b;
  }
  return out;
}

export interface TiledOptions {
  cmptype: 'RICE_1' | 'GZIP_1' | 'GZIP_2' | 'NOCOMPRESS';
  zbitpix: 8 | 16 | 32 | -32;
  width: number;
  height: number;
  /** Tile size; default one row per tile. */
  tile?: [number, number];
  bytepix?: 1 | 2 | 4;
  blocksize?: number;
  /** Quantized floats: per-tile ZSCALE/ZZERO columns and NO_DITHER (values are the integers). */
  zscale?: number;
  zzero?: number;
  zblank?: number;
  cards?: CardInput[];
}

function bigEndian(values: ArrayLike<number>, width: number, float: boolean): Buffer {
  const b = Buffer.alloc(values.length * width);
  for (let i = 0; i < values.length; i++) {
    if (float) b.writeFloatBE(values[i], i * 4);
    else if (width === 1) b.writeUInt8(values[i], i);
    else if (width === 2) b.writeInt16BE(values[i], i * 2);
    else b.writeInt32BE(values[i], i * 4);
  }
  return b;
}

/**
 * A tile-compressed image HDU (header cards and data unit). `pixels` are the stored values:
 * integers for integer images and for quantized floats, raw floats otherwise.
 */
export function tiledHdu(pixels: ArrayLike<number>, o: TiledOptions): { cards: CardInput[]; data: Buffer } {
  const [tw, th] = o.tile ?? [o.width, 1];
  const tiles: Buffer[] = [];
  const quantized = o.zbitpix < 0 && o.zscale !== undefined;
  const width = o.zbitpix === 8 ? 1 : o.zbitpix === 16 ? 2 : 4;
  for (let ty = 0; ty < o.height; ty += th) {
    for (let tx = 0; tx < o.width; tx += tw) {
      const vals: number[] = [];
      for (let y = ty; y < Math.min(ty + th, o.height); y++) {
        for (let x = tx; x < Math.min(tx + tw, o.width); x++) vals.push(pixels[y * o.width + x]);
      }
      const float = o.zbitpix < 0 && !quantized;
      if (o.cmptype === 'RICE_1') tiles.push(riceEncode(vals, o.blocksize ?? 32, o.bytepix ?? 4));
      else {
        let raw = bigEndian(vals, width, float);
        if (o.cmptype === 'GZIP_2') {
          const sh = Buffer.alloc(raw.length);
          const n = vals.length;
          for (let i = 0; i < n; i++) for (let b = 0; b < width; b++) sh[b * n + i] = raw[i * width + b];
          raw = sh;
        }
        tiles.push(o.cmptype === 'NOCOMPRESS' ? raw : gzipSync(raw));
      }
    }
  }
  const rowBytes = 8 + (quantized ? 16 : 0);
  const table = Buffer.alloc(rowBytes * tiles.length);
  let heapOffset = 0;
  tiles.forEach((t, r) => {
    table.writeUInt32BE(t.length, r * rowBytes);
    table.writeUInt32BE(heapOffset, r * rowBytes + 4);
    if (quantized) {
      table.writeDoubleBE(o.zscale!, r * rowBytes + 8);
      table.writeDoubleBE(o.zzero ?? 0, r * rowBytes + 16);
    }
    heapOffset += t.length;
  });
  const heap = Buffer.concat(tiles);
  const cards: CardInput[] = [
    ['XTENSION', 'BINTABLE'],
    ['BITPIX', 8],
    ['NAXIS', 2],
    ['NAXIS1', rowBytes],
    ['NAXIS2', tiles.length],
    ['PCOUNT', heap.length],
    ['GCOUNT', 1],
    ['TFIELDS', quantized ? 3 : 1],
    ['TTYPE1', 'COMPRESSED_DATA'],
    ['TFORM1', `1PB(${Math.max(...tiles.map((t) => t.length))})`],
  ];
  if (quantized) cards.push(['TTYPE2', 'ZSCALE'], ['TFORM2', '1D'], ['TTYPE3', 'ZZERO'], ['TFORM3', '1D']);
  cards.push(
    ['ZIMAGE', true],
    ['ZBITPIX', o.zbitpix],
    ['ZNAXIS', 2],
    ['ZNAXIS1', o.width],
    ['ZNAXIS2', o.height],
    ['ZTILE1', tw],
    ['ZTILE2', th],
    ['ZCMPTYPE', o.cmptype],
  );
  if (o.cmptype === 'RICE_1' && (o.blocksize !== undefined || o.bytepix !== undefined)) {
    cards.push(
      ['ZNAME1', 'BLOCKSIZE'],
      ['ZVAL1', o.blocksize ?? 32],
      ['ZNAME2', 'BYTEPIX'],
      ['ZVAL2', o.bytepix ?? 4],
    );
  }
  if (quantized) cards.push(['ZQUANTIZ', 'NO_DITHER']);
  if (o.zblank !== undefined) cards.push(['ZBLANK', o.zblank]);
  cards.push(...(o.cards ?? []));
  return { cards, data: Buffer.concat([table, heap]) };
}
