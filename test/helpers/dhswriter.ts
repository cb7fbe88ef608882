import { closeSync, openSync, writeSync } from 'node:fs';
import { Readable } from 'node:stream';
import { readFits } from '../../src/fits/reader.js';
import { sampleFits, type SampleSpec } from '../../src/gemini/samples.js';

// DHS writers for the completeness tests: files without NEXTEND (as the DHS writes many), and
// writers that stop at every HDU boundary and inside data, where what is on disk so far is, at
// the boundaries, well-formed FITS itself.

/**
 * A sample whose primary header has its NEXTEND card blanked (a blank card is valid FITS); a
 * sample without extensions has none anyway.
 */
export function sampleWithoutNextend(s: SampleSpec): Buffer {
  const b = Buffer.from(sampleFits(s));
  for (let off = 0; off < 2880 * 4; off += 80) {
    if (b.toString('latin1', off, off + 8) === 'NEXTEND ') {
      b.fill(' ', off, off + 80, 'latin1');
      return b;
    }
    if (b.toString('latin1', off, off + 8) === 'END     ') break;
  }
  return b;
}

/** Where each HDU's data starts, half way through it, and where the HDU ends (the boundaries). */
export async function pausePoints(bytes: Buffer): Promise<{ boundaries: number[]; inData: number[] }> {
  const r = await readFits(Readable.from([bytes]), { wantData: () => false });
  const boundaries: number[] = [];
  const inData: number[] = [];
  for (const h of r.hdus) {
    if (h.dataSize > 0) inData.push(h.dataOffset + Math.floor(h.dataSize / 2));
    const end = h.dataOffset + h.paddedDataSize;
    if (end < bytes.length) boundaries.push(end);
  }
  return { boundaries, inData };
}

/** Writes bytes in place (as the DHS does, not temp + rename), pausing at each cut. */
export async function writeWithPauses(file: string, bytes: Buffer, cuts: number[], pauseMs: number) {
  const at = [...new Set(cuts)].filter((c) => c > 0 && c < bytes.length).sort((a, b) => a - b);
  const fd = openSync(file, 'w');
  try {
    let from = 0;
    for (const cut of [...at, bytes.length]) {
      writeSync(fd, bytes.subarray(from, cut));
      from = cut;
      if (cut < bytes.length) await new Promise((r) => setTimeout(r, pauseMs));
    }
  } finally {
    closeSync(fd);
  }
}
