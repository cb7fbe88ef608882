// Tile-compressed images (FITS 4.0 §10; fpack/cfitsio): a BINTABLE with ZIMAGE = T, one tile per
// row. Decodes RICE_1, GZIP_1, GZIP_2 and NOCOMPRESS tiles, quantized floats (ZSCALE/ZZERO, with
// NO_DITHER, SUBTRACTIVE_DITHER_1 and _2), and lossless float tiles (GZIP_COMPRESSED_DATA,
// UNCOMPRESSED_DATA). HCOMPRESS_1 and PLIO_1 are refused with a clear message.

import { unzipSync } from 'node:zlib';
import { BinTable, type Column } from './bintable.js';
import {
  decodePixels,
  type DecodedImage,
  type DecodeOptions,
  gather,
  type ImageShape,
  shapeOf,
} from './image.js';
import { riceDecode } from './rice.js';
import type { Header } from './types.js';

export function isTileCompressed(header: Header): boolean {
  const xt = header.get('XTENSION');
  return typeof xt === 'string' && xt.trim() === 'BINTABLE' && header.get('ZIMAGE') === true;
}

/** The shape of the image held in a tile-compressed HDU (from ZNAXISn). */
export function compressedImageShape(header: Header): ImageShape | null {
  const n = header.get('ZNAXIS');
  if (typeof n !== 'number' || n < 1) return null;
  const axes: number[] = [];
  for (let i = 1; i <= n; i++) {
    const v = header.get(`ZNAXIS${i}`);
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 0) return null;
    axes.push(v);
  }
  return shapeOf(axes);
}

/** ZNAMEi/ZVALi compression parameters, upper-case names. */
function compressionParams(header: Header): Map<string, number | string | boolean | null> {
  const params = new Map<string, number | string | boolean | null>();
  for (let i = 1; header.has(`ZNAME${i}`); i++) {
    const name = header.get(`ZNAME${i}`);
    const value = header.get(`ZVAL${i}`);
    if (typeof name === 'string' && value !== undefined) params.set(name.trim().toUpperCase(), value);
  }
  return params;
}

// cfitsio's dither sequence (Park & Miller 1988 minimal standard generator), shared by every writer.
const N_RANDOM = 10000;
let randoms: Float32Array | undefined;
function ditherTable(): Float32Array {
  if (randoms) return randoms;
  const a = 16807;
  const m = 2147483647;
  let seed = 1;
  const r = new Float32Array(N_RANDOM);
  for (let i = 0; i < N_RANDOM; i++) {
    const temp = a * seed;
    seed = temp - m * Math.trunc(temp / m);
    r[i] = seed / m;
  }
  if (seed !== 1043618065) throw new Error('dither random sequence is wrong'); // cfitsio's own check
  return (randoms = r);
}

const ZERO_VALUE = -2147483646; // SUBTRACTIVE_DITHER_2: an exact 0.0 pixel

type Quantization = 'NONE' | 'NO_DITHER' | 'SUBTRACTIVE_DITHER_1' | 'SUBTRACTIVE_DITHER_2';

interface TileContext {
  table: BinTable;
  cmp: Column;
  gzipCol?: Column;
  rawCol?: Column;
  zscaleCol?: Column;
  zzeroCol?: Column;
  zblankCol?: Column;
  zbitpix: number;
  type: string;
  blocksize: number;
  bytepix: number;
  quantized: boolean;
  quantiz: Quantization;
  dither0: number;
  header: Header;
}

/** Big-endian bytes → numbers of the given width (ints, or floats when `float`). */
function bigEndianValues(bytes: Uint8Array, width: number, float: boolean): ArrayLike<number> {
  const count = bytes.length / width;
  if (!Number.isInteger(count) || ![1, 2, 4, 8].includes(width))
    throw new Error(`tile byte count ${bytes.length} does not divide into pixels`);
  const bitpix = float ? -8 * width : 8 * width;
  // decodePixels does the swap and conversion; identity scaling keeps raw values.
  return decodePixels(gather(bytes, bytes.length), bitpix, count, { bzero: 0, bscale: 1 }, { float64: true });
}

/** Reverses GZIP_2 byte shuffling: all first bytes, then all second bytes, ... */
function unshuffle(bytes: Uint8Array, width: number): Uint8Array {
  if (width === 1) return bytes;
  const n = bytes.length / width;
  const out = new Uint8Array(bytes.length);
  for (let b = 0; b < width; b++) {
    const base = b * n;
    for (let i = 0; i < n; i++) out[i * width + b] = bytes[base + i];
  }
  return out;
}

