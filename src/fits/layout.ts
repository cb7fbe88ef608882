// The size of an HDU's data unit as the mandatory keywords define it (FITS 4.0 §4.4.1, §6, §7).

import { BLOCK_SIZE } from './header.js';
import type { Header } from './types.js';

export const VALID_BITPIX = new Set([8, 16, 32, 64, -32, -64]);

export interface DataLayout {
  bitpix: number;
  /** NAXIS1..NAXISn; for random groups NAXIS1 is 0 and is left out of the size. */
  axes: number[];
  pcount: number;
  gcount: number;
  groups: boolean;
  size: number;
}

/** Rounds a byte count up to whole 2880-byte blocks. */
export function padded(size: number): number {
  return Math.ceil(size / BLOCK_SIZE) * BLOCK_SIZE;
}

function nonNegativeInt(v: unknown): v is number {
  return typeof v === 'number' && Number.isInteger(v) && v >= 0;
}

/**
 * Computes the data size from BITPIX, NAXIS, NAXISn, PCOUNT and GCOUNT. Returns a message instead
 * when a keyword needed for the size is missing or invalid: then the rest of the file cannot be
 * located and reading must stop.
 */
export function dataLayout(header: Header, primary: boolean): DataLayout | { error: string } {
  const bitpix = header.get('BITPIX');
  if (typeof bitpix !== 'number' || !VALID_BITPIX.has(bitpix)) {
    return { error: `BITPIX missing or invalid (${JSON.stringify(bitpix ?? null)})` };
  }
  const naxis = header.get('NAXIS');
  if (!nonNegativeInt(naxis) || naxis > 999) {
    return { error: `NAXIS missing or invalid (${JSON.stringify(naxis ?? null)})` };
  }
  const axes: number[] = [];
  for (let i = 1; i <= naxis; i++) {
    const n = header.get(`NAXIS${i}`);
    if (!nonNegativeInt(n)) return { error: `NAXIS${i} missing or invalid (${JSON.stringify(n ?? null)})` };
    axes.push(n);
  }
  // Random groups (§6): primary HDU with NAXIS1 = 0 and GROUPS = T; PCOUNT/GCOUNT apply there.
  const groups = primary && naxis > 0 && axes[0] === 0 && header.get('GROUPS') === true;
  let pcount = 0;
  let gcount = 1;
  if (!primary || groups) {
    const p = header.get('PCOUNT');
    const g = header.get('GCOUNT');
    // Extensions must have both; tolerate absence here (verify reports it) with the defaults.
    if (p !== undefined) {
      if (!nonNegativeInt(p)) return { error: `PCOUNT invalid (${JSON.stringify(p)})` };
      pcount = p;
    }
    if (g !== undefined) {
      if (!nonNegativeInt(g)) return { error: `GCOUNT invalid (${JSON.stringify(g)})` };
      gcount = g;
    }
  }
  const sized = groups ? axes.slice(1) : axes;
  const elements = sized.reduce((a, b) => a * b, 1);
  // NAXIS = 0 means no data at all, whatever PCOUNT says (as astropy and cfitsio read it).
  const size = naxis === 0 ? 0 : (Math.abs(bitpix) / 8) * gcount * (pcount + elements);
  return { bitpix, axes, pcount, gcount, groups, size };
}

/** "HDU 2 (SCI,1)" / "HDU 0 (primary)": how problems name an HDU. */
export function hduLabel(index: number, header?: Header): string {
  if (index === 0) return 'HDU 0 (primary)';
  const name = header?.get('EXTNAME');
  const ver = header?.get('EXTVER');
  if (typeof name === 'string' && name !== '') {
    return `HDU ${index} (${name}${ver !== undefined && ver !== null ? `,${ver}` : ''})`;
  }
  const xt = header?.get('XTENSION');
  return typeof xt === 'string' ? `HDU ${index} (${xt})` : `HDU ${index}`;
}
