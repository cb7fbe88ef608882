// One streaming pass over a (decompressed) FITS stream collecting what a preview can show: image
// HDUs (tile-compressed ones included) kept as their stored pixels in one aligned buffer each
// (byte-swapped in place; scaled later, while binning: no full-size float copy is made),
// and the first binary table in case the file holds a tabulated spectrum and no image at all.
// Variance and mask planes are skipped before their data are read: they only cost memory.

import { open } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import { BLOCK_SIZE, HeaderAssembler, type BlockResult } from '../fits/header.js';
import { decodeOwned, imageScaling, imageShape } from '../fits/image.js';
import { dataLayout, hduLabel, padded } from '../fits/layout.js';
import { readFits } from '../fits/reader.js';
import { isImageHdu } from '../fits/readimages.js';
import { compressedImageShape, decodeTileCompressed, isTileCompressed } from '../fits/tilecompress.js';
import type { Hdu, Header } from '../fits/types.js';
import type { Plane } from './canvas.js';
import type { HduImage } from './mosaic.js';

export interface Loaded {
  primary?: Header;
  /** Images with at least two axes longer than 1. */
  images: HduImage[];
  /** Images with one axis longer than 1 (1-D spectra). */
  vectors: HduImage[];
  /** The first binary table small enough to plot from. */
  table?: { header: Header; data: Uint8Array };
}

export class PreviewInputError extends Error {
  override name = 'PreviewInputError';
}

const SKIPPED_EXTNAMES = new Set([
  'VAR',
  'VARIANCE',
  'DQ',
  'OBJMASK',
  'MASK',
  'BPM',
  'ERR',
  'REFCAT',
  'OBJCAT',
  'MDF',
]);
const MAX_TABLE_BYTES = 64 << 20;

function extname(h: Header): string {
  const v = h.get('EXTNAME');
  return typeof v === 'string' ? v.trim().toUpperCase() : '';
}

function squeezedAxes(hdu: Hdu): number {
  const shape = isTileCompressed(hdu.header) ? compressedImageShape(hdu.header) : imageShape(hdu.header);
  return shape && shape.pixels > 0 ? shape.squeezed.length : 0;
}

/**
 * The stored pixels of a plain image HDU as a typed view, byte-swapped in place (the buffer is
 * ours and 8-byte aligned). Scaling is left to the consumer; 64-bit integers are decoded.
 */
function storedPlane(header: Header, bytes: Uint8Array): Plane {
  const shape = imageShape(header);
  const bitpix = header.get('BITPIX');
  if (!shape || shape.pixels === 0) throw new Error('header has no image axes');
  const n = shape.pixels;
  const { width, height } = shape;
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const at = bytes.byteOffset;
  const { bscale, bzero, blank } = imageScaling(header);
  switch (bitpix) {
    case 8:
      return { width, height, data: bytes.subarray(0, n), bscale, bzero, blank };
    case 16:
      buf.subarray(0, 2 * n).swap16();
      return { width, height, data: new Int16Array(bytes.buffer, at, n), bscale, bzero, blank };
    case 32:
      buf.subarray(0, 4 * n).swap32();
      return { width, height, data: new Int32Array(bytes.buffer, at, n), bscale, bzero, blank };
    case -32:
      buf.subarray(0, 4 * n).swap32();
      return { width, height, data: new Float32Array(bytes.buffer, at, n), bscale, bzero };
    case -64:
      buf.subarray(0, 8 * n).swap64();
      return { width, height, data: new Float64Array(bytes.buffer, at, n), bscale, bzero };
    default: {
      const img = decodeOwned(header, bytes, { float64: true });
      return { width: img.width, height: img.height, data: img.data };
    }
  }
}

function isBinTable(hdu: Hdu): boolean {
  const xt = hdu.header.get('XTENSION');
  return typeof xt === 'string' && xt.trim() === 'BINTABLE' && !isTileCompressed(hdu.header);
}

/** Whether an HDU's data are worth reading for a preview (decided from its header alone). */
function wanted(hdu: Hdu, out: Loaded): boolean {
  if (hdu.dataSize === 0 || SKIPPED_EXTNAMES.has(extname(hdu.header))) return false;
  if (isImageHdu(hdu)) return squeezedAxes(hdu) >= 1;
  return !out.table && isBinTable(hdu) && hdu.dataSize <= MAX_TABLE_BYTES;
}

/** Files a wanted HDU's complete data unit (our own aligned buffer) into `out`. */
function collect(out: Loaded, hdu: Hdu, bytes: Uint8Array, name: string): void {
  if (!isImageHdu(hdu)) {
    out.table = { header: hdu.header, data: bytes };
    return;
  }
  let img: Plane;
  try {
    img = isTileCompressed(hdu.header)
      ? decodeTileCompressed(hdu.header, bytes)
      : storedPlane(hdu.header, bytes);
  } catch (e) {
    throw new PreviewInputError(`${name}: HDU ${hdu.index}: ${(e as Error).message}`, { cause: e });
  }
  (squeezedAxes(hdu) >= 2 ? out.images : out.vectors).push({ header: hdu.header, ...img });
}

