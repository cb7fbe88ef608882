import { createHash, randomBytes } from 'node:crypto';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { describe, expect, it } from 'vitest';
import { threadHashingStream } from '../../src/storage/hashthread.js';

const md5 = (b: Buffer) => createHash('md5').update(b).digest('hex');

function chunks(data: Buffer, size: number): Buffer[] {
  const out: Buffer[] = [];
  for (let i = 0; i < data.length; i += size) out.push(data.subarray(i, i + size));
  return out;
}

/** Passes everything on and collects it, so the test sees what went downstream. */
function collector(into: Buffer[], delayMs = 0) {
  return new Writable({
    highWaterMark: 1 << 16,
    write(chunk: Buffer, _e, cb) {
      into.push(Buffer.from(chunk));
      if (delayMs) setTimeout(cb, delayMs);
      else cb();
    },
  });
}

describe('threadHashingStream', () => {
  it('gives the md5 and size of the bytes, and passes them on unchanged', async () => {
    // Chunks that are views into one larger buffer: only each view's bytes may be hashed.
    const data = randomBytes(3_000_001);
    const h = threadHashingStream();
    const got: Buffer[] = [];
    await pipeline(Readable.from(chunks(data, 65_537)), h, collector(got));
    expect(await h.result()).toEqual({ md5: md5(data), size: data.length });
    expect(Buffer.concat(got).equals(data)).toBe(true);
  });

  it('keeps concurrent streams apart', async () => {
    const datas = [randomBytes(1_000_000), randomBytes(10), Buffer.alloc(0), randomBytes(5_000_000)];
    const results = await Promise.all(
      datas.map(async (d) => {
        const h = threadHashingStream();
        await pipeline(Readable.from(d.length ? chunks(d, 100_000) : []), h, collector([]));
        return h.result();
      }),
    );
    expect(results.map((r) => r.md5)).toEqual(datas.map(md5));
    expect(results.map((r) => r.size)).toEqual(datas.map((d) => d.length));
  });

  it('hashes a stream many times the in-flight limit (waits for the thread, then goes on)', async () => {
    // 64 MB through a fast consumer: the stream must pause for acks and resume, never stall.
    const chunk = randomBytes(1 << 20);
    let produced = 0;
    const src = new Readable({
      read() {
        if (produced >= 64) return this.push(null);
        produced++;
        this.push(chunk);
      },
    });
    const h = threadHashingStream();
    const whole = createHash('md5');
    for (let i = 0; i < 64; i++) whole.update(chunk);
    await pipeline(src, h, collector([]));
    expect(await h.result()).toEqual({ md5: whole.digest('hex'), size: 64 << 20 });
  });

  it('rejects its result when the stream is destroyed midway', async () => {
    const h = threadHashingStream();
    const streamError = new Promise((res) => h.on('error', res));
    h.write(randomBytes(1000));
    h.destroy(new Error('source failed'));
    await expect(h.result()).rejects.toThrow('source failed');
    expect(((await streamError) as Error).message).toBe('source failed');
    // The thread still serves the next stream.
    const next = threadHashingStream();
    await pipeline(Readable.from([Buffer.from('abc')]), next, collector([]));
    expect((await next.result()).md5).toBe(md5(Buffer.from('abc')));
  });
});
