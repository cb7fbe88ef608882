// From floats to a grey JPEG: robust percentile clip (black raised to the sky's noise floor on
// partly dark frames), a perceptual stretch, north up, sharp.
// The clip levels come from a subsample of the (already binned) preview grid: the display shows
// binned pixels, so their distribution is the one to clip, and ≤ 100k samples are selected from in a few ms.

import sharp from 'sharp';
import { Canvas, binningFactor, type Plane, type Tile } from './canvas.js';

export type Stretch = 'asinh' | 'sqrt' | 'linear';

export interface RenderOptions {
  /** Long side of the JPEG in pixels (smaller images are not enlarged). Default 1000. */
  longSide?: number;
  /** Lower and upper clip percentiles. Default [0.3, 99.7]. */
  percentiles?: [number, number];
  stretch?: Stretch;
  /** JPEG quality. Default 85. */
  quality?: number;
}

export interface Rendered {
  jpeg: Buffer;
  width: number;
  height: number;
  /** The data values mapped to black and white. */
  clip: { lo: number; hi: number };
}

const MAX_SAMPLES = 100_000;
const LUT_SIZE = 4096;
/** asinh softening: faint structure gains contrast, bright cores still saturate late. */
const ASINH_BETA = 10;

/** The k-th smallest of a[0..n) (0-based), rearranging a: Hoare's selection, O(n) on average. */
export function select(a: Float32Array, n: number, k: number): number {
  let lo = 0;
  let hi = n - 1;
  while (hi > lo) {
    const pivot = a[(lo + hi) >>> 1];
    let i = lo;
    let j = hi;
    while (i <= j) {
      while (a[i] < pivot) i++;
      while (a[j] > pivot) j--;
      if (i <= j) {
        const t = a[i];
        a[i] = a[j];
        a[j] = t;
        i++;
        j--;
      }
    }
    if (k <= j) hi = j;
    else if (k >= i) lo = i;
    else return a[k];
  }
  return a[k];
}

/** The finite values of data[0..length), evenly strided down to at most MAX_SAMPLES. */
function subsample(data: ArrayLike<number>, length: number): { sample: Float32Array; n: number } {
  const stride = Math.max(1, Math.floor(length / MAX_SAMPLES));
  const sample = new Float32Array(Math.ceil(length / stride));
  let n = 0;
  for (let i = 0; i < length; i += stride) {
    const v = data[i];
    if (v === v && v !== Infinity && v !== -Infinity) sample[n++] = v;
  }
  return { sample, n };
}

/** Percentiles of sample[0..n) by selection (rearranges the sample). */
function percentilesOf(
  sample: Float32Array,
  n: number,
  [plo, phi]: [number, number],
): { lo: number; hi: number } {
  const rank = (p: number) => Math.min(n - 1, Math.max(0, Math.round((p / 100) * (n - 1))));
  const khi = rank(phi);
  const hi = select(sample, n, khi);
  // After selecting khi, everything before it is at most hi: the low rank is found in that part.
  const lo = select(sample, Math.max(1, khi), Math.min(rank(plo), Math.max(0, khi - 1)));
  return { lo: Math.min(lo, hi), hi };
}

/**
 * The lo/hi percentiles of the finite values, from an evenly strided subsample. NaN-aware.
 * Selection instead of a sort: O(n) passes over ≤ 100k samples.
 */
export function percentileClip(
  data: ArrayLike<number>,
  length: number = data.length,
  percentiles: [number, number] = [0.3, 99.7],
): { lo: number; hi: number } | null {
  const { sample, n } = subsample(data, length);
  return n === 0 ? null : percentilesOf(sample, n, percentiles);
}

/**
 * Display levels: the percentile clip, with the black level raised to 3σ below the sky (median,
 * σ from the MAD) when the low percentile lies further down. On an ordinary frame the two nearly
 * coincide (0.3 % of Gaussian noise is 2.75σ below the median); on a frame that is partly dark
 * (F2's round field, vignetted corners, a partial ROI) the percentile would sit in the dark area
 * and flatten the sky into a uniform grey with no noise or faint sources left in it.
 */
