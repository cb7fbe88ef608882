// Reading the images of a file in one streaming pass: only the selected HDUs' data are kept,
// each in one aligned buffer that is decoded in place as soon as its data unit is complete.

import type { Readable } from 'node:stream';
import { type DecodeOptions, decodeOwned, imageShape } from './image.js';
import { readFits, type ReadOptions } from './reader.js';
import { compressedImageShape, decodeTileCompressed, isTileCompressed } from './tilecompress.js';
import type { Hdu } from './types.js';

export interface ImageResult {
  hdu: Hdu;
  width: number;
  height: number;
  planes: number;
  data: Float32Array | Float64Array;
  /** True when the image came from a tile-compressed BINTABLE. */
  compressed: boolean;
}

/** An image HDU (primary, IMAGE extension, or ZIMAGE table), random groups excluded. */
export function isImageHdu(hdu: Hdu): boolean {
  const h = hdu.header;
  if (isTileCompressed(h)) return true;
  if (hdu.index === 0) return h.get('GROUPS') !== true;
  const xt = h.get('XTENSION');
  return typeof xt === 'string' && xt.trim() === 'IMAGE';
}

/** Default selection: image HDUs with at least two axes longer than 1. */
export function hasPicture(hdu: Hdu): boolean {
  if (!isImageHdu(hdu)) return false;
  const shape = isTileCompressed(hdu.header) ? compressedImageShape(hdu.header) : imageShape(hdu.header);
  return !!shape && shape.squeezed.length >= 2 && shape.pixels > 0;
}

export interface ReadImagesOptions extends DecodeOptions, Pick<ReadOptions, 'bzip2'> {}

/**
 * Streams a file (or Readable) once and decodes the selected image HDUs. Throws when the file
 * has a fatal structural problem or a selected HDU cannot be decoded.
 */
export async function readImages(
  source: string | Readable,
  select: (hdu: Hdu) => boolean = hasPicture,
  opts: ReadImagesOptions = {},
): Promise<ImageResult[]> {
  const results: ImageResult[] = [];
  let buf: Uint8Array | undefined;
  let filled = 0;
  const name = typeof source === 'string' ? source : 'stream';
  const chosen = (hdu: Hdu) => hdu.dataSize > 0 && isImageHdu(hdu) && select(hdu);
  const { problems } = await readFits(source, {
    bzip2: opts.bzip2,
    wantData: chosen,
    onData: (hdu, chunk) => {
      if (!buf) {
        buf = new Uint8Array(new ArrayBuffer(hdu.dataSize)); // aligned, decoded in place
        filled = 0;
      }
      buf.set(chunk, filled);
      filled += chunk.length;
    },
    onDataEnd: (hdu) => {
      const bytes = buf!;
      buf = undefined;
      try {
        const compressed = isTileCompressed(hdu.header);
        const img = compressed
          ? decodeTileCompressed(hdu.header, bytes, opts)
          : decodeOwned(hdu.header, bytes, opts);
        results.push({ hdu, ...img, compressed });
      } catch (err) {
        const message = err instanceof Error ? err.message : String(err);
        throw new Error(`${name}: HDU ${hdu.index}: ${message}`, { cause: err });
      }
    },
  });
  const fatal = problems.filter((p) => p.fatal);
  if (fatal.length) throw new Error(`${name}: ${fatal.map((p) => p.message).join('; ')}`);
  return results;
}