/** Decodes one tile (0-based row) into `out` (tile pixels in order). */
function decodeTile(ctx: TileContext, row: number, npix: number, out: Float32Array | Float64Array): void {
  const { table, zbitpix } = ctx;
  const cmp = table.heapBytes(ctx.cmp, row);
  if (cmp.length === 0) {
    // Tiles that could not be quantized are stored losslessly in their own column.
    if (ctx.gzipCol && table.heapBytes(ctx.gzipCol, row).length > 0) {
      const raw = unzipSync(table.heapBytes(ctx.gzipCol, row));
      out.set(bigEndianValues(raw, raw.length / npix, true));
      return;
    }
    if (ctx.rawCol) {
      const raw = table.heapBytes(ctx.rawCol, row);
      const t = ctx.rawCol.elementType ?? 'B';
      out.set(bigEndianValues(raw, raw.length / npix, t === 'E' || t === 'D'));
      return;
    }
    throw new Error(`tile ${row + 1} is empty`);
  }

  let ints: ArrayLike<number>;
  if (ctx.type === 'RICE_1') {
    ints = riceDecode(cmp, npix, ctx.blocksize, ctx.bytepix);
  } else {
    let raw: Uint8Array = ctx.type === 'NOCOMPRESS' ? cmp : unzipSync(cmp);
    const width = raw.length / npix;
    if (ctx.type === 'GZIP_2') raw = unshuffle(raw, width);
    const values = bigEndianValues(raw, width, zbitpix < 0 && !ctx.quantized);
    if (zbitpix < 0 && !ctx.quantized) {
      out.set(values);
      return;
    }
    ints = values;
  }
  if (ints.length < npix) throw new Error(`tile ${row + 1}: ${ints.length} of ${npix} pixels`);

  const h = ctx.header;
  const num = (col: Column | undefined, key: string, dflt: number | undefined) => {
    if (col) return table.scalar(col, row);
    const v = h.get(key);
    return typeof v === 'number' ? v : dflt;
  };
  if (zbitpix < 0) {
    const scale = num(ctx.zscaleCol, 'ZSCALE', 1)!;
    const zero = num(ctx.zzeroCol, 'ZZERO', 0)!;
    const blank = num(ctx.zblankCol, 'ZBLANK', undefined);
    unquantize(ctx, row, ints, npix, scale, zero, blank, out);
    return;
  }
  // Integer images keep their own BSCALE/BZERO/BLANK; ZBLANK may stand for BLANK.
  const bscale = num(undefined, 'BSCALE', 1)!;
  const bzero = num(undefined, 'BZERO', 0)!;
  const blank = num(ctx.zblankCol, 'ZBLANK', undefined) ?? num(undefined, 'BLANK', undefined);
  for (let i = 0; i < npix; i++) {
    const v = ints[i];
    out[i] = v === blank ? NaN : v * bscale + bzero;
  }
}

function unquantize(
  ctx: TileContext,
  row: number,
  q: ArrayLike<number>,
  npix: number,
  scale: number,
  zero: number,
  blank: number | undefined,
  out: Float32Array | Float64Array,
): void {
  if (ctx.quantiz === 'NO_DITHER' || ctx.quantiz === 'NONE') {
    for (let i = 0; i < npix; i++) out[i] = q[i] === blank ? NaN : q[i] * scale + zero;
    return;
  }
  const r = ditherTable();
  // cfitsio: the tile's 1-based row number plus ZDITHER0 - 1 picks the start of the sequence.
  let iseed = (row + ctx.dither0 - 1) % N_RANDOM;
  let next = Math.trunc(r[iseed] * 500);
  const zeros = ctx.quantiz === 'SUBTRACTIVE_DITHER_2';
  for (let i = 0; i < npix; i++) {
    const v = q[i];
    if (v === blank) out[i] = NaN;
    else if (zeros && v === ZERO_VALUE) out[i] = 0;
    else out[i] = (v - r[next] + 0.5) * scale + zero;
    if (++next === N_RANDOM) {
      if (++iseed === N_RANDOM) iseed = 0;
      next = Math.trunc(r[iseed] * 500);
    }
  }
}

