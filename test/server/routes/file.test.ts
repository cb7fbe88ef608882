import { createHash } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decompressBuffer } from '../../../src/fits/bzip2.js';
import { parseRange } from '../../../src/server/routes/file.js';
import { buildServer } from '../../../src/server/app.js';
import type { IngestDeps } from '../../../src/services/ingest/ingest.js';
import { sampleName } from '../../../src/gemini/samples.js';
import { LocalStorage } from '../../../src/storage/local.js';
import { createTestDb, type TestDb } from '../../helpers/db.js';
import { FUTURE, fixedParams, quietLog, tempDir, testClock, testConfig, TODAY } from '../../helpers/env.js';
import { ingestSample } from '../../helpers/fixtures.js';
import { listen } from '../../helpers/server.js';

const md5 = (b: Buffer) => createHash('md5').update(b).digest('hex');
const bunzip2 = (b: Buffer) => decompressBuffer(b);

let t: TestDb;
let tmp: ReturnType<typeof tempDir>;
let deps: IngestDeps;
let app: FastifyInstance;
let plain: { name: string; raw: Buffer; bytes: Buffer };
let packed: { name: string; raw: Buffer; bytes: Buffer };

beforeAll(async () => {
  t = await createTestDb('file');
  tmp = tempDir('file');
  const config = testConfig(tmp.dir, { role: 'archive', server: { magic_download_cookie: 'good_to_go' } });
  const storage = new LocalStorage(config.paths.storage_root);
  deps = { db: t.db, storage, config, log: quietLog, params: fixedParams({ ingest_defer_seconds: 0 }) };
  app = buildServer({ config, db: t.db, storage, log: quietLog }, { now: testClock });
  plain = await ingestSample(deps, { date: '20210101', serial: 1, size: 200 });
  packed = await ingestSample(deps, { date: '20210101', serial: 2, size: 200, bz2: true });
  await ingestSample(deps, { date: '20210101', serial: 3, release: FUTURE });
});
afterAll(async () => {
  await app?.close();
  await t?.drop();
  tmp?.cleanup();
});

