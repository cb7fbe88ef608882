import { createHash } from 'node:crypto';
import { existsSync, readdirSync } from 'node:fs';
import http from 'node:http';
import { Readable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Config } from '../../../src/config/schema.js';
import { buildServer } from '../../../src/server/app.js';
import { ingestLeftovers } from '../../../src/services/archive/ingestuploaded.js';
import { makeIngestHandler } from '../../../src/services/ingest/ingest.js';
import type { QueueRow } from '../../../src/queues/engine.js';
import { bzip2, sampleFits } from '../../../src/gemini/samples.js';
import { LocalStorage } from '../../../src/storage/local.js';
import type { Storage } from '../../../src/storage/types.js';
import { createTestDb, type TestDb } from '../../helpers/db.js';
import { paddedSample } from '../../helpers/fixtures.js';
import { fixedParams, quietLog, tempDir, testConfig } from '../../helpers/env.js';
import { cutOffPost, listen } from '../../helpers/server.js';
import { waitFor } from '../../helpers/wait.js';

const md5 = (b: Buffer) => createHash('md5').update(b).digest('hex');
const SECRET = 'f3c6986fddfe42a8ce117203924c6983';
const COOKIE = `gemini_fits_upload_auth=${SECRET}`;

/** A FITS file of about `bytes` bytes (a real primary header, then filler data), or its bzip2. */
function fits(serial: number, bytes = 0, bz2 = false): Buffer {
  const f = paddedSample({ date: '20200101', serial }, bytes);
  return bz2 ? bzip2(f) : f;
}

let t: TestDb;
let tmp: ReturnType<typeof tempDir>;
let config: Config;
let storage: LocalStorage;
let app: FastifyInstance;

function staged(): string[] {
  const root = config.paths.upload_staging;
  if (!existsSync(root)) return [];
  return readdirSync(root, { recursive: true }).map(String);
}

beforeAll(async () => {
  t = await createTestDb('upload');
  tmp = tempDir('upload');
  config = testConfig(tmp.dir, { role: 'archive', server: { upload_auth: SECRET } });
  storage = new LocalStorage(config.paths.storage_root);
  app = buildServer({ config, db: t.db, storage, log: quietLog });
  await app.ready();
});
afterAll(async () => {
  await app?.close();
  await t?.drop();
  tmp?.cleanup();
});
beforeEach(async () => {
  await t.db.query('TRUNCATE fileuploadlog, ingestqueue');
});

describe('POST /upload_file: who may upload', () => {
  it('refuses an upload without the cookie, or with a wrong one (403), and keeps nothing', async () => {
    const none = await app.inject({
      method: 'POST',
      url: '/upload_file/N20200101S0001.fits.bz2',
      payload: 'x',
    });
    expect(none.statusCode).toBe(403);
    const wrong = await app.inject({
      method: 'POST',
      url: '/upload_file/N20200101S0001.fits.bz2',
      payload: 'x',
      cookies: { gemini_fits_upload_auth: 'guess' },
    });
    expect(wrong.statusCode).toBe(403);
    expect(staged()).toEqual([]);
    expect((await t.db.query('SELECT * FROM fileuploadlog')).rowCount).toBe(0);
  });

  it('refuses everyone when no secret is configured, unless uploads are opened explicitly', async () => {
    for (const [server, status] of [
      [{ upload_auth: '' }, 403],
      [{ upload_auth: '', upload_open: true }, 200],
    ] as const) {
      const c = testConfig(tmp.dir, { server });
      const a = buildServer({ config: c, db: t.db, storage, log: quietLog });
      const r = await a.inject({
        method: 'POST',
        url: '/upload_file/open.fits',
        payload: fits(1),
        cookies: { gemini_fits_upload_auth: '' },
      });
      expect(r.statusCode).toBe(status);
      await a.close();
    }
  });
});