/** Decodes the image of a tile-compressed HDU from its whole data unit (table and heap). */
export function decodeTileCompressed(
  header: Header,
  data: Uint8Array,
  opts: DecodeOptions = {},
): DecodedImage {
  const shape = compressedImageShape(header);
  if (!shape || shape.pixels === 0) throw new Error('ZNAXIS/ZNAXISn missing or empty');
  let type = String(header.get('ZCMPTYPE') ?? '')
    .trim()
    .toUpperCase();
  // cfitsio writes RICE_ONE for SUBTRACTIVE_DITHER_2 data so that old readers refuse it.
  if (type === 'RICE_ONE') type = 'RICE_1';
  if (!['RICE_1', 'GZIP_1', 'GZIP_2', 'NOCOMPRESS'].includes(type)) {
    throw new Error(
      `tile compression ${type || '(no ZCMPTYPE)'} is not supported (RICE_1, GZIP_1, GZIP_2, NOCOMPRESS are)`,
    );
  }
  const zbitpix = header.get('ZBITPIX');
  if (typeof zbitpix !== 'number' || ![8, 16, 32, 64, -32, -64].includes(zbitpix))
    throw new Error(`ZBITPIX invalid (${zbitpix})`);
  const table = new BinTable(header, data);
  const cmp = table.column('COMPRESSED_DATA');
  if (!cmp || (cmp.type !== 'P' && cmp.type !== 'Q')) throw new Error('no COMPRESSED_DATA column');
  const params = compressionParams(header);
  const zquantiz = String(header.get('ZQUANTIZ') ?? '')
    .trim()
    .toUpperCase();
  const zscaleCol = table.column('ZSCALE');
  const quantized = zbitpix < 0 && zquantiz !== 'NONE' && (!!zscaleCol || header.has('ZSCALE'));
  const blocksize = params.get('BLOCKSIZE');
  const bytepix = params.get('BYTEPIX');
  const dither0 = header.get('ZDITHER0');
  const ctx: TileContext = {
    table,
    cmp,
    gzipCol: table.column('GZIP_COMPRESSED_DATA'),
    rawCol: table.column('UNCOMPRESSED_DATA'),
    zscaleCol,
    zzeroCol: table.column('ZZERO'),
    zblankCol: table.column('ZBLANK'),
    zbitpix,
    type,
    blocksize: typeof blocksize === 'number' ? blocksize : 32,
    bytepix: typeof bytepix === 'number' ? bytepix : 4,
    quantized,
    quantiz: quantized ? ((zquantiz || 'NO_DITHER') as Quantization) : 'NONE',
    dither0: typeof dither0 === 'number' ? dither0 : 1,
    header,
  };

  const axes = shape.axes;
  const tile = axes.map((n, d) => {
    const t = header.get(`ZTILE${d + 1}`);
    return typeof t === 'number' && t > 0 ? Math.min(t, n) : d === 0 ? n : 1;
  });
  const ntiles = axes.map((n, d) => Math.ceil(n / tile[d]));
  const total = ntiles.reduce((a, b) => a * b, 1);
  if (table.rows < total) throw new Error(`${table.rows} tile rows for ${total} tiles`);
  const strides = axes.map((_, d) => axes.slice(0, d).reduce((a, b) => a * b, 1));

  const out = opts.float64 ? new Float64Array(shape.pixels) : new Float32Array(shape.pixels);
  const tileBuf = opts.float64
    ? new Float64Array(tile.reduce((a, b) => a * b, 1))
    : new Float32Array(tile.reduce((a, b) => a * b, 1));
  for (let t = 0; t < total; t++) {
    // Tile position: dimension 0 varies fastest.
    const start: number[] = [];
    const size: number[] = [];
    let rest = t;
    for (let d = 0; d < axes.length; d++) {
      const k = rest % ntiles[d];
      rest = Math.floor(rest / ntiles[d]);
      start.push(k * tile[d]);
      size.push(Math.min(tile[d], axes[d] - k * tile[d]));
    }
    const npix = size.reduce((a, b) => a * b, 1);
    const pixels = tileBuf.subarray(0, npix);
    decodeTile(ctx, t, npix, pixels);
    // Copy the tile row by row (runs along dimension 0) into the image.
    const runs = npix / size[0];
    const idx = new Array<number>(axes.length).fill(0);
    for (let r = 0; r < runs; r++) {
      let offset = start[0];
      for (let d = 1; d < axes.length; d++) offset += (start[d] + idx[d]) * strides[d];
      out.set(pixels.subarray(r * size[0], (r + 1) * size[0]), offset);
      for (let d = 1; d < axes.length; d++) {
        if (++idx[d] < size[d]) break;
        idx[d] = 0;
      }
    }
  }
  return { width: shape.width, height: shape.height, planes: shape.planes, data: out };
}
