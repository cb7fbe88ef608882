import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DecompressedCache } from '../../src/server/decompressedcache.js';
import { bzip2 } from '../../src/gemini/samples.js';
import { quietLog, tempDir } from '../helpers/env.js';

// The bounded cache of decompressed .bz2 copies behind /file/<name> downloads.

let tmp: ReturnType<typeof tempDir>;
beforeAll(() => {
  tmp = tempDir('dcache');
});
afterAll(() => tmp?.cleanup());

const content = (n: number, fill: number) => Buffer.alloc(n, fill);
function source(buf: Buffer) {
  let opened = 0;
  return {
    opened: () => opened,
    open: async () => {
      opened++;
      return Readable.from([bzip2(buf)]);
    },
  };
}

describe('decompressed copies', () => {
  it('decompresses once, then serves the same copy; a new version gets a new copy', async () => {
    const c = new DecompressedCache(path.join(tmp.dir, 'a'), 10_000_000, quietLog);
    const a = content(300_000, 1);
    const s = source(a);
    const [p1, p2] = await Promise.all([
      c.get('N1.fits.bz2', 'v1', a.length, s.open),
      c.get('N1.fits.bz2', 'v1', a.length, s.open),
    ]);
    expect(p1).toBe(p2);
    expect(readFileSync(p1!).equals(a)).toBe(true);
    expect(await c.get('N1.fits.bz2', 'v1', a.length, s.open)).toBe(p1);
    expect(s.opened()).toBe(1); // two at once and one later: decompressed once
    const b = content(300_000, 2);
    const p3 = await c.get('N1.fits.bz2', 'v2', b.length, source(b).open);
    expect(p3).not.toBe(p1);
    expect(readFileSync(p3!).equals(b)).toBe(true);
    expect(c.snapshot()).toMatchObject({ hits: 2, misses: 2 });
  });

  it('keeps within its budget by removing the least recently served copy first', async () => {
    const dir = path.join(tmp.dir, 'b');
    const c = new DecompressedCache(dir, 250_000, quietLog);
    const files = [1, 2, 3].map((i) => content(100_000, i));
    const p1 = await c.get('A.bz2', 'v', null, source(files[0]).open);
    const p2 = await c.get('B.bz2', 'v', null, source(files[1]).open);
    await c.get('A.bz2', 'v', null, source(files[0]).open); // A served again: B is now the oldest
    const p3 = await c.get('C.bz2', 'v', null, source(files[2]).open);
    expect(existsSync(p2!)).toBe(false);
    expect(existsSync(p1!)).toBe(true);
    expect(existsSync(p3!)).toBe(true);
    expect(c.snapshot()).toMatchObject({ evictions: 1, entries: 2, bytes: 200_000 });
    expect(readdirSync(dir).filter((f) => !f.startsWith('.'))).toHaveLength(2);
  });

  it('a file larger than the budget, or a budget of 0, is not cached', async () => {
    const big = content(50_000, 9);
    const small = new DecompressedCache(path.join(tmp.dir, 'c'), 10_000, quietLog);
    expect(await small.get('X.bz2', 'v', big.length, source(big).open)).toBeNull();
    expect(await small.get('X.bz2', 'v', null, source(big).open)).toBeNull(); // size learnt on the way
    const off = new DecompressedCache(path.join(tmp.dir, 'd'), 0, quietLog);
    expect(off.enabled).toBe(false);
    expect(await off.get('X.bz2', 'v', 10, source(big).open)).toBeNull();
  });
});
