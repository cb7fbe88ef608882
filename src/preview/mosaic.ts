// Where each image of a file goes in the preview. Multi-amplifier detectors are tiled from their
// own header geometry: DETSEC (unbinned detector pixels) places each amplifier, DATASEC trims the
// overscan, CCDSUM gives the binning, and a gap is inserted between physical chips/arrays so that
// the picture looks like the focal plane rather than a seamless (and misleading) strip.

import type { Header } from '../fits/types.js';
import type { Plane, Tile } from './canvas.js';

export interface HduImage extends Plane {
  header: Header;
}

export interface Layout {
  width: number;
  height: number;
  tiles: Tile[];
  kind: 'single' | 'detector-mosaic' | 'grid' | 'strip';
}

/** '[x1:x2,y1:y2]' → 1-based corners, as written (x1 > x2 means a reversed readout). */
export function parseSection(v: unknown): { x1: number; x2: number; y1: number; y2: number } | null {
  if (typeof v !== 'string') return null;
  const m = /^\s*\[\s*(\d+)\s*:\s*(\d+)\s*,\s*(\d+)\s*:\s*(\d+)\s*\]\s*$/.exec(v);
  if (!m) return null;
  const [x1, x2, y1, y2] = m.slice(1).map(Number);
  return x1 > 0 && x2 > 0 && y1 > 0 && y2 > 0 ? { x1, x2, y1, y2 } : null;
}

function binningOf(h: Header): [number, number] {
  const v = h.get('CCDSUM');
  if (typeof v !== 'string') return [1, 1];
  const [bx, by] = v.trim().split(/\s+/).map(Number);
  return [bx > 0 ? bx : 1, by > 0 ? by : 1];
}

function str(h: Header | undefined, k: string): string {
  const v = h?.get(k);
  return typeof v === 'string' ? v.trim() : '';
}

/**
 * Physical blocks (CCDs, arrays) in unbinned detector pixels and the gaps inserted between them.
 * GMOS: three CCDs side by side (width from CCDSIZE), gaps as in DRAGONS' tiling (61/67 unbinned
 * pixels for the Hamamatsu CCDs of GMOS-S/N, 37 for the EEV and e2v ones). GSAOI: 2×2 arrays
 * (2048², one per extension), gaps 145 × 140.
 */
function blockGeometry(
  primary: Header | undefined,
  ext: Header,
): { bw: number; bh: number; gx: number; gy: number } {
  const inst = (str(primary, 'INSTRUME') || str(ext, 'INSTRUME')).toUpperCase();
  if (inst === 'GSAOI') {
    // One extension per array: the array is the extension's own DETSEC (2048² in real data).
    const det = parseSection(ext.get('DETSEC'));
    const bw = det ? Math.abs(det.x2 - det.x1) + 1 : 2048;
    const bh = det ? Math.abs(det.y2 - det.y1) + 1 : 2048;
    return { bw, bh, gx: 145, gy: 140 };
  }
  if (inst.startsWith('GMOS')) {
    const ccdsize = parseSection(ext.get('CCDSIZE'));
    const bw = ccdsize ? Math.abs(ccdsize.x2 - ccdsize.x1) + 1 : 2048;
    const dettype = str(primary, 'DETTYPE') || str(ext, 'DETTYPE');
    const gap = dettype === 'S10892' ? 61 : dettype === 'S10892-N' ? 67 : 37;
    return { bw, bh: Infinity, gx: gap, gy: 0 };
  }
  return { bw: Infinity, bh: Infinity, gx: 0, gy: 0 };
}

/** Science images only, when the file labels them (processed files add VAR, DQ ...). */
function scienceImages(images: HduImage[]): HduImage[] {
  const sci = images.filter((i) => str(i.header, 'EXTNAME').toUpperCase() === 'SCI');
  return sci.length ? sci : images;
}

function detectorMosaic(primary: Header | undefined, images: HduImage[]): Layout {
  const placed = images.map((img) => {
    const h = img.header;
    const det = parseSection(h.get('DETSEC'))!;
    const data = parseSection(h.get('DATASEC'));
    const [bx, by] = binningOf(h);
    const { bw, bh, gx, gy } = blockGeometry(primary, h);
    const sx = data ? Math.min(data.x1, data.x2) - 1 : 0;
    const sy = data ? Math.min(data.y1, data.y2) - 1 : 0;
    const w = Math.min(data ? Math.abs(data.x2 - data.x1) + 1 : img.width, img.width - sx);
    const hgt = Math.min(data ? Math.abs(data.y2 - data.y1) + 1 : img.height, img.height - sy);
    const ux = Math.min(det.x1, det.x2) - 1; // unbinned detector origin of the amplifier
    const uy = Math.min(det.y1, det.y2) - 1;
    const bxIndex = Number.isFinite(bw) ? Math.floor(ux / bw) : 0;
    const byIndex = Number.isFinite(bh) ? Math.floor(uy / bh) : 0;
    return {
      src: img,
      sx,
      sy,
      w: Math.max(0, w),
      h: Math.max(0, hgt),
      dx: Math.floor((ux + bxIndex * gx) / bx),
      dy: Math.floor((uy + byIndex * gy) / by),
      flipX: det.x1 > det.x2,
      flipY: det.y1 > det.y2,
    } satisfies Tile;
  });
  // Regions of interest start anywhere on the detector: the picture starts at the first one.
  const minX = Math.min(...placed.map((t) => t.dx));
  const minY = Math.min(...placed.map((t) => t.dy));
  for (const t of placed) {
    t.dx -= minX;
    t.dy -= minY;
  }
  const width = Math.max(...placed.map((t) => t.dx + t.w));
  const height = Math.max(...placed.map((t) => t.dy + t.h));
  return { width, height, tiles: placed, kind: 'detector-mosaic' };
}

/** Arrays in a grid of `cols` columns, first image at the bottom left, with `gap` pixels between. */
function grid(images: HduImage[], cols: number, gap: number, kind: Layout['kind']): Layout {
  const cw = Math.max(...images.map((i) => i.width));
  const ch = Math.max(...images.map((i) => i.height));
  const tiles: Tile[] = images.map((img, k) => ({
    src: img,
    sx: 0,
    sy: 0,
    w: img.width,
    h: img.height,
    dx: (k % cols) * (cw + gap),
    dy: Math.floor(k / cols) * (ch + gap),
  }));
  const rows = Math.ceil(images.length / cols);
  return { width: cols * cw + (cols - 1) * gap, height: rows * ch + (rows - 1) * gap, tiles, kind };
}

/**
 * The layout of a file's 2-D images (primary header for instrument keywords). Null when there is
 * nothing to lay out.
 */
export function layoutImages(primary: Header | undefined, all: HduImage[]): Layout | null {
  const images = scienceImages(all).filter((i) => i.width > 0 && i.height > 0);
  if (images.length === 0) return null;
  if (images.length === 1) {
    const img = images[0];
    return { width: img.width, height: img.height, tiles: grid([img], 1, 0, 'single').tiles, kind: 'single' };
  }
  if (images.every((i) => parseSection(i.header.get('DETSEC')))) return detectorMosaic(primary, images);
  const inst = (str(primary, 'INSTRUME') || str(images[0].header, 'INSTRUME')).toUpperCase();
  // GSAOI without DETSEC (never seen in raw data, kept as a fallback): arrays 1–4 in reading order.
  if (inst === 'GSAOI' && images.length === 4) return grid(images, 2, 145, 'grid');
  return grid(images, images.length, 8, 'strip');
}
