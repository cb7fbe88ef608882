import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { openFitsStream } from '../src/fits/streams.js';
import { buildFits, imageHdu, type HduInput } from '../src/fits/write.js';
import { previewFits } from '../src/preview/index.js';
import { gmosFrame } from '../test/preview/frames.js';

// Renders docs/gallery/*.jpg: previews of real-looking generated frames (raw GMOS imaging with its
// 12 amplifiers and their bias levels, a GMOS long-slit spectrum, F2 and GSAOI images, a 1-D
// spectrum) and of two real Gemini files from DRAGONS (BSD licence) when the corpus is at hand.
// Run: node --import tsx bench/preview-gallery.ts [corpus dir]

const OUT = fileURLToPath(new URL('../docs/gallery/', import.meta.url));
const CORPUS = process.argv[2] ?? '/work/shared/corpus/gemini/dragons';

// mulberry32: a small generator without the striped low bits of a power-of-two LCG (which drew
// diagonal patterns into the noise).
let seed = 12345;
function rand(): number {
  seed = (seed + 0x6d2b79f5) | 0;
  let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
}
function gauss(): number {
  return Math.sqrt(-2 * Math.log(rand() + 1e-12)) * Math.cos(2 * Math.PI * rand());
}

/** A sky image: background, noise, Moffat stars, an elliptical galaxy, cosmic rays. */
function sky(
  w: number,
  h: number,
  o: { level: number; noise: number; stars: number; galaxy?: boolean; fwhm?: number },
): Float32Array {
  const img = new Float32Array(w * h);
  for (let i = 0; i < img.length; i++) img[i] = o.level + o.noise * gauss();
  const fwhm = o.fwhm ?? 4;
  const alpha = fwhm / (2 * Math.sqrt(2 ** (1 / 2.5) - 1));
  for (let s = 0; s < o.stars; s++) {
    const x0 = rand() * w;
    const y0 = rand() * h;
    const flux = 30 * Math.exp(7 * rand() ** 2) * fwhm;
    const r = Math.ceil(fwhm * (3 + Math.log10(flux)));
    for (let y = Math.max(0, Math.floor(y0 - r)); y < Math.min(h, y0 + r); y++) {
      for (let x = Math.max(0, Math.floor(x0 - r)); x < Math.min(w, x0 + r); x++) {
        img[y * w + x] += flux * (1 + ((x - x0) ** 2 + (y - y0) ** 2) / alpha ** 2) ** -2.5;
      }
    }
  }
  if (o.galaxy) {
    const [gx, gy, re, q, pa] = [w * 0.42, h * 0.55, Math.min(w, h) / 14, 0.45, 0.6];
    const r = re * 6;
    for (let y = Math.max(0, Math.floor(gy - r)); y < Math.min(h, gy + r); y++) {
      for (let x = Math.max(0, Math.floor(gx - r)); x < Math.min(w, gx + r); x++) {
        const dx = x - gx;
        const dy = y - gy;
        const u = dx * Math.cos(pa) + dy * Math.sin(pa);
        const v = (-dx * Math.sin(pa) + dy * Math.cos(pa)) / q;
        const rr = Math.sqrt(u * u + v * v) / re;
        const arms = 1 + 0.35 * Math.cos(2 * Math.atan2(v, u) - 3 * Math.log(rr + 0.1));
        img[y * w + x] +=
          3000 * Math.exp(-7.67 * (Math.pow(rr, 0.25) - 1)) * 0.002 + 400 * Math.exp(-rr) * arms;
      }
    }
  }
  for (let c = 0; c < w * h * 2e-5; c++) img[Math.floor(rand() * w * h)] += 2000 + 8000 * rand();
  return img;
}

function gmosImaging(): Buffer {
  // 2 × 2 binned Hamamatsu: 3 CCDs of 1024 × 2112 binned pixels, 4 amplifiers each.
  const [w, h] = [3072, 2112];
  const img = sky(w, h, { level: 1200, noise: 25, stars: 700, galaxy: true, fwhm: 3.5 });
  const bias = [610, 580, 640, 600, 590, 620, 575, 605, 630, 600, 615, 585];
  return gmosFrame({
    ccd: [2048, 4224],
    bin: 2,
    overscan: 32,
    overscanValue: 600,
    value: (x, y) => {
      const v = img[Math.floor(y / 2) * w + Math.floor(x / 2)] + bias[Math.floor(x / 512)];
      // A slight vignetting towards the corners of the field, as on the real detector.
      const r2 = ((x - 3072) / 3500) ** 2 + ((y - 2112) / 3500) ** 2;
      return Math.min(32767, v * (1 - 0.25 * r2));
    },
  });
}

