// Decoding image data units into float arrays for previews: big-endian BITPIX 8/16/32/64/-32/-64,
// BZERO/BSCALE, BLANK → NaN, degenerate axes squeezed. Fast path: one aligned copy, a native
// byte swap (Buffer.swap16/32/64), then typed-array views; a 6k×4.6k int16 frame takes ~60 ms.

import type { Header } from './types.js';

export interface ImageShape {
  /** NAXIS1..NAXISn as written. */
  axes: number[];
  /** Axes after dropping those of size 1: [width, height, ...]. */
  squeezed: number[];
  width: number;
  height: number;
  /** Product of the axes beyond the first two (1 for a 2-D image). */
  planes: number;
  pixels: number;
}

export interface DecodedImage {
  width: number;
  height: number;
  planes: number;
  /** Pixels in FITS order: x fastest, then y, then plane. */
  data: Float32Array | Float64Array;
}

export interface DecodeOptions {
  /** Return Float64Array (keeps BITPIX -64 and 32/64-bit integers exact). Default Float32Array. */
  float64?: boolean;
}

export interface Scaling {
  bzero: number;
  bscale: number;
  /** Stored integer value meaning "no data" (integer BITPIX only). */
  blank?: number;
}

/** Shape of an image from a list of axis lengths. */
export function shapeOf(axes: number[]): ImageShape {
  const squeezed = axes.filter((n) => n !== 1);
  const pixels = axes.length === 0 ? 0 : axes.reduce((a, b) => a * b, 1);
  const width = squeezed[0] ?? (pixels > 0 ? 1 : 0);
  const height = squeezed[1] ?? (pixels > 0 ? 1 : 0);
  const planes = squeezed.slice(2).reduce((a, b) => a * b, 1);
  return { axes, squeezed, width, height, planes: pixels > 0 ? planes : 0, pixels };
}

/** Image shape from NAXISn, or null when the header has no usable axes. */
export function imageShape(header: Header): ImageShape | null {
  const naxis = header.get('NAXIS');
  if (typeof naxis !== 'number' || naxis < 1) return null;
  const axes: number[] = [];
  for (let i = 1; i <= naxis; i++) {
    const n = header.get(`NAXIS${i}`);
    if (typeof n !== 'number' || !Number.isInteger(n) || n < 0) return null;
    axes.push(n);
  }
  return shapeOf(axes);
}

/** BZERO/BSCALE/BLANK of a plain image HDU. */
export function imageScaling(header: Header): Scaling {
  const num = (k: string, d: number) => {
    const v = header.get(k);
    return typeof v === 'number' ? v : d;
  };
  const blank = header.get('BLANK');
  const s: Scaling = { bzero: num('BZERO', 0), bscale: num('BSCALE', 1) };
  if (typeof blank === 'number' && Number.isInteger(blank)) s.blank = blank;
  return s;
}

/** Copies chunks into one fresh, 8-byte-aligned buffer (typed-array views need alignment). */
export function gather(data: Uint8Array | Iterable<Uint8Array>, size: number): Uint8Array {
  const out = new Uint8Array(new ArrayBuffer(size));
  const chunks = data instanceof Uint8Array ? [data] : data;
  let off = 0;
  for (const chunk of chunks) {
    const take = Math.min(chunk.length, size - off);
    out.set(take === chunk.length ? chunk : chunk.subarray(0, take), off);
    off += take;
    if (off === size) break;
  }
  if (off < size) throw new Error(`image data short: ${off} of ${size} bytes`);
  return out;
}

/**
 * Converts `count` big-endian pixels held in `bytes` to floats. `bytes` must be owned by the
 * caller and 8-byte aligned (as from gather): it is byte-swapped in place.
 */
export function decodePixels(
  bytes: Uint8Array,
  bitpix: number,
  count: number,
  scaling: Scaling,
  opts: DecodeOptions = {},
): Float32Array | Float64Array {
  const width = Math.abs(bitpix) / 8;
  if (bytes.byteOffset % 8 !== 0) throw new Error('decodePixels needs an 8-byte-aligned buffer');
  if (bytes.length < count * width)
    throw new Error(`pixel data short: ${bytes.length} of ${count * width} bytes`);
  const swap = Buffer.from(bytes.buffer, bytes.byteOffset, count * width);
  if (width === 2) swap.swap16();
  else if (width === 4) swap.swap32();
  else if (width === 8) swap.swap64();
  const { bzero, bscale } = scaling;
  const identity = bzero === 0 && bscale === 1;
  const out = opts.float64 ? new Float64Array(count) : new Float32Array(count);
  const buf = bytes.buffer;
  const at = bytes.byteOffset;
  if (bitpix === -32 || bitpix === -64) {
    // IEEE NaN is the float "blank"; BLANK does not apply.
    const src = bitpix === -32 ? new Float32Array(buf, at, count) : new Float64Array(buf, at, count);
    if (identity) out.set(src);
    else for (let i = 0; i < count; i++) out[i] = src[i] * bscale + bzero;
    return out;
  }
  if (bitpix === 64) {
    // Little-endian after the swap: low word first. hi*2^32 + lo is exact up to 2^53.
    const words = new Int32Array(buf, at, count * 2);
    const blank = scaling.blank;
    for (let i = 0; i < count; i++) {
      const v = words[2 * i + 1] * 4294967296 + (words[2 * i] >>> 0);
      out[i] = v === blank ? NaN : v * bscale + bzero;
    }
    return out;
  }
  const src =
    bitpix === 8
      ? new Uint8Array(buf, at, count)
      : bitpix === 16
        ? new Int16Array(buf, at, count)
        : new Int32Array(buf, at, count);
  const blank = scaling.blank;
  if (blank === undefined) {
    if (identity) out.set(src);
    else for (let i = 0; i < count; i++) out[i] = src[i] * bscale + bzero;
  } else {
    for (let i = 0; i < count; i++) {
      const v = src[i];
      out[i] = v === blank ? NaN : v * bscale + bzero;
    }
  }
  return out;
}

/**
 * Decodes an image HDU's data unit (padding may be included; it is ignored). `data` is not
 * modified: it is copied once into an aligned buffer that is then swapped in place.
 */
export function decodeImage(
  header: Header,
  data: Uint8Array | Iterable<Uint8Array>,
  opts: DecodeOptions = {},
): DecodedImage {
  const shape = imageShape(header);
  const bitpix = header.get('BITPIX');
  if (!shape || shape.pixels === 0) throw new Error('header has no image axes');
  if (typeof bitpix !== 'number' || ![8, 16, 32, 64, -32, -64].includes(bitpix)) {
    throw new Error(`unsupported BITPIX ${JSON.stringify(bitpix)}`);
  }
  const bytes = gather(data, shape.pixels * (Math.abs(bitpix) / 8));
  return decodeOwned(header, bytes, opts);
}

/** decodeImage for a buffer the caller gives up (aligned, e.g. from gather): no extra copy. */
export function decodeOwned(header: Header, bytes: Uint8Array, opts: DecodeOptions = {}): DecodedImage {
  const shape = imageShape(header);
  if (!shape || shape.pixels === 0) throw new Error('header has no image axes');
  const bitpix = header.get('BITPIX') as number;
  const data = decodePixels(bytes, bitpix, shape.pixels, imageScaling(header), opts);
  return { width: shape.width, height: shape.height, planes: shape.planes, data };
}