describe('POST /upload_file: names', () => {
  for (const bad of [
    '%2e%2e%2fetc%2fpasswd',
    '..%2F..%2Fx.fits',
    '.hidden.fits',
    'a%5Cb.fits',
    'x%00.fits',
    'sub//x.fits',
    'has%20space.fits',
    'previews/N20200101S0001.fits',
    'reduced_cals/N20200101S0002_bias.fits',
    'N20200101S0001.txt',
    'N20200101S0001.fits.gz',
    `${'N'.repeat(200)}.fits`,
  ]) {
    it(`rejects ${decodeURIComponent(bad).replace('\0', '\\0')} with 400`, async () => {
      const r = await app.inject({
        method: 'POST',
        url: `/upload_file/${bad}`,
        payload: 'x',
        headers: { cookie: COOKIE },
      });
      expect(r.statusCode).toBe(400);
      expect(staged()).toEqual([]);
    });
  }
});

describe('POST /upload_file: names over a real socket (no client-side URL normalisation)', () => {
  it('rejects ../ however it is spelled', async () => {
    const server = buildServer({ config, db: t.db, storage, log: quietLog });
    const url = new URL(await listen(server));
    for (const p of [
      '/upload_file/sub/../x.fits',
      '/upload_file/sub/%2e%2e/x.fits',
      '/upload_file/..%2f..%2fx.fits',
      '/upload_file/../x.fits',
    ]) {
      const status = await new Promise<number>((resolve, reject) => {
        const req = http.request({
          host: url.hostname,
          port: url.port,
          path: p,
          method: 'POST',
          headers: { cookie: COOKIE },
        });
        req.on('response', (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        });
        req.on('error', reject);
        req.end('x');
      });
      // 400 from the name check, or 404 when the router resolved it out of /upload_file/.
      expect([400, 404], p).toContain(status);
    }
    expect(staged()).toEqual([]);
    await server.close();
  });
});