function gmosLongslit(): Buffer {
  const [w, h] = [3072, 1056];
  const img = new Float32Array(w * h);
  const lines = Array.from({ length: 60 }, () => [rand() * w, 50 + 3000 * rand() ** 3]);
  for (let x = 0; x < w; x++) {
    let skyv = 40 + 25 * Math.sin(x / 500);
    for (const [lx, f] of lines) skyv += f * Math.exp(-((x - lx) ** 2) / 8);
    const cont = 400 * (0.6 + 0.4 * Math.sin(x / 900)) * (1 - 0.3 * Math.exp(-((x - 1800) ** 2) / 200));
    for (let y = 0; y < h; y++) {
      const trace = cont * Math.exp(-((y - 530 - 0.01 * (x - 1500)) ** 2) / 18);
      const edge = y < 40 || y > h - 40 ? 0.05 : 1; // the slit's ends
      img[y * w + x] = (skyv + trace) * edge + 6 * gauss();
    }
  }
  return buildFits([
    imageHdu(img, {
      primary: true,
      shape: [w, h],
      cards: [
        ['INSTRUME', 'GMOS-N'],
        ['OBSTYPE', 'OBJECT'],
      ],
    }),
  ]);
}

function f2Image(): Buffer {
  const n = 2048;
  const img = sky(n, n, { level: 3000, noise: 40, stars: 400, fwhm: 5 });
  for (let y = 0; y < n; y++) {
    for (let x = 0; x < n; x++) {
      // F2's circular field of view: outside it only dark current.
      if ((x - 1024) ** 2 + (y - 1030) ** 2 > 1000 ** 2) img[y * n + x] = 40 + 10 * gauss();
    }
  }
  // NAXIS3 = 1, as F2 writes it: a degenerate axis the preview squeezes.
  return buildFits([imageHdu(img, { primary: true, shape: [n, n, 1], cards: [['INSTRUME', 'F2']] })]);
}

function gsaoiImage(): Buffer {
  const n = 2048;
  const hdus: HduInput[] = [imageHdu(null, { primary: true, cards: [['INSTRUME', 'GSAOI']] })];
  const origins = [
    [0, 0],
    [n, 0],
    [0, n],
    [n, n],
  ];
  for (const [k, [x0, y0]] of origins.entries()) {
    // Each array has its own bias and dark level, as in raw GSAOI data.
    const img = sky(n, n, { level: 1500 + [0, 40, -25, 15][k], noise: 30, stars: 150, fwhm: 3 });
    hdus.push(
      imageHdu(img, {
        shape: [n, n],
        cards: [
          ['EXTNAME', 'SCI'],
          ['EXTVER', k + 1],
          ['DETSEC', `[${x0 + 1}:${x0 + n},${y0 + 1}:${y0 + n}]`],
        ],
      }),
    );
  }
  return buildFits(hdus);
}

function spectrum1d(): Buffer {
  const n = 4000;
  const y = new Float32Array(n);
  const lines = [
    [800, -0.4, 6],
    [1300, 2.5, 3],
    [1330, 0.9, 3],
    [2100, -0.3, 10],
    [2900, 1.4, 3],
    [3400, -0.5, 5],
  ];
  for (let i = 0; i < n; i++) {
    let v = 1 + 0.5 * Math.exp(-(((i - 1500) / 1800) ** 2));
    for (const [c, a, s] of lines) v *= 1 + a * Math.exp(-((i - c) ** 2) / (2 * s * s));
    y[i] = 100 * v + 3 * gauss();
  }
  return buildFits([imageHdu(y, { primary: true, shape: [n], cards: [['INSTRUME', 'GMOS-S']] })]);
}

async function save(name: string, stream: Readable, label: string): Promise<void> {
  const t0 = performance.now();
  const r = await previewFits(stream, label);
  writeFileSync(path.join(OUT, name), r.jpeg);
  process.stdout.write(
    `${name}: ${r.width} × ${r.height}, ${r.kind}, ${Math.round(performance.now() - t0)} ms\n`,
  );
}

mkdirSync(OUT, { recursive: true });
const generated: Array<[string, () => Buffer]> = [
  ['gmos-imaging-12amp.jpg', gmosImaging],
  ['gmos-longslit.jpg', gmosLongslit],
  ['f2-image.jpg', f2Image],
  ['gsaoi-2x2.jpg', gsaoiImage],
  ['spectrum-1d.jpg', spectrum1d],
];
for (const [name, make] of generated) await save(name, Readable.from([make()]), name);
const real: Array<[string, string]> = [
  ['dragons-gmos-n-illum-12amp.jpg', 'gmos-n_illum_HAM_44_12amp_v1.fits.bz2'],
  ['dragons-f2-illumination.jpg', 'f2_image_illumination.fits.bz2'],
];
for (const [name, file] of real) {
  const p = path.join(CORPUS, file);
  if (existsSync(p)) await save(name, openFitsStream(p), file);
}
