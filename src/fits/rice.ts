// Rice decompression as fpack/cfitsio write it (FITS 4.0 §10.4.1; White & Greenfield 1999).
// Each block of `blocksize` pixels starts with a split-position code `fs` (fsbits wide):
// 0 = all differences zero, fsmax = raw bbits-bit differences, else Rice codes with fs low bits.
// Differences are zig-zag mapped; pixel values wrap at the pixel width (bytepix bytes).

const PARAMS: Record<number, { fsbits: number; fsmax: number; bbits: number }> = {
  1: { fsbits: 3, fsmax: 6, bbits: 8 },
  2: { fsbits: 4, fsmax: 14, bbits: 16 },
  4: { fsbits: 5, fsmax: 25, bbits: 32 },
};

// Number of significant bits of each byte value (position of the highest set bit + 1).
const NONZERO_COUNT = new Uint8Array(256);
for (let i = 1; i < 256; i++) NONZERO_COUNT[i] = 32 - Math.clz32(i);

/**
 * Decodes `count` pixels. Returns an Int32Array of the values wrapped as cfitsio does: unsigned
 * for bytepix 1, signed 16-bit for 2, signed 32-bit for 4.
 */
export function riceDecode(input: Uint8Array, count: number, blocksize = 32, bytepix = 4): Int32Array {
  const p = PARAMS[bytepix];
  if (!p) throw new Error(`RICE_1: unsupported BYTEPIX ${bytepix}`);
  const { fsbits, fsmax, bbits } = p;
  const wrap =
    bytepix === 1
      ? (v: number) => v & 0xff
      : bytepix === 2
        ? (v: number) => (v << 16) >> 16
        : (v: number) => v | 0;
  const out = new Int32Array(count);
  if (count === 0) return out;
  const end = input.length;
  let c = 0;
  const next = (): number => {
    if (c >= end) throw new Error('RICE_1: compressed tile ends early');
    return input[c++];
  };

  // The first pixel value is stored raw, big-endian, in bytepix bytes.
  let lastpix = 0;
  for (let k = 0; k < bytepix; k++) lastpix = lastpix * 256 + next();
  lastpix = wrap(lastpix);

  let b = next(); // bit buffer; its low `nbits` bits are unread
  let nbits = 8;
  for (let i = 0; i < count;) {
    nbits -= fsbits;
    while (nbits < 0) {
      b = (b << 8) | next();
      nbits += 8;
    }
    const fs = (b >>> nbits) - 1;
    b &= (1 << nbits) - 1;
    const imax = Math.min(i + blocksize, count);
    if (fs < 0) {
      // Low-entropy block: every difference is zero.
      for (; i < imax; i++) out[i] = lastpix;
    } else if (fs === fsmax) {
      // High-entropy block: differences stored as raw bbits-bit values.
      for (; i < imax; i++) {
        let k = bbits - nbits;
        let diff = k >= 32 ? 0 : b << k;
        for (k -= 8; k >= 0; k -= 8) {
          b = next();
          diff |= b << k;
        }
        if (nbits > 0) {
          b = next();
          diff |= b >>> -k;
          b &= (1 << nbits) - 1;
        } else {
          b = 0;
        }
        diff >>>= 0;
        const d = (diff & 1) === 0 ? diff >>> 1 : ~(diff >>> 1);
        lastpix = wrap(d + lastpix);
        out[i] = lastpix;
      }
    } else {
      for (; i < imax; i++) {
        // Unary part: count the zero bits before the next one bit.
        while (b === 0) {
          nbits += 8;
          b = next();
        }
        const nzero = nbits - NONZERO_COUNT[b];
        nbits -= nzero + 1;
        b ^= 1 << nbits;
        // Binary part: fs low bits.
        nbits -= fs;
        while (nbits < 0) {
          b = (b << 8) | next();
          nbits += 8;
        }
        const diff = ((nzero << fs) | (b >>> nbits)) >>> 0;
        b &= (1 << nbits) - 1;
        const d = (diff & 1) === 0 ? diff >>> 1 : ~(diff >>> 1);
        lastpix = wrap(d + lastpix);
        out[i] = lastpix;
      }
    }
  }
  return out;
}