describe('POST /upload_file: the transfer', () => {
  it('answers filename, path, size and md5 once the file is stored and queued for ingest', async () => {
    const body = fits(1, 300_000, true);
    const r = await app.inject({
      method: 'POST',
      url: '/upload_file/N20200101S0001.fits.bz2',
      payload: body,
      headers: { cookie: COOKIE, 'content-type': 'application/octet-stream' },
    });
    expect(r.statusCode).toBe(200);
    expect(r.headers['cache-control']).toBe('no-cache');
    expect(r.json()).toEqual([
      { filename: 'N20200101S0001.fits.bz2', path: '', size: body.length, md5: md5(body) },
    ]);
    // Already done when the answer came: no waiting.
    const log = (await t.db.query(`SELECT * FROM fileuploadlog WHERE filename = 'N20200101S0001.fits.bz2'`))
      .rows[0];
    expect(log).toMatchObject({ processed_cleanly: true, size: body.length, md5: md5(body) });
    expect(log.ut_transfer_complete).toBeInstanceOf(Date);
    const q = await t.db.query('SELECT id, filename, path FROM ingestqueue');
    expect(q.rows).toEqual([{ id: log.ingestqueue_id, filename: 'N20200101S0001.fits.bz2', path: '' }]);
    const st = await storage.stat('N20200101S0001.fits.bz2');
    expect(st?.size).toBe(body.length);
    expect(staged()).toEqual([]);
  });

  it('a complete, md5-checked upload is ingested at once, not deferred as still being written', async () => {
    await t.db.query('TRUNCATE file, diskfile, header, fulltextheader, previewqueue, calcachequeue CASCADE');
    const body = sampleFits({ serial: 7, date: '20200101' });
    const r = await app.inject({
      method: 'POST',
      url: '/upload_file/N20200101S0007.fits',
      payload: body,
      headers: { cookie: COOKIE, 'content-type': 'application/octet-stream' },
    });
    expect(r.statusCode).toBe(200);
    // Handed off to ingest before the answer.
    // The stored copy's mtime is this moment; ingest_defer_seconds would hold any other file 5 s.
    const row = (await t.db.query('SELECT * FROM ingestqueue')).rows[0] as QueueRow;
    expect(row).toMatchObject({ filename: 'N20200101S0007.fits', verified: true });
    const handler = makeIngestHandler({
      db: t.db,
      storage,
      config,
      log: quietLog,
      params: fixedParams({ ingest_defer_seconds: 5 }),
    });
    const ac = new AbortController();
    expect(await handler(row, { signal: ac.signal, log: quietLog })).toBeUndefined();
    const df = await t.db.query('SELECT filename FROM diskfile WHERE present');
    expect(df.rows).toEqual([{ filename: 'N20200101S0007.fits' }]);
    // The same file queued by anyone else (a cron re-add right after a rewrite) is still deferred.
    expect(
      await handler({ ...row, verified: false, force: true }, { signal: ac.signal, log: quietLog }),
    ).toMatchObject({ defer: expect.any(Number) });
  });

  it('takes any content type as the raw body (JSON included)', async () => {
    const body = fits(2);
    const r = await app.inject({
      method: 'POST',
      url: '/upload_file/N20200101S0002_bias.fits',
      payload: body,
      headers: { cookie: COOKIE, 'content-type': 'application/json' },
    });
    expect(r.json()).toEqual([
      { filename: 'N20200101S0002_bias.fits', path: '', size: body.length, md5: md5(body) },
    ]);
    expect((await storage.stat('N20200101S0002_bias.fits'))?.size).toBe(body.length);
  });

  it('streams a large body over real HTTP (chunked, no content length)', async () => {
    const server = buildServer({ config, db: t.db, storage, log: quietLog });
    const url = await listen(server);
    const data = fits(3, 24 * 1024 * 1024);
    const chunks = Array.from({ length: 25 }, (_, i) => data.subarray(i * 1048576, (i + 1) * 1048576));
    const res = await fetch(`${url}/upload_file/S20200101S0003.fits`, {
      method: 'POST',
      headers: { cookie: COOKIE },
      body: Readable.toWeb(Readable.from(chunks)) as ReadableStream,
      duplex: 'half',
    } as RequestInit);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual([
      { filename: 'S20200101S0003.fits', path: '', size: data.length, md5: md5(data) },
    ]);
    expect((await storage.stat('S20200101S0003.fits'))?.size).toBe(data.length);
    await server.close();
  });

  it('an upload cut off midway leaves nothing in staging, the store or the queue', async () => {
    const server = buildServer({ config, db: t.db, storage, log: quietLog });
    const url = await listen(server);
    await cutOffPost(
      `${url}/upload_file/N20200101S0004.fits.bz2`,
      fits(4, 50_000, true),
      1_000_000,
      COOKIE,
      async () =>
        (await t.db.query(`SELECT 1 FROM fileuploadlog WHERE filename = 'N20200101S0004.fits.bz2'`))
          .rowCount === 1,
    );
    const log = await waitFor(
      async () => {
        const r = await t.db.query(`SELECT * FROM fileuploadlog WHERE filename = 'N20200101S0004.fits.bz2'`);
        return r.rows[0]?.processed_cleanly === false ? r.rows[0] : null;
      },
      { what: 'the cut-off upload to be logged as not processed cleanly' },
    );
    expect(log.notes).toMatch(/not completed/);
    expect(log.md5).toBeNull();
    expect(staged()).toEqual([]);
    expect(await storage.stat('N20200101S0004.fits.bz2')).toBeNull();
    expect((await t.db.query('SELECT * FROM ingestqueue')).rowCount).toBe(0);
    await server.close();
  });
});

