import { spawnSync } from 'node:child_process';
import { mkdirSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import {
  bzip2Binary,
  compressStream,
  compressSync,
  decompressBuffer,
  decompressStream,
  JS_FALLBACK_NOTICE,
} from '../../src/fits/bzip2.js';
import { tempDir } from './helpers.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const dir = tempDir();
/** A PATH with node on it and nothing else: no lbzip2, no bzip2. */
const barePath = join(dir, 'bin');
mkdirSync(barePath);
symlinkSync(process.execPath, join(barePath, 'node'));

const data = Buffer.from(
  Array.from({ length: 400_000 }, (_, i) => `${i % 977} ${(i * 7919) % 31}\n`)
    .join('')
    .slice(0, 2_123_457),
);

async function collect(s: Readable): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const c of s) parts.push(c as Buffer);
  return Buffer.concat(parts);
}

describe('bzip2 without the lbzip2/bzip2 binaries', () => {
  it('a process whose PATH has no bzip2 binary says so once and still roundtrips single- and multi-stream data', () => {
    const r = spawnSync(process.execPath, ['--import', 'tsx', join(ROOT, 'test/fits/bzip2-bare.ts')], {
      cwd: ROOT,
      env: { PATH: barePath, HOME: dir },
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect(r.stderr.split(JS_FALLBACK_NOTICE).length - 1).toBe(1);
    expect(r.status).toBe(0);
    const out = JSON.parse(r.stdout.trim().split('\n').pop()!);
    expect(out.binary).toBeNull();
    expect(out.streamed).toBe(out.input);
    expect(out.whole).toBe(out.input);
    expect(out.multi).toBe(out.input);
    // 2.5 MB in 900 kB blocks, each its own stream, as pbzip2 writes.
    expect(out.streams).toBe(3);
  });

  it('the npm codec compresses and decompresses streams, in blocks and multi-stream, and an empty input', async () => {
    const packed = await collect(compressStream(Readable.from([data]), { tool: 'js', level: 1 }));
    expect(packed.subarray(0, 4).toString()).toBe('BZh1');
    const twice = Buffer.concat([packed, compressSync(data.subarray(0, 5000), { tool: 'js' })]);
    const back = await collect(decompressStream(Readable.from([twice]), { tool: 'js' }));
    expect(back.equals(Buffer.concat([data, data.subarray(0, 5000)]))).toBe(true);
    const empty = await collect(compressStream(Readable.from([]), { tool: 'js' }));
    expect((await decompressBuffer(empty, { tool: 'js' })).length).toBe(0);
  });

  it('auto picks the npm codec when PATH holds no binary', () => {
    expect(bzip2Binary({ path: barePath })).toBeNull();
  });

  it('a binary asked for by name that is missing is one clear error naming it', () => {
    expect(() => bzip2Binary({ tool: 'lbzip2', path: barePath })).toThrow(
      'lbzip2 is not installed (not found on PATH)',
    );
  });

  it('a corrupt stream fails under the npm codec, never a short clean end', async () => {
    const good = compressSync(data, { tool: 'js' });
    await expect(decompressBuffer(good.subarray(0, good.length >> 1), { tool: 'js' })).rejects.toThrow();
    const bad = Buffer.from(good);
    for (let i = 100; i < 300; i++) bad[i] ^= 0x5a;
    await expect(decompressBuffer(bad, { tool: 'js' })).rejects.toThrow();
  });
});
