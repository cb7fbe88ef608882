import { randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto';

// Password hashes: scrypt from node:crypto, stored self-describing as
//   scrypt$<N>$<r>$<p>$<salt base64>$<hash base64>
// so the cost can be raised later without invalidating stored hashes (verify reads the
// parameters from the hash; `needsRehash` tells login to upgrade an old one).

const N = 16_384; // 2^14: ~40 ms per hash here, 16 MiB of memory
const R = 8;
const P = 1;
const KEYLEN = 32;
const SALT_BYTES = 16;

/** The shortest password `fitsstore user` accepts. */
export const MIN_PASSWORD_LENGTH = 8;

function derive(password: string, salt: Buffer, keylen: number, o: ScryptOptions): Promise<Buffer> {
  return new Promise((resolve, reject) =>
    // maxmem must cover 128·N·r bytes; node's default (32 MiB) refuses N = 2^15 and above.
    scrypt(
      password.normalize('NFC'),
      salt,
      keylen,
      { ...o, maxmem: 256 * (o.N ?? N) * (o.r ?? R) + 1024 * 1024 },
      (e, key) => (e ? reject(e) : resolve(key)),
    ),
  );
}

export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(SALT_BYTES);
  const key = await derive(password, salt, KEYLEN, { N, r: R, p: P });
  return ['scrypt', N, R, P, salt.toString('base64'), key.toString('base64')].join('$');
}

interface Parsed {
  N: number;
  r: number;
  p: number;
  salt: Buffer;
  key: Buffer;
}

function parse(stored: string): Parsed | null {
  const parts = stored.split('$');
  if (parts.length !== 6 || parts[0] !== 'scrypt') return null;
  const [n, r, p] = parts.slice(1, 4).map(Number);
  // Bounds keep a corrupted or hostile row from asking for gigabytes of memory.
  if (!(n >= 1024 && n <= 1 << 20 && (n & (n - 1)) === 0 && r >= 1 && r <= 32 && p >= 1 && p <= 16))
    return null;
  return { N: n, r, p, salt: Buffer.from(parts[4], 'base64'), key: Buffer.from(parts[5], 'base64') };
}

// A hash of nothing anyone knows: verifying against it when the user does not exist costs the
// same time as a real check, so response timing does not tell which usernames exist.
let decoy: Promise<string> | undefined;

/** True when `password` matches the stored hash. A null/garbled hash never matches (but costs the same). */
export async function verifyPassword(password: string, stored: string | null | undefined): Promise<boolean> {
  const parsed = stored ? parse(stored) : null;
  if (!parsed) {
    decoy ??= hashPassword(randomBytes(16).toString('hex'));
    const d = parse(await decoy)!;
    await derive(password, d.salt, d.key.length, { N: d.N, r: d.r, p: d.p });
    return false;
  }
  const key = await derive(password, parsed.salt, parsed.key.length, {
    N: parsed.N,
    r: parsed.r,
    p: parsed.p,
  });
  return key.length === parsed.key.length && timingSafeEqual(key, parsed.key);
}

/** A stored hash made with weaker parameters than today's: login re-hashes it. */
export function needsRehash(stored: string): boolean {
  const p = parse(stored);
  return !p || p.N < N || p.r < R || p.key.length < KEYLEN;
}
