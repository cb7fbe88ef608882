import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalStorage } from '../../src/storage/local.js';
import { S3Storage } from '../../src/storage/s3.js';
import type { Storage } from '../../src/storage/types.js';
import { startS3, type TestS3 } from '../helpers/s3.js';

// One contract, two stores: whatever ingest, export and the server rely on must hold for the
// local dataflow disk and for an S3 bucket alike.

const md5 = (b: Buffer) => createHash('md5').update(b).digest('hex');

async function collect(s: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of s) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

/** A stream that delivers some bytes, then fails: a connection cut off mid-transfer. */
function brokenStream(bytes: Buffer): Readable {
  let sent = false;
  return new Readable({
    read() {
      if (!sent) {
        sent = true;
        this.push(bytes);
      } else {
        this.destroy(new Error('connection reset by peer'));
      }
    },
  });
}

/** The keys list() gives; listKeys() (no metadata) must give the very same. */
async function keys(store: Storage, prefix?: string, shallow?: boolean): Promise<string[]> {
  const out: string[] = [];
  for await (const f of store.list(prefix, { shallow })) out.push(f.key);
  const bare: string[] = [];
  for await (const k of store.listKeys(prefix, { shallow })) bare.push(k);
  expect(bare.sort()).toEqual([...out].sort());
  return out.sort();
}

function contract(name: string, make: () => Storage, opts: { md5InStat: boolean; partSize: number }) {
  describe(`${name}: the storage contract`, () => {
    let store: Storage;
    beforeAll(() => {
      store = make();
    });

    it('stores a stream and gives back the same bytes, size and md5', async () => {
      const data = randomBytes(70_000);
      const w = await store.write('N20200101S0001.fits', Readable.from([data]));
      expect(w).toEqual({ size: data.length, md5: md5(data) });
      const st = await store.stat('N20200101S0001.fits');
      expect(st?.size).toBe(data.length);
      expect(st?.lastmod).toBeInstanceOf(Date);
      if (opts.md5InStat) expect(st?.md5).toBe(md5(data));
      expect(md5(await collect(await store.read('N20200101S0001.fits')))).toBe(md5(data));
    });

    it('reads a byte range, inclusive at both ends', async () => {
      const data = Buffer.from('0123456789abcdef');
      await store.write('range.fits', Readable.from([data]));
      expect((await collect(await store.read('range.fits', { start: 3, end: 7 }))).toString()).toBe('34567');
    });

    it('reports a missing key as null from stat and ENOENT from read', async () => {
      expect(await store.stat('nope.fits')).toBeNull();
      await expect(store.read('nope.fits')).rejects.toMatchObject({ code: 'ENOENT' });
    });

    it('lists keys under a prefix, recursively or shallow', async () => {
      const one = Buffer.from('x');
      await store.write('listing/a.fits', Readable.from([one]));
      await store.write('listing/sub/b.fits', Readable.from([one]));
      await store.write('listing/sub/deeper/c.fits', Readable.from([one]));
      expect(await keys(store, 'listing')).toEqual([
        'listing/a.fits',
        'listing/sub/b.fits',
        'listing/sub/deeper/c.fits',
      ]);
      expect(await keys(store, 'listing', true)).toEqual(['listing/a.fits']);
      expect(await keys(store, 'listing/sub/')).toEqual(['listing/sub/b.fits', 'listing/sub/deeper/c.fits']);
      expect(await keys(store, 'no-such-dir')).toEqual([]);
    });

    it('refuses an md5 mismatch and stores nothing, leaving an older version as it was', async () => {
      const old = Buffer.from('old version');
      await store.write('mismatch.fits', Readable.from([old]));
      const data = randomBytes(1000);
      await expect(
        store.write('mismatch.fits', Readable.from([data]), { expectMd5: '0'.repeat(32) }),
      ).rejects.toThrow(/md5 mismatch/);
      expect((await collect(await store.read('mismatch.fits'))).toString()).toBe('old version');
      await expect(
        store.write('fresh.fits', Readable.from([data]), { expectMd5: 'f'.repeat(32) }),
      ).rejects.toThrow(/md5 mismatch/);
      expect(await store.stat('fresh.fits')).toBeNull();
      const ok = await store.write('fresh.fits', Readable.from([data]), { expectMd5: md5(data) });
      expect(ok.md5).toBe(md5(data));
    });

    it('stores nothing when the input breaks off midway', async () => {
      await expect(store.write('cut.fits', brokenStream(randomBytes(5000)))).rejects.toThrow(/reset/);
      expect(await store.stat('cut.fits')).toBeNull();
    });

    it('handles objects larger than one part (multipart), md5 included', async () => {
      const data = randomBytes(opts.partSize * 2 + 12345);
      // Many small chunks, as a network stream delivers them.
      const chunks = Array.from({ length: Math.ceil(data.length / 65536) }, (_, i) =>
        data.subarray(i * 65536, (i + 1) * 65536),
      );
      const w = await store.write('big/N20200101S0002.fits', Readable.from(chunks));
      expect(w.md5).toBe(md5(data));
      const st = await store.stat('big/N20200101S0002.fits');
      expect(st?.size).toBe(data.length);
      if (opts.md5InStat) expect(st?.md5).toBe(md5(data));
      expect(md5(await collect(await store.read('big/N20200101S0002.fits')))).toBe(md5(data));
      // The same with a wrong expected md5: never completed, never visible.
      await expect(
        store.write('big/wrong.fits', Readable.from(chunks), { expectMd5: '1'.repeat(32) }),
      ).rejects.toThrow(/md5 mismatch/);
      expect(await store.stat('big/wrong.fits')).toBeNull();
      // Known md5 up front: stored with it.
      await store.write('big/known.fits', Readable.from(chunks), { expectMd5: md5(data) });
      if (opts.md5InStat) expect((await store.stat('big/known.fits'))?.md5).toBe(md5(data));
    });

    it('deletes, and deleting a missing key is fine', async () => {
      await store.write('gone.fits', Readable.from([Buffer.from('x')]));
      await store.delete('gone.fits');
      expect(await store.stat('gone.fits')).toBeNull();
      await store.delete('gone.fits');
    });

    it('refuses keys that climb out of the store', async () => {
      await expect(store.stat('../etc/passwd')).rejects.toThrow(/escapes/);
    });
  });
}

