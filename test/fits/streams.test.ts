import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { FitsReadError, readFitsFile } from '../../src/fits/reader.js';
import { type Bzip2Tool, findOnPath } from '../../src/fits/bzip2.js';
import { openFitsStream } from '../../src/fits/streams.js';
import { buildFits, imageHdu } from '../../src/fits/write.js';
import { bzip2, tempDir, writeTemp } from './helpers.js';

const dir = tempDir();

// A file big enough to span several bzip2 blocks of the -1 size and many stream chunks.
function sample(): Buffer {
  const pixels = new Int32Array(300 * 400).map((_, i) => (i * 2654435761) % 100000);
  return buildFits([
    imageHdu(null, { primary: true, cards: [['OBJECT', 'streams']] }),
    imageHdu(pixels, { shape: [300, 400], cards: [['EXTNAME', 'SCI']] }),
  ]);
}
const fits = sample();

async function readAll(path: string, tool?: Bzip2Tool): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const chunk of openFitsStream(path, { bzip2: tool })) parts.push(chunk as Buffer);
  return Buffer.concat(parts);
}

// 'auto' and the npm codec run everywhere; each binary wherever it is installed (CI installs both,
// bzip2.test.ts covers a machine with neither).
const tools: Bzip2Tool[] = ['auto', 'js', ...(['bzip2', 'lbzip2'] as const).filter((t) => findOnPath(t))];

describe('opening compressed files by name', () => {
  it('reads .fits as it is and .gz through gunzip', async () => {
    const plain = writeTemp(dir, 'a.fits', fits);
    const gz = writeTemp(dir, 'a.fits.gz', gzipSync(fits));
    expect((await readAll(plain)).equals(fits)).toBe(true);
    expect((await readAll(gz)).equals(fits)).toBe(true);
    const { hdus, problems, totalBytes } = await readFitsFile(gz);
    expect(problems).toEqual([]);
    expect(totalBytes).toBe(fits.length);
    expect(hdus[1].header.get('EXTNAME')).toBe('SCI');
  });

  it.each(tools)('reads .bz2 with %s, multi-stream files whole', async (tool) => {
    const single = writeTemp(dir, `s-${tool}.fits.bz2`, bzip2(fits));
    // pbzip2/lbzip2 write several concatenated bzip2 streams; so does cat of two halves.
    const half = 20000;
    const multi = writeTemp(
      dir,
      `m-${tool}.fits.bz2`,
      Buffer.concat([bzip2(fits.subarray(0, half)), bzip2(fits.subarray(half))]),
    );
    expect((await readAll(single, tool)).equals(fits)).toBe(true);
    expect((await readAll(multi, tool)).equals(fits)).toBe(true);
    const { hdus, problems } = await readFitsFile(multi, { bzip2: tool });
    expect(problems).toEqual([]);
    expect(hdus.map((h) => h.dataSize)).toEqual([0, 480000]);
  });

  it.each(tools)('a corrupt .bz2 fails with an error naming the file (%s)', async (tool) => {
    const good = bzip2(fits);
    const bad = Buffer.from(good);
    for (let i = 200; i < 400; i++) bad[i] ^= 0x5a;
    const path = writeTemp(dir, `bad-${tool}.fits.bz2`, bad);
    await expect(readAll(path, tool)).rejects.toThrow(path);
    // Truncated: the decompressor must not pass for a short, clean end.
    const cut = writeTemp(dir, `cut-${tool}.fits.bz2`, good.subarray(0, good.length >> 1));
    const err = await readFitsFile(cut, { bzip2: tool }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(FitsReadError);
    expect((err as Error).message).toContain(cut);
  });

  it('a corrupt .gz and a missing file fail with errors naming the file', async () => {
    const gz = gzipSync(fits);
    const path = writeTemp(dir, 'bad.fits.gz', gz.subarray(0, gz.length - 100));
    await expect(readAll(path)).rejects.toThrow(path);
    const missing = join(dir, 'missing.fits');
    await expect(readAll(missing)).rejects.toThrow(missing);
    await expect(readAll(missing + '.bz2')).rejects.toThrow(missing);
  });

  it('a header-only read of a big .bz2 stops the decompressor early', async () => {
    const big = Buffer.concat([fits, fits, fits, fits]);
    const path = join(dir, 'big.fits.bz2');
    writeFileSync(path, bzip2(big));
    const stream = openFitsStream(path);
    for await (const chunk of stream) {
      expect((chunk as Buffer).length).toBeGreaterThan(0);
      break; // destroys the stream and kills the child
    }
    expect(stream.destroyed).toBe(true);
  });
});
