// A binned accumulation canvas: tiles (whole images or amplifier data sections) are added straight
// into a grid `factor` times smaller than the mosaic, as NaN-aware block means. Building the
// full-resolution mosaic first would cost another float copy of a 6k×4.6k frame (113 MB), more
// than the whole preview budget; binning on the way in reads every input pixel exactly once.

export type Pixels = Uint8Array | Int16Array | Int32Array | Float32Array | Float64Array;

/**
 * An image as stored: integer images keep their stored values (host byte order) and are scaled
 * with BSCALE/BZERO as they are binned, so no full-size float copy is ever made.
 */
export interface Plane {
  width: number;
  height: number;
  /** x fastest, then y; only the first width*height values are read (first plane of a cube). */
  data: Pixels;
  bscale?: number;
  bzero?: number;
  /** Stored value meaning "no data" (integer images). */
  blank?: number;
}

/** Physical value of every pixel of a plane, as floats (for small arrays: spectra). */
export function physical(p: Plane, length = p.width * p.height): Float64Array {
  const out = new Float64Array(length);
  const bscale = p.bscale ?? 1;
  const bzero = p.bzero ?? 0;
  for (let i = 0; i < length; i++) {
    const v = p.data[i];
    out[i] = v === p.blank ? NaN : v * bscale + bzero;
  }
  return out;
}

/** A rectangle of a source image placed into the mosaic (all 0-based, in mosaic pixels). */
export interface Tile {
  src: Plane;
  /** Source region: columns [sx, sx+w), rows [sy, sy+h). */
  sx: number;
  sy: number;
  w: number;
  h: number;
  /** Where the region's first pixel lands in the mosaic. */
  dx: number;
  dy: number;
  /** Readout direction reversed (DETSEC x1 > x2): the region is mirrored when placed. */
  flipX?: boolean;
  flipY?: boolean;
}

export class Canvas {
  readonly width: number;
  readonly height: number;
  private readonly sum: Float32Array;
  private readonly count: Uint16Array;

  /** A canvas for a mosaic of mosaicWidth × mosaicHeight pixels, binned by `factor`. */
  constructor(
    readonly mosaicWidth: number,
    readonly mosaicHeight: number,
    readonly factor: number,
  ) {
    if (!(factor >= 1 && factor <= 255 && Number.isInteger(factor)))
      throw new Error(`bad binning factor ${factor}`);
    this.width = Math.max(1, Math.ceil(mosaicWidth / factor));
    this.height = Math.max(1, Math.ceil(mosaicHeight / factor));
    this.sum = new Float32Array(this.width * this.height);
    this.count = new Uint16Array(this.width * this.height);
  }

  /** Adds a tile; pixels falling outside the mosaic are dropped, NaNs are not counted. */
  add(t: Tile): void {
    const f = this.factor;
    const sw = t.src.width;
    const data = t.src.data;
    const bscale = t.src.bscale ?? 1;
    const bzero = t.src.bzero ?? 0;
    // NaN never equals anything: with no BLANK the test below is only the NaN test.
    const blank = t.src.blank === undefined ? NaN : Math.fround(t.src.blank);
    // Each source row is first converted to float32 by the engine (TypedArray.set, native), so
    // the loop below always reads one array type and stays monomorphic whatever BITPIX was.
    const row32 = new Float32Array(t.w);
    const direct = data instanceof Float32Array ? data : null;
    // Runs of source columns that land in the same binned column, computed once per tile: the
    // per-pixel loop then only loads, tests and adds, and writes each cell once per row.
    const runs: number[] = [];
    for (let i = 0; i < t.w;) {
      const cell = this.column(t, i);
      let k = i + 1;
      while (k < t.w && this.column(t, k) === cell) k++;
      if (cell >= 0) runs.push(i, k, cell);
      i = k;
    }
    const rs = Int32Array.from(runs);
    const sum = this.sum;
    const count = this.count;
    for (let j = 0; j < t.h; j++) {
      const my = t.dy + (t.flipY ? t.h - 1 - j : j);
      if (my < 0 || my >= this.mosaicHeight) continue;
      const row = Math.floor(my / f) * this.width;
      const off = (t.sy + j) * sw + t.sx;
      // float32 data are read in place; other types through the converted row.
      let buf: Float32Array = row32;
      let base = 0;
      if (direct) {
        buf = direct;
        base = off;
      } else row32.set(data.subarray(off, off + t.w));
      for (let r = 0; r < rs.length; r += 3) {
        let s = 0;
        let n = 0;
        const end = base + rs[r + 1];
        for (let k = base + rs[r]; k < end; k++) {
          const v = buf[k];
          if (v === v && v !== blank) {
            s += v;
            n++;
          }
        }
        if (n > 0) {
          const cell = row + rs[r + 2];
          sum[cell] += s * bscale + n * bzero;
          count[cell] += n;
        }
      }
    }
  }

  /** Binned column of a tile's source column i, or -1 when it falls outside the mosaic. */
  private column(t: Tile, i: number): number {
    const mx = t.dx + (t.flipX ? t.w - 1 - i : i);
    return mx >= 0 && mx < this.mosaicWidth ? Math.floor(mx / this.factor) : -1;
  }

  /** The block means; NaN where no data fell (chip gaps, blank pixels, uncovered areas). */
  finish(): Plane {
    const out = this.sum; // reused in place: the sums are not needed afterwards
    const count = this.count;
    for (let i = 0; i < out.length; i++) out[i] = count[i] ? out[i] / count[i] : NaN;
    return { width: this.width, height: this.height, data: out };
  }
}

/** Integer binning that brings the long side down to at most about twice `longSide`, never below it. */
export function binningFactor(width: number, height: number, longSide: number): number {
  return Math.min(255, Math.max(1, Math.floor(Math.max(width, height) / longSide)));
}