const PART = 5 * 1024 * 1024;
let s3: TestS3;
let localRoot: string;

beforeAll(async () => {
  s3 = await startS3();
  localRoot = await mkdtemp(path.join(os.tmpdir(), 'fitsstore-local-'));
});
afterAll(async () => {
  await s3?.stop();
  await rm(localRoot, { recursive: true, force: true });
});

contract('S3Storage on s3rver', () => new S3Storage(s3.config, { partSize: PART, queueSize: 2 }), {
  md5InStat: true,
  partSize: PART,
});
contract('LocalStorage', () => new LocalStorage(localRoot), { md5InStat: false, partSize: PART });

describe('S3Storage specifics', () => {
  it('keeps the md5 in object metadata and has no local path', async () => {
    const store = new S3Storage(s3.config);
    const data = Buffer.from('SIMPLE');
    await store.write('meta.fits', Readable.from([data]));
    const { HeadObjectCommand } = await import('@aws-sdk/client-s3');
    const head = await store.client.send(
      new HeadObjectCommand({ Bucket: s3.config.bucket, Key: 'meta.fits' }),
    );
    expect(head.Metadata?.md5).toBe(md5(data));
    expect(store.localPath()).toBeNull();
  });

  it('places keys under the configured prefix', async () => {
    const store = new S3Storage({ ...s3.config, prefix: 'dataflow/' });
    await store.write('x/y.fits', Readable.from([Buffer.from('y')]));
    const plain = new S3Storage(s3.config);
    expect(await plain.stat('dataflow/x/y.fits')).toMatchObject({
      key: 'dataflow/x/y.fits',
      size: 1,
      md5: md5(Buffer.from('y')),
    });
    expect(await keys(store, 'x')).toEqual(['x/y.fits']);
  });

  it('leaves no temporary files behind on local disk after failures', async () => {
    const entries = await readdir(localRoot);
    expect(entries.filter((e) => e.includes('.tmp-'))).toEqual([]);
  });
});
