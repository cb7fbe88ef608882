// The sky footprint of a file's science images: the corners of each image, from its gnomonic
// WCS, as the archive records them (astropy's calc_footprint: the centres of the corner
// pixels). The archive flags a file as a photometric standard observation when a standard star
// lies inside one of them.

import type { Header } from '../fits/types.js';
import { HeaderSet, numOf, strOf } from './instruments/headers.js';
import { tanPixelToSky } from './instruments/wcs.js';

/** [ra, dec] in degrees. */
export type Corner = [number, number];

/** Instruments whose WCS sits in the primary header and applies to the first extension. */
const PRIMARY_WCS = new Set(['GNIRS', 'MICHELLE', 'NIFS']);

function isSkyTan(h: Header): boolean {
  return strOf(h.get('CTYPE1')) === 'RA---TAN' && strOf(h.get('CTYPE2')) === 'DEC--TAN';
}

function corners(wcs: Header, image: Header): Corner[] | undefined {
  const n1 = numOf(image.get('NAXIS1'));
  const n2 = numOf(image.get('NAXIS2'));
  if (!n1 || !n2) return undefined;
  const out: Corner[] = [];
  for (const [x, y] of [
    [1, 1],
    [1, n2],
    [n1, n2],
    [n1, 1],
  ]) {
    const p = tanPixelToSky(wcs, x, y);
    if (!p) return undefined;
    out.push([p.ra, p.dec]);
  }
  return out;
}

/** One polygon (four corners) per science image with a sky WCS. */
export function footprints(hdus: readonly Header[]): Corner[][] {
  const h = new HeaderSet(hdus);
  const out: Corner[][] = [];
  if (PRIMARY_WCS.has(h.str('INSTRUME')?.toUpperCase() ?? '')) {
    const first = h.exts[0];
    const c = first && isSkyTan(h.phu) ? corners(h.phu, first) : undefined;
    if (c) out.push(c);
    return out;
  }
  const images = h.exts.length ? h.exts : [h.phu];
  for (const image of images) {
    const c = isSkyTan(image) ? corners(image, image) : undefined;
    if (c) out.push(c);
  }
  return out;
}
