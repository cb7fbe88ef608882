// Spectra (1-D images, table columns) drawn as a line plot straight into a grey pixel buffer:
// a frame, a few ticks, and the curve; single-pixel spikes run off the top, lines do not. No canvas or font dependency; the archive's previews of
// spectra were plots without labels too, the filename is on the page around them.

import { BinTable, type Column } from '../fits/bintable.js';
import type { Header } from '../fits/types.js';
import { percentileClip } from './render.js';

export interface PlotOptions {
  width?: number;
  height?: number;
}

export interface Plot {
  grey: Uint8Array;
  width: number;
  height: number;
}

const MARGIN = 40;
const FRAME = 150;
const TICK = 190;

function line(buf: Uint8Array, w: number, x0: number, y0: number, x1: number, y1: number, v: number): void {
  // Bresenham: integer steps, every pixel of the segment set once.
  const dx = Math.abs(x1 - x0);
  const dy = -Math.abs(y1 - y0);
  const sx = x0 < x1 ? 1 : -1;
  const sy = y0 < y1 ? 1 : -1;
  let err = dx + dy;
  for (;;) {
    buf[y0 * w + x0] = v;
    if (x0 === x1 && y0 === y1) return;
    const e2 = 2 * err;
    if (e2 >= dy) {
      err += dy;
      x0 += sx;
    }
    if (e2 <= dx) {
      err += dx;
      y0 += sy;
    }
  }
}

/** Plots y (against x when given and increasing, else against the index). Higher values are drawn higher. */
export function plotSpectrum(y: ArrayLike<number>, x?: ArrayLike<number>, opts: PlotOptions = {}): Plot {
  const width = opts.width ?? 1000;
  const height = opts.height ?? 500;
  const grey = new Uint8Array(width * height).fill(255);
  const left = MARGIN;
  const right = width - MARGIN / 2;
  const top = MARGIN / 2;
  const bottom = height - MARGIN;
  line(grey, width, left, top, right, top, FRAME);
  line(grey, width, left, bottom, right, bottom, FRAME);
  line(grey, width, left, top, left, bottom, FRAME);
  line(grey, width, right, top, right, bottom, FRAME);
  for (let k = 1; k < 10; k++) {
    const tx = Math.round(left + ((right - left) * k) / 10);
    line(grey, width, tx, bottom, tx, bottom - 6, FRAME);
    const ty = Math.round(bottom - ((bottom - top) * k) / 10);
    line(grey, width, left, ty, left + 6, ty, FRAME);
  }
  const n = y.length;
  const range = plotRange(y);
  if (!range) return { grey, width, height };
  let { lo, hi } = range;
  if (!(hi > lo)) {
    lo -= 1;
    hi += 1;
  }
  const pad = (hi - lo) * 0.05;
  lo -= pad;
  hi += pad;
  const useX = x !== undefined && x.length === n && n > 1 && x[n - 1] > x[0];
  const x0 = useX ? x![0] : 0;
  const xspan = useX ? x![n - 1] - x0 : Math.max(1, n - 1);
  const px = (i: number) => Math.round(left + ((right - left) * ((useX ? x![i] : i) - x0)) / xspan);
  const py = (v: number) => {
    const t = (v - lo) / (hi - lo);
    return Math.round(bottom - (bottom - top) * (t < 0 ? 0 : t > 1 ? 1 : t));
  };
  const zero = py(0);
  if (lo < 0 && hi > 0) {
    for (let xx = left; xx <= right; xx += 4) grey[zero * width + xx] = TICK;
  }
  let prev: [number, number] | null = null;
  for (let i = 0; i < n; i++) {
    const v = y[i];
    if (!(v === v) || (useX && !(x![i] === x![i]))) {
      prev = null; // a gap in the data is a gap in the curve
      continue;
    }
    const p: [number, number] = [Math.min(right, Math.max(left, px(i))), py(v)];
    if (prev) line(grey, width, prev[0], prev[1], p[0], p[1], 0);
    else grey[p[1] * width + p[0]] = 0;
    prev = p;
  }
  return { grey, width, height };
}

/**
 * The y range: extremes of the 3-point running median, so that one-pixel spikes (cosmic rays, hot
 * pixels) do not squash the spectrum while real lines, a few pixels wide, stay whole on the plot.
 */
function plotRange(y: ArrayLike<number>): { lo: number; hi: number } | null {
  const n = y.length;
  let lo = Infinity;
  let hi = -Infinity;
  for (let i = 0; i < n; i++) {
    const a = y[Math.max(0, i - 1)];
    const b = y[i];
    const c = y[Math.min(n - 1, i + 1)];
    const m = Math.max(Math.min(a, b), Math.min(Math.max(a, b), c)); // median of three
    if (Number.isFinite(m)) {
      if (m < lo) lo = m;
      if (m > hi) hi = m;
    }
  }
  if (lo === Infinity) {
    // Too few neighbours: fall back on the plain percentiles.
    return percentileClip(y, n, [0, 100]);
  }
  return { lo, hi };
}

const FLUX_NAMES = ['FLUX', 'SPECTRUM', 'COUNTS', 'DATA', 'SCI', 'INTENSITY'];
const WAVE_NAMES = ['WAVELENGTH', 'WAVE', 'LAMBDA', 'WAVELEN'];
const NUMERIC = new Set(['B', 'I', 'J', 'K', 'E', 'D']);

function columnValues(t: BinTable, col: Column): Float64Array {
  const dv = new DataView(t.data.buffer, t.data.byteOffset, t.data.byteLength);
  const size = { B: 1, I: 2, J: 4, K: 8, E: 4, D: 8 }[col.type as 'B'] ?? 1;
  // One row holding a vector (the usual way to store a spectrum), or one value per row.
  const perRow = t.rows === 1 ? col.repeat : Math.min(1, col.repeat);
  const out = new Float64Array(t.rows * perRow);
  let k = 0;
  for (let r = 0; r < t.rows; r++) {
    for (let e = 0; e < perRow; e++) {
      const at = r * t.rowBytes + col.offset + e * size;
      switch (col.type) {
        case 'B':
          out[k++] = dv.getUint8(at);
          break;
        case 'I':
          out[k++] = dv.getInt16(at);
          break;
        case 'J':
          out[k++] = dv.getInt32(at);
          break;
        case 'K':
          out[k++] = Number(dv.getBigInt64(at));
          break;
        case 'E':
          out[k++] = dv.getFloat32(at);
          break;
        default:
          out[k++] = dv.getFloat64(at);
      }
    }
  }
  return out;
}

/** Flux (and wavelength when there is one) from a binary table, or null when nothing is numeric. */
export function spectrumFromTable(
  header: Header,
  data: Uint8Array,
): { y: Float64Array; x?: Float64Array } | null {
  const t = new BinTable(header, data);
  const numeric = t.columns.filter((c) => NUMERIC.has(c.type) && c.repeat >= 1);
  if (numeric.length === 0 || t.rows === 0) return null;
  const wave = numeric.find((c) => WAVE_NAMES.includes(c.name));
  const flux = numeric.find((c) => FLUX_NAMES.includes(c.name)) ?? numeric.find((c) => c !== wave);
  if (!flux) return null;
  const y = columnValues(t, flux);
  const x = wave ? columnValues(t, wave) : undefined;
  return x && x.length === y.length ? { y, x } : { y };
}