/** Reads a stream once; throws a PreviewInputError naming `name` when the file cannot be read. */
export async function loadForPreview(source: Readable, name: string): Promise<Loaded> {
  const out: Loaded = { images: [], vectors: [] };
  let buf: Uint8Array | undefined;
  let filled = 0;
  let result;
  try {
    result = await readFits(source, {
      onHdu: (hdu) => {
        if (hdu.index === 0) out.primary = hdu.header;
      },
      wantData: (hdu) => wanted(hdu, out),
      onData: (hdu, chunk) => {
        // One aligned buffer per data unit, decoded in place: no whole-file copy.
        buf ??= new Uint8Array(new ArrayBuffer(hdu.dataSize));
        buf.set(chunk, filled);
        filled += chunk.length;
      },
      onDataEnd: (hdu) => {
        const bytes = buf!;
        buf = undefined;
        filled = 0;
        collect(out, hdu, bytes, name);
      },
    });
  } catch (e) {
    if (e instanceof PreviewInputError) throw e;
    throw new PreviewInputError(`${name}: cannot read: ${(e as Error).message}`, { cause: e });
  }
  const fatal = result.problems.filter((p) => p.fatal);
  if (fatal.length) throw new PreviewInputError(`${name}: ${fatal.map((p) => p.message).join('; ')}`);
  return out;
}

function isPrimaryStart(block: Buffer): boolean {
  return (
    block.toString('latin1', 0, 10) === 'SIMPLE  = ' &&
    block.toString('latin1', 10, 80).split('/')[0].trim() === 'T'
  );
}

/**
 * An uncompressed file on local disk, read with positioned reads: headers block by block, and each
 * wanted data unit straight into its aligned buffer, skipping the rest. Against the stream path
 * this saves the copy out of ~60 stream chunks per 60 MB frame and the garbage they leave behind
 * (about a fifth of the preview time of a GMOS frame, and its peak memory). Problems are reported
 * in the stream reader's words.
 */
export async function loadLocalFile(file: string, name: string): Promise<Loaded> {
  const fh = await open(file, 'r');
  const fail = (msg: string) => new PreviewInputError(`${name}: ${msg}`);
  try {
    const size = (await fh.stat()).size;
    if (size === 0) throw fail('not a FITS file: empty');
    const out: Loaded = { images: [], vectors: [] };
    const block = Buffer.alloc(BLOCK_SIZE);
    let pos = 0;
    for (let index = 0; pos + BLOCK_SIZE <= size; index++) {
      const start = pos;
      const asm = new HeaderAssembler();
      let r: BlockResult = 'more';
      while (r === 'more') {
        if (pos + BLOCK_SIZE > size) throw fail(`${hduLabel(index)}: header truncated at byte ${size}`);
        await fh.read(block, 0, BLOCK_SIZE, pos);
        if (asm.blocks === 0) {
          if (index === 0 && !isPrimaryStart(block))
            throw fail('not a FITS file: the first card is not SIMPLE = T');
          if (index > 0 && block.toString('latin1', 0, 10) !== 'XTENSION= ') return out; // trailing bytes
        }
        r = asm.push(block);
        pos += BLOCK_SIZE;
      }
      const { header } = asm.finish();
      if (r === 'not-header') throw fail(`${hduLabel(index, header)}: header has no END card`);
      const layout = dataLayout(header, index === 0);
      if ('error' in layout)
        throw fail(`${hduLabel(index, header)}: cannot size the data unit: ${layout.error}`);
      const hdu: Hdu = {
        index,
        header,
        headerOffset: start,
        headerSize: pos - start,
        dataOffset: pos,
        dataSize: layout.size,
        paddedDataSize: padded(layout.size),
      };
      if (index === 0) out.primary = header;
      if (pos + layout.size > size) {
        throw fail(`${hduLabel(index, header)}: data truncated: ${size - pos} of ${layout.size} bytes`);
      }
      if (wanted(hdu, out)) {
        const bytes = new Uint8Array(new ArrayBuffer(layout.size));
        for (let got = 0; got < layout.size;) {
          const { bytesRead } = await fh.read(bytes, got, layout.size - got, pos + got);
          if (bytesRead === 0) throw fail(`${hduLabel(index, header)}: data truncated while reading`);
          got += bytesRead;
        }
        collect(out, hdu, bytes, name);
      }
      pos += hdu.paddedDataSize;
    }
    if (!out.primary) throw fail('not a FITS file: shorter than one header block');
    return out;
  } finally {
    await fh.close();
  }
}
