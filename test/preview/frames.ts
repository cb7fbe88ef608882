// Generated frames with known patterns for the preview tests (and the gallery / benchmarks).

import { Readable } from 'node:stream';
import sharp from 'sharp';
import { buildFits, imageHdu, type CardInput, type HduInput } from '../../src/fits/write.js';

export function stream(buf: Buffer): Readable {
  return Readable.from([buf]);
}

/** A single-image file from a pixel function f(x, y) (0-based, y = FITS row − 1). */
export function singleFrame(
  width: number,
  height: number,
  f: (x: number, y: number) => number,
  opts: { cards?: CardInput[]; shape?: number[] } = {},
): Buffer {
  const data = new Float32Array(width * height);
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) data[y * width + x] = f(x, y);
  return buildFits([
    imageHdu(data, { primary: true, shape: opts.shape ?? [width, height], cards: opts.cards }),
  ]);
}

export interface GmosOptions {
  /** Unbinned CCD size (x, y); real GMOS: 2048 × 4224 (Hamamatsu). */
  ccd?: [number, number];
  bin?: number;
  overscan?: number;
  /** Stored value of every data pixel at unbinned detector position (x, y). */
  value?: (detX: number, detY: number) => number;
  overscanValue?: number;
  dettype?: string;
}

/**
 * A GMOS-S-like raw frame: 3 CCDs × 4 amplifiers = 12 int16 extensions, each with overscan
 * columns (left on the right-hand amplifiers, right on the left-hand ones, as the real ones),
 * written in a scrambled order so that placement by DETSEC is really exercised.
 */
export function gmosFrame(o: GmosOptions = {}): Buffer {
  const [ccdW, ccdH] = o.ccd ?? [2048, 4224];
  const bin = o.bin ?? 2;
  const over = o.overscan ?? 32;
  const ampW = ccdW / 4;
  const dataW = ampW / bin;
  const dataH = ccdH / bin;
  const value = o.value ?? ((x) => 1000 + x / 10);
  const hdus: HduInput[] = [
    imageHdu(null, {
      primary: true,
      cards: [
        ['INSTRUME', 'GMOS-S'],
        ['DETTYPE', o.dettype ?? 'S10892'],
        ['OBSTYPE', 'OBJECT'],
        ['NEXTEND', 12],
      ],
    }),
  ];
  const order = [5, 0, 11, 3, 8, 1, 10, 2, 7, 4, 9, 6];
  for (const amp of order) {
    const ccd = Math.floor(amp / 4);
    const detX0 = ccd * ccdW + (amp % 4) * ampW; // unbinned, 0-based
    const overscanLeft = amp % 2 === 1;
    const w = dataW + over;
    const data = new Int16Array(w * dataH);
    for (let y = 0; y < dataH; y++) {
      for (let x = 0; x < w; x++) {
        const dx = overscanLeft ? x - over : x;
        const inData = dx >= 0 && dx < dataW;
        data[y * w + x] = inData ? Math.round(value(detX0 + dx * bin, y * bin)) : (o.overscanValue ?? 30000);
      }
    }
    const dataSec = overscanLeft ? `[${over + 1}:${w},1:${dataH}]` : `[1:${dataW},1:${dataH}]`;
    const biasSec = overscanLeft ? `[1:${over},1:${dataH}]` : `[${dataW + 1}:${w},1:${dataH}]`;
    hdus.push(
      imageHdu(data, {
        shape: [w, dataH],
        cards: [
          ['EXTNAME', 'SCI'],
          ['EXTVER', hdus.length],
          ['CCDSUM', `${bin} ${bin}`],
          ['CCDSIZE', `[1:${ccdW},1:${ccdH}]`],
          ['DETSEC', `[${detX0 + 1}:${detX0 + ampW},1:${ccdH}]`],
          ['DATASEC', dataSec],
          ['BIASSEC', biasSec],
        ],
      }),
    );
  }
  return buildFits(hdus);
}

/** The JPEG back as grey pixels, top row first. */
export async function decode(
  jpeg: Buffer,
): Promise<{ width: number; height: number; px: Uint8Array; at(x: number, y: number): number }> {
  const { data, info } = await sharp(jpeg).greyscale().raw().toBuffer({ resolveWithObject: true });
  const px = new Uint8Array(data.buffer, data.byteOffset, data.length);
  const c = info.channels;
  return { width: info.width, height: info.height, px, at: (x, y) => px[(y * info.width + x) * c] };
}

/** Mean of a column range [x0, x1) over rows [y0, y1). */
export function meanOf(
  img: { at(x: number, y: number): number },
  x0: number,
  x1: number,
  y0: number,
  y1: number,
): number {
  let s = 0;
  for (let y = y0; y < y1; y++) for (let x = x0; x < x1; x++) s += img.at(x, y);
  return s / ((x1 - x0) * (y1 - y0));
}