describe('GET /file/<name>', () => {
  it('streams a plain file as stored, with its length', async () => {
    const r = await app.inject(`/file/${plain.name}`);
    expect(r.statusCode).toBe(200);
    expect(r.headers['content-length']).toBe(String(plain.raw.length));
    expect(r.headers['content-type']).toBe('application/fits');
    expect(r.headers['cache-control']).toBe('no-cache');
    expect(md5(r.rawPayload)).toBe(md5(plain.raw));
  });

  it('compresses a plain file on the fly when asked for .bz2', async () => {
    const r = await app.inject(`/file/${plain.name}.bz2`);
    expect(r.statusCode).toBe(200);
    expect(r.headers['content-type']).toBe('application/x-bzip2');
    expect(md5(await bunzip2(r.rawPayload))).toBe(md5(plain.raw));
  });

  it('decompresses a stored .bz2 on the fly when asked for the plain name', async () => {
    expect(packed.name.endsWith('.bz2')).toBe(true);
    const r = await app.inject(`/file/${packed.name.slice(0, -4)}`);
    expect(r.statusCode).toBe(200);
    expect(r.headers['content-length']).toBe(String(packed.raw.length));
    expect(md5(r.rawPayload)).toBe(md5(packed.raw));
    const asIs = await app.inject(`/file/${packed.name}`);
    expect(md5(asIs.rawPayload)).toBe(md5(packed.bytes));
  });

  it('serves a stored .bz2 asked plain from one decompressed copy; the .bz2 name gets the stored bytes', async () => {
    const before = app.decompressedCache.snapshot();
    for (let i = 0; i < 3; i++) {
      const r = await app.inject(`/file/${packed.name.replace(/\.bz2$/, '')}`);
      expect(r.statusCode).toBe(200);
      expect(r.headers['content-length']).toBe(String(packed.raw.length));
      expect(md5(r.rawPayload)).toBe(md5(packed.raw));
    }
    const after = app.decompressedCache.snapshot();
    expect(after.misses - before.misses).toBeLessThanOrEqual(1);
    expect(after.hits - before.hits).toBeGreaterThanOrEqual(2);
    const stored = await app.inject(`/file/${packed.name}`);
    expect(md5(stored.rawPayload)).toBe(md5(packed.bytes));
    expect(app.decompressedCache.snapshot().hits).toBe(after.hits); // no copy involved
    const part = await app.inject({
      url: `/file/${packed.name.replace(/\.bz2$/, '')}`,
      headers: { range: 'bytes=100-2979' },
    });
    expect(part.statusCode).toBe(206);
    expect(part.rawPayload.equals(packed.raw.subarray(100, 2980))).toBe(true);
  });

  it('serves byte ranges of plain delivery, from a plain or a .bz2 file', async () => {
    const r = await app.inject({ url: `/file/${plain.name}`, headers: { range: 'bytes=2880-2999' } });
    expect(r.statusCode).toBe(206);
    expect(r.headers['content-range']).toBe(`bytes 2880-2999/${plain.raw.length}`);
    expect(r.rawPayload.equals(plain.raw.subarray(2880, 3000))).toBe(true);
    const d = await app.inject({
      url: `/file/${packed.name.slice(0, -4)}`,
      headers: { range: 'bytes=100-5859' },
    });
    expect(d.statusCode).toBe(206);
    expect(d.rawPayload.equals(packed.raw.subarray(100, 5860))).toBe(true);
    const tail = await app.inject({ url: `/file/${plain.name}`, headers: { range: 'bytes=-80' } });
    expect(tail.rawPayload.equals(plain.raw.subarray(plain.raw.length - 80))).toBe(true);
    const beyond = await app.inject({
      url: `/file/${plain.name}`,
      headers: { range: `bytes=${plain.raw.length}-` },
    });
    expect(beyond.statusCode).toBe(416);
    expect(beyond.headers['content-range']).toBe(`bytes */${plain.raw.length}`);
  });

  it('works over a real socket too (HEAD included)', async () => {
    const server = buildServer({ config: deps.config, db: t.db, storage: deps.storage, log: quietLog });
    const url = await listen(server);
    const r = await fetch(`${url}/file/${packed.name.slice(0, -4)}`);
    expect(md5(Buffer.from(await r.arrayBuffer()))).toBe(md5(packed.raw));
    const h = await fetch(`${url}/file/${plain.name}`, { method: 'HEAD' });
    expect(h.status).toBe(200);
    expect(h.headers.get('content-length')).toBe(String(plain.raw.length));
    const hz = await fetch(`${url}/file/${packed.name.slice(0, -4)}`, { method: 'HEAD' });
    expect(hz.headers.get('content-length')).toBe(String(packed.raw.length));
    expect((await fetch(`${url}/file/N19990101S0001.fits`, { method: 'HEAD' })).status).toBe(404);
    await server.close();
  });

  it('404 for an unknown file, 400 for a bad name', async () => {
    expect((await app.inject('/file/N19990101S0001.fits')).statusCode).toBe(404);
    expect((await app.inject('/file/.hidden')).statusCode).toBe(400);
  });

  it('refuses proprietary data (403) unless the magic download cookie is there', async () => {
    const name = sampleName({ date: '20210101', serial: 3 });
    expect((await app.inject(`/file/${name}`)).statusCode).toBe(403);
    const wrong = await app.inject({ url: `/file/${name}`, cookies: { gemini_fits_authorization: 'nope' } });
    expect(wrong.statusCode).toBe(403);
    const magic = await app.inject({
      url: `/file/${name}`,
      cookies: { gemini_fits_authorization: 'good_to_go' },
    });
    expect(magic.statusCode).toBe(200);
  });

  it('a staff session (the user system hook) may download proprietary data', async () => {
    const a = buildServer(
      { config: deps.config, db: t.db, storage: deps.storage, log: quietLog },
      { now: testClock },
    );
    a.access.setSessionResolver(async (req) => (req.headers['x-test-staff'] ? { id: 1, staff: true } : null));
    const name = sampleName({ date: '20210101', serial: 3 });
    expect((await a.inject({ url: `/file/${name}`, headers: { 'x-test-staff': '1' } })).statusCode).toBe(200);
    expect((await a.inject(`/file/${name}`)).statusCode).toBe(403);
    await a.close();
  });

  it('releases data on its release day (UTC), not a moment before, across the year boundary', async () => {
    await ingestSample(deps, { date: '20210101', serial: 4, release: TODAY });
    await ingestSample(deps, { date: '20210101', serial: 5, release: '2027-01-01' });
    expect((await app.inject(`/file/${sampleName({ date: '20210101', serial: 4 })}`)).statusCode).toBe(200);
    const newYear = sampleName({ date: '20210101', serial: 5 });
    const at = async (now: string) => {
      const a = buildServer(
        { config: deps.config, db: t.db, storage: deps.storage, log: quietLog },
        { now: () => new Date(now) },
      );
      try {
        return (await a.inject(`/file/${newYear}`)).statusCode;
      } finally {
        await a.close();
      }
    };
    expect(await at('2026-12-31T23:59:59.999Z')).toBe(403);
    expect(await at('2027-01-01T00:00:00.000Z')).toBe(200);
  });
});

describe('parseRange', () => {
  it.each([
    ['bytes=0-9', 100, { start: 0, end: 9 }],
    ['bytes=90-', 100, { start: 90, end: 99 }],
    ['bytes=-10', 100, { start: 90, end: 99 }],
    ['bytes=50-500', 100, { start: 50, end: 99 }],
    ['bytes=100-', 100, 'unsatisfiable'],
    ['bytes=9-3', 100, 'unsatisfiable'],
    ['bytes=0-1,5-6', 100, null],
    ['items=0-1', 100, null],
    [undefined, 100, null],
  ] as const)('%s of %d → %j', (h, size, want) => {
    expect(parseRange(h, size)).toEqual(want);
  });
});