describe('POST /upload_file: when the store fails', () => {
  for (const [code, status] of [
    ['ENOSPC', 507],
    ['EIO', 503],
  ] as const) {
    it(`a store error (${code}) is ${status}, never 4xx, and nothing is kept or queued`, async () => {
      const broken: Storage = Object.assign(Object.create(storage), {
        write: async () => {
          throw Object.assign(new Error(`${code}: store failed`), { code });
        },
      });
      const a = buildServer({ config, db: t.db, storage: broken, log: quietLog });
      const r = await a.inject({
        method: 'POST',
        url: '/upload_file/N20200101S0005.fits.bz2',
        payload: fits(5, 10_000, true),
        headers: { cookie: COOKIE },
      });
      expect(r.statusCode).toBe(status);
      expect(r.body).not.toContain('store failed'); // the detail is logged, not told
      expect(staged()).toEqual([]);
      expect(await storage.stat('N20200101S0005.fits.bz2')).toBeNull();
      expect((await t.db.query('SELECT * FROM ingestqueue')).rowCount).toBe(0);
      await a.close();
    });
  }

  it('the catch-up (ingest-uploaded) stores and queues a complete upload left in staging', async () => {
    const body = fits(7, 1000, true);
    const r = await app.inject({
      method: 'POST',
      url: '/upload_file/N20200101S0007.fits.bz2',
      payload: body,
      headers: { cookie: COOKIE },
    });
    expect(r.statusCode).toBe(200);
    // As a kill -9 between staging and the store would leave it:
    const { mkdirSync, writeFileSync } = await import('node:fs');
    const id = (await t.db.query(`SELECT id FROM fileuploadlog ORDER BY id DESC LIMIT 1`)).rows[0].id + 1000;
    await t.db.query(
      `INSERT INTO fileuploadlog (id, filename, md5) VALUES ($1, 'N20200101S0008.fits.bz2', $2)`,
      [id, md5(body)],
    );
    mkdirSync(`${config.paths.upload_staging}/${id}`, { recursive: true });
    writeFileSync(`${config.paths.upload_staging}/${id}/N20200101S0008.fits.bz2`, body);
    const res = await ingestLeftovers({ config, db: t.db, storage, log: quietLog }, { minAgeSeconds: 0 });
    expect(res).toMatchObject({ queued: 1, failed: 0 });
    expect((await storage.stat('N20200101S0008.fits.bz2'))?.size).toBe(body.length);
    expect(staged()).toEqual([]);
  });

  it('two uploads of one name: the newer bytes end up in the store', async () => {
    const a = fits(6, 10);
    const b = fits(6, 20);
    const [ra, rb] = await Promise.all([
      app.inject({
        method: 'POST',
        url: '/upload_file/N20200101S0006.fits',
        payload: a,
        headers: { cookie: COOKIE },
      }),
      app.inject({
        method: 'POST',
        url: '/upload_file/N20200101S0006.fits',
        payload: b,
        headers: { cookie: COOKIE },
      }),
    ]);
    expect([ra.statusCode, rb.statusCode]).toEqual([200, 200]);
    await waitFor(
      async () => {
        const r = await t.db.query(
          `SELECT count(*) FILTER (WHERE processed_cleanly IS NOT NULL) AS n FROM fileuploadlog`,
        );
        return Number(r.rows[0].n) === 2;
      },
      { what: 'both hand-offs to finish' },
    );
    const last = await t.db.query(`SELECT md5 FROM fileuploadlog ORDER BY id DESC LIMIT 1`);
    const stored = await storage.read('N20200101S0006.fits');
    const chunks: Buffer[] = [];
    for await (const c of stored) chunks.push(c as Buffer);
    expect(md5(Buffer.concat(chunks))).toBe(last.rows[0].md5);
  });
});

describe('server basics', () => {
  it('GET /health answers with the database state', async () => {
    const r = await app.inject('/health');
    expect(r.statusCode).toBe(200);
    expect(r.json()).toMatchObject({ status: 'ok', database: 'ok', storage: 'local' });
  });
});
