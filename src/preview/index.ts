// Preview of a FITS file or stream: images (mosaicked when the detector has several amplifiers or
// arrays), else a 1-D spectrum as a line plot, else an error naming the file.

import type { Readable } from 'node:stream';
import { openFitsStream } from '../fits/streams.js';
import { physical } from './canvas.js';
import { loadForPreview, loadLocalFile, PreviewInputError } from './load.js';
import { layoutImages } from './mosaic.js';
import { plotSpectrum, spectrumFromTable } from './plot.js';
import { encodeGrey, outputSize, renderTiles, type Rendered, type RenderOptions } from './render.js';

export { PreviewInputError } from './load.js';
export type { Rendered, RenderOptions } from './render.js';

export interface PreviewResult extends Rendered {
  kind: 'image' | 'spectrum';
}

/**
 * Preview of a stream (decompressed already) or of a local file path (.bz2/.gz decompressed by
 * name; plain files read with positioned reads, the fastest way).
 */
export async function previewFits(
  source: Readable | string,
  name: string,
  opts: RenderOptions = {},
): Promise<PreviewResult> {
  const loaded =
    typeof source !== 'string'
      ? await loadForPreview(source, name)
      : /\.(bz2|gz)$/i.test(source)
        ? await loadForPreview(openFitsStream(source), name)
        : await loadLocalFile(source, name);
  const layout = layoutImages(loaded.primary, loaded.images);
  if (layout) {
    const r = await renderTiles(layout.tiles, layout.width, layout.height, opts);
    return { ...r, kind: 'image' };
  }
  const spectrum = loaded.vectors.length
    ? { y: physical(loaded.vectors[0]) }
    : loaded.table
      ? spectrumFromTable(loaded.table.header, loaded.table.data)
      : null;
  if (!spectrum) throw new PreviewInputError(`${name}: no image or spectrum to preview`);
  const long = opts.longSide ?? 1000;
  const plot = plotSpectrum(spectrum.y, 'x' in spectrum ? spectrum.x : undefined, {
    width: long,
    height: Math.round(long / 2),
  });
  const size = outputSize(plot.width, plot.height, long);
  const jpeg = await encodeGrey(plot.grey, plot, size, opts.quality ?? 90);
  return { jpeg, ...size, clip: { lo: NaN, hi: NaN }, kind: 'spectrum' };
}