function displayClip(
  data: ArrayLike<number>,
  length: number = data.length,
  percentiles: [number, number] = [0.3, 99.7],
): { lo: number; hi: number } | null {
  const { sample, n } = subsample(data, length);
  if (n === 0) return null;
  const clip = percentilesOf(sample, n, percentiles); // selection permutes, never loses, values
  const median = select(sample, n, n >> 1);
  for (let i = 0; i < n; i++) sample[i] = Math.abs(sample[i] - median);
  const sigma = 1.4826 * select(sample, n, n >> 1);
  const floor = median - 3 * sigma;
  return floor > clip.lo && floor < clip.hi ? { lo: floor, hi: clip.hi } : clip;
}

/** A monotone non-decreasing map from [0, 1] to 0..255. */
export function stretchLut(stretch: Stretch): Uint8Array {
  const lut = new Uint8Array(LUT_SIZE);
  const norm = Math.asinh(ASINH_BETA);
  for (let i = 0; i < LUT_SIZE; i++) {
    const x = i / (LUT_SIZE - 1);
    const y = stretch === 'asinh' ? Math.asinh(ASINH_BETA * x) / norm : stretch === 'sqrt' ? Math.sqrt(x) : x;
    lut[i] = Math.round(255 * y);
  }
  return lut;
}

/**
 * 8-bit grey pixels, rows flipped so that the data's first row (FITS y = 1, south on Gemini
 * images in their default orientation) is the bottom row of the picture. NaN → black.
 */
function toGrey(img: Plane, clip: { lo: number; hi: number } | null, stretch: Stretch): Uint8Array {
  const { width: w, height: h, data } = img;
  const out = new Uint8Array(w * h);
  if (!clip) return out; // nothing finite: an all-black frame
  const lut = stretchLut(stretch);
  const span = clip.hi - clip.lo;
  // A flat frame (every sample equal) shows as mid grey rather than black or white.
  const flat = !(span > 0);
  const scale = flat ? 0 : (LUT_SIZE - 1) / span;
  const mid = 128;
  for (let y = 0; y < h; y++) {
    const src = y * w;
    const dst = (h - 1 - y) * w;
    for (let x = 0; x < w; x++) {
      const v = data[src + x];
      if (v !== v) continue; // NaN stays 0
      if (flat) {
        out[dst + x] = mid;
        continue;
      }
      let k = (v - clip.lo) * scale;
      k = k <= 0 ? 0 : k >= LUT_SIZE - 1 ? LUT_SIZE - 1 : k | 0;
      out[dst + x] = lut[k];
    }
  }
  return out;
}

/** Output size: the mosaic scaled so its long side is `longSide`, never enlarged. */
export function outputSize(
  width: number,
  height: number,
  longSide: number,
): { width: number; height: number } {
  const scale = Math.min(1, longSide / Math.max(width, height));
  return { width: Math.max(1, Math.round(width * scale)), height: Math.max(1, Math.round(height * scale)) };
}

/** Encodes single-channel pixels as a greyscale JPEG, resized to exactly width × height. */
export async function encodeGrey(
  grey: Uint8Array,
  src: { width: number; height: number },
  out: { width: number; height: number },
  quality = 85,
): Promise<Buffer> {
  let pipeline = sharp(grey, { raw: { width: src.width, height: src.height, channels: 1 } });
  if (out.width !== src.width || out.height !== src.height) {
    pipeline = pipeline.resize(out.width, out.height, { fit: 'fill', kernel: 'lanczos3' });
  }
  return pipeline.toColourspace('b-w').jpeg({ quality }).toBuffer();
}

/** Renders tiles laid out in a mosaic of mosaicWidth × mosaicHeight pixels. */
export async function renderTiles(
  tiles: Tile[],
  mosaicWidth: number,
  mosaicHeight: number,
  opts: RenderOptions = {},
): Promise<Rendered> {
  const longSide = opts.longSide ?? 1000;
  const canvas = new Canvas(mosaicWidth, mosaicHeight, binningFactor(mosaicWidth, mosaicHeight, longSide));
  for (const t of tiles) canvas.add(t);
  const binned = canvas.finish();
  const clip = displayClip(binned.data, binned.data.length, opts.percentiles ?? [0.3, 99.7]);
  const grey = toGrey(binned, clip, opts.stretch ?? 'asinh');
  const size = outputSize(mosaicWidth, mosaicHeight, longSide);
  const jpeg = await encodeGrey(grey, binned, size, opts.quality);
  return { jpeg, ...size, clip: clip ?? { lo: NaN, hi: NaN } };
}
