// Sky position of the middle of the first image from its FITS WCS. The archive records the RA/Dec
// of the field centre this way (astrodata's wcs_ra/wcs_dec), which can differ from the RA/DEC
// cards (the telescope's base position) by the instrument's offset. Only the gnomonic (TAN)
// projection is evaluated: it is what Gemini imagers write; for anything else the caller falls
// back to the header cards.

import type { Header } from '../../fits/types.js';
import { numOf, strOf } from './headers.js';

const D2R = Math.PI / 180;
const R2D = 180 / Math.PI;

export interface SkyPosition {
  ra: number;
  dec: number;
}

function n(h: Header, k: string): number | undefined {
  return numOf(h.get(k));
}

/** The linear part of the WCS: CD matrix, else PC×CDELT, else CDELT with CROTA2. */
function linearMatrix(h: Header): [number, number, number, number] | undefined {
  const cd = [n(h, 'CD1_1'), n(h, 'CD1_2'), n(h, 'CD2_1'), n(h, 'CD2_2')];
  if (cd.some((v) => v !== undefined)) {
    return [cd[0] ?? 0, cd[1] ?? 0, cd[2] ?? 0, cd[3] ?? 0];
  }
  const c1 = n(h, 'CDELT1');
  const c2 = n(h, 'CDELT2');
  if (c1 === undefined || c2 === undefined) return undefined;
  const pc = [n(h, 'PC1_1'), n(h, 'PC1_2'), n(h, 'PC2_1'), n(h, 'PC2_2')];
  if (pc.some((v) => v !== undefined)) {
    return [c1 * (pc[0] ?? 1), c1 * (pc[1] ?? 0), c2 * (pc[2] ?? 0), c2 * (pc[3] ?? 1)];
  }
  const rot = (n(h, 'CROTA2') ?? 0) * D2R;
  return [c1 * Math.cos(rot), -c2 * Math.sin(rot), c1 * Math.sin(rot), c2 * Math.cos(rot)];
}

/** Sky position at 1-based pixel (x, y) of a TAN WCS header; undefined when it is not one. */
export function tanPixelToSky(h: Header, x: number, y: number): SkyPosition | undefined {
  const ctype1 = strOf(h.get('CTYPE1'));
  const ctype2 = strOf(h.get('CTYPE2'));
  if (!ctype1?.startsWith('RA') || !ctype2?.startsWith('DEC')) return undefined;
  if (!ctype1.endsWith('TAN') || !ctype2.endsWith('TAN')) return undefined;
  const crval1 = n(h, 'CRVAL1');
  const crval2 = n(h, 'CRVAL2');
  const crpix1 = n(h, 'CRPIX1');
  const crpix2 = n(h, 'CRPIX2');
  const m = linearMatrix(h);
  if (crval1 === undefined || crval2 === undefined || crpix1 === undefined || crpix2 === undefined || !m) {
    return undefined;
  }
  const dx = x - crpix1;
  const dy = y - crpix2;
  const xi = m[0] * dx + m[1] * dy; // degrees in the projection plane
  const eta = m[2] * dx + m[3] * dy;

  // Native spherical coordinates of the gnomonic projection (Calabretta & Greisen 2002).
  const r = Math.hypot(xi, eta);
  const phi = r === 0 ? 0 : Math.atan2(xi, -eta);
  const theta = r === 0 ? Math.PI / 2 : Math.atan(R2D / r);
  // Zenithal projection: native pole at the reference point, LONPOLE = 180°.
  const dp = crval2 * D2R;
  const dphi = phi - Math.PI;
  const sinDec = Math.sin(theta) * Math.sin(dp) + Math.cos(theta) * Math.cos(dp) * Math.cos(dphi);
  const dec = Math.asin(Math.max(-1, Math.min(1, sinDec)));
  const yy = -Math.cos(theta) * Math.sin(dphi);
  const xx = Math.sin(theta) * Math.cos(dp) - Math.cos(theta) * Math.sin(dp) * Math.cos(dphi);
  let ra = crval1 + Math.atan2(yy, xx) * R2D;
  ra = ((ra % 360) + 360) % 360;
  return { ra, dec: dec * R2D };
}

/**
 * Sky position of the centre of an image, as astrodata computes it: the WCS of `wcs` (the image
 * header itself, or the primary header when the image carries none) at the middle of `image`.
 */
export function imageCentre(image: Header, wcs: Header = image): SkyPosition | undefined {
  const n1 = n(image, 'NAXIS1');
  const n2 = n(image, 'NAXIS2');
  if (n1 === undefined || n2 === undefined) return undefined;
  return tanPixelToSky(wcs, 0.5 * n1, 0.5 * n2);
}
