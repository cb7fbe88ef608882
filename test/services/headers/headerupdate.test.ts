import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync, unlinkSync } from 'node:fs';
import path from 'node:path';
import cookie from '@fastify/cookie';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { readFitsFile } from '../../../src/fits/reader.js';
import { applyHeaderUpdate } from '../../../src/services/headers/headerupdate.js';
import {
  claimRequest,
  processRequest,
  recordRequests,
  serviceHeaderUpdates,
} from '../../../src/services/headers/headerupdatequeue.js';
import { ingestFile, type IngestDeps } from '../../../src/services/ingest/ingest.js';
import { bzip2, sampleFits } from '../../../src/gemini/samples.js';
import { updateHeadersRoutes } from '../../../src/server/routes/updateheaders.js';
import { LocalStorage } from '../../../src/storage/local.js';
import { createTestDb, type TestDb } from '../../helpers/db.js';
import { putFile } from '../../helpers/fixtures.js';
import { fixedParams, quietLog, tempDir, testConfig } from '../../helpers/env.js';

// Header updates as the ODB sends them: POST /update_headers → header_update → the worker rewrites
// the file (temp, verify, rename) → ingest finds a new version with the new values.

let t: TestDb;
let tmp: ReturnType<typeof tempDir>;
let root: string;
let deps: IngestDeps;
let app: FastifyInstance;
let worker: { stop(): Promise<void> } | undefined;
const SECRET = 'api-secret';
const old = new Date(Date.now() - 3600_000);

/** md5 of every data unit's bytes (all HDUs), read back through the FITS reader. */
async function pixelMd5(file: string): Promise<string> {
  const h = createHash('md5');
  await readFitsFile(file, { onData: (_hdu, chunk) => void h.update(chunk) });
  return h.digest('hex');
}

async function primary(file: string) {
  const r = await readFitsFile(file, { wantData: () => false });
  return r.hdus[0];
}

/** A sample file in the store, ingested. */
async function stored(name: string, bytes: Buffer): Promise<string> {
  const file = putFile(path.join(root, name), bytes, old);
  await ingestFile(deps, { filename: name, path: '' });
  return file;
}

function post(body: unknown, cookieValue = SECRET) {
  return app.inject({
    method: 'POST',
    url: '/update_headers',
    headers: { cookie: `gemini_api_authorization=${cookieValue}`, 'content-type': 'application/json' },
    payload: JSON.stringify(body),
  });
}

function startWorker() {
  const ac = new AbortController();
  const done = serviceHeaderUpdates({
    db: t.db,
    url: t.url,
    storage: deps.storage,
    log: quietLog,
    signal: ac.signal,
    pollMs: 100,
  });
  return {
    stop: async () => {
      ac.abort();
      await done;
    },
  };
}

/** Ingests what the worker queued, as service-queue ingest would. */
async function ingestQueued(name: string) {
  const q = await t.db.query(
    'SELECT filename, path, force_md5 FROM ingestqueue WHERE filename = $1 AND NOT in_progress',
    [name],
  );
  expect(q.rows).toHaveLength(1);
  await t.db.query('DELETE FROM ingestqueue WHERE filename = $1', [name]);
  return ingestFile(deps, {
    filename: q.rows[0].filename,
    path: q.rows[0].path,
    force_md5: q.rows[0].force_md5,
  });
}

async function presentHeader(name: string) {
  const r = await t.db.query(
    `SELECT df.id, df.data_md5, h.qa_state, h.keywords FROM diskfile df JOIN file f ON f.id = df.file_id
     JOIN header h ON h.diskfile_id = df.id WHERE df.present AND f.name = $1`,
    [name],
  );
  return r.rows[0];
}

beforeAll(async () => {
  t = await createTestDb('headerupdate');
  tmp = tempDir('headerupdate');
  const config = testConfig(tmp.dir, { server: { api_auth: SECRET } });
  root = config.paths.storage_root;
  deps = { db: t.db, storage: new LocalStorage(root), config, log: quietLog, params: fixedParams() };
  app = Fastify();
  await app.register(cookie);
  await app.register(updateHeadersRoutes, { ctx: { config, db: t.db }, waitSeconds: 20 });
  await app.ready();
});
afterAll(async () => {
  await app?.close();
  await t?.drop();
  tmp?.cleanup();
});
beforeEach(() => {
  worker = startWorker();
});
afterEach(async () => {
  await worker?.stop();
});

describe('POST /update_headers', () => {
  it('a qa_state change on a .fits file: new diskfile with the new QA state, keywords changed, pixel data unchanged', async () => {
    const file = await stored('N20250101S0001.fits', sampleFits({ serial: 1, extensions: 2 }));
    const before = await presentHeader('N20250101S0001.fits');
    expect(before.qa_state).toBe('Undefined');
    const pixels = await pixelMd5(file);
    const size = statSync(file).size;

    const res = await post({
      request: [{ filename: 'N20250101S0001.fits', values: { qa_state: 'Pass' }, reject_new: true }],
      batch: false,
    });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual([{ result: true, id: 'N20250101S0001.fits' }]);

    const hdu = await primary(file);
    expect(hdu.header.get('RAWGEMQA')).toBe('USABLE');
    expect(hdu.header.get('RAWPIREQ')).toBe('YES');
    expect(statSync(file).size).toBe(size); // fitted its header blocks: patched in place
    expect(await pixelMd5(file)).toBe(pixels);

    const out = await ingestQueued('N20250101S0001.fits');
    expect(out.action).toBe('updated');
    const after = await presentHeader('N20250101S0001.fits');
    expect(after.id).not.toBe(before.id);
    expect(after.qa_state).toBe('Pass');
    expect(after.keywords).toMatchObject({ RAWGEMQA: 'USABLE', RAWPIREQ: 'YES' });
    const logged = await t.db.query('SELECT result, changed_filename, changes FROM header_update');
    expect(logged.rows[0]).toMatchObject({ result: true, changed_filename: 'N20250101S0001.fits' });
  });

  it('a qa_state change on a .fits.bz2 file (old list format, by data label): stays bz2, new version ingested', async () => {
    const raw = sampleFits({ serial: 2 });
    const file = await stored('N20250101S0002.fits.bz2', bzip2(raw));
    const before = await presentHeader('N20250101S0002.fits');
    const label = (await t.db.query('SELECT data_label FROM header WHERE diskfile_id = $1', [before.id]))
      .rows[0].data_label;
    const pixels = await pixelMd5(file);

    const res = await post([{ data_label: label, values: { qa_state: 'fail' } }]);
    expect(res.json()).toEqual([{ result: true, id: label }]);

    expect(readFileSync(file).subarray(0, 3).toString()).toBe('BZh');
    const hdu = await primary(file);
    expect([hdu.header.get('RAWGEMQA'), hdu.header.get('RAWPIREQ')]).toEqual(['BAD', 'NO']);
    expect(await pixelMd5(file)).toBe(pixels);
    await ingestQueued('N20250101S0002.fits.bz2');
    const after = await presentHeader('N20250101S0002.fits');
    expect(after.qa_state).toBe('Fail');
    expect(after.id).not.toBe(before.id);
  });

  it('a header that needs one more block: the file is rewritten, the data bytes move but are unchanged', async () => {
    const file = await stored('N20250101S0003.fits', sampleFits({ serial: 3, extensions: 1 }));
    const pixels = await pixelMd5(file);
    const headerBefore = (await primary(file)).headerSize;
    expect(headerBefore).toBe(2880); // full: 35 cards and END
    const generic = Array.from({ length: 10 }, (_, i) => [`NOTE${i}`, `added by the test, number ${i}`]);
    const res = await post({
      request: [{ filename: 'N20250101S0003.fits', values: { generic, release: '2026-01-01' } }],
    });
    expect(res.json()).toEqual([{ result: true, id: 'N20250101S0003.fits' }]);
    const hdu = await primary(file);
    expect(hdu.headerSize).toBe(headerBefore + 2880);
    expect(hdu.header.get('NOTE9')).toBe('added by the test, number 9');
    expect(hdu.header.get('RELEASE')).toBe('2026-01-01');
    expect(await pixelMd5(file)).toBe(pixels);
    await ingestQueued('N20250101S0003.fits');
    const after = await presentHeader('N20250101S0003.fits');
    expect(after.keywords.NOTE0).toBe('added by the test, number 0');
  });

  it('answers item by item: a missing file, a bad value and reject_new fail; the good item is done', async () => {
    await stored('N20250101S0004.fits', sampleFits({ serial: 4 }));
    // In the database but gone from the disk: only the worker can tell.
    await stored('N20250101S0005.fits', sampleFits({ serial: 5 }));
    unlinkSync(path.join(root, 'N20250101S0005.fits'));
    const res = await post({
      request: [
        { filename: 'N20991231S9999.fits', values: { qa_state: 'Pass' } },
        { filename: 'N20250101S0004.fits', values: { qa_state: 'Splendid' } },
        { filename: 'N20250101S0004.fits', values: { generic: [['RAWGEMQ', 'USABLE']] }, reject_new: true },
        { filename: 'N20250101S0004.fits', values: { raw_site: 'iq85' } },
        { filename: 'N20250101S0005.fits', values: { qa_state: 'Pass' } },
      ],
    });
    const answers = res.json();
    expect(answers.map((a: { result: boolean }) => a.result)).toEqual([false, false, false, true, false]);
    expect(answers[0]).toMatchObject({
      id: 'N20991231S9999.fits',
      error: expect.stringMatching(/No present file/),
    });
    expect(answers[1].error).toMatch(/Invalid QA state/);
    expect(answers[2].error).toMatch(/RAWGEMQ is not in the header/);
    expect(answers[4].error).toMatch(/not found in the store/);
    expect((await primary(path.join(root, 'N20250101S0004.fits'))).header.get('RAWIQ')).toBe('85-percentile');
  });

  it('refuses a wrong or missing cookie, and everyone when no secret is configured', async () => {
    const body = [{ filename: 'N20250101S0004.fits', values: { qa_state: 'Pass' } }];
    expect((await post(body, 'wrong')).statusCode).toBe(403);
    const bare = await app.inject({ method: 'POST', url: '/update_headers', payload: body });
    expect(bare.statusCode).toBe(403);
    const open = Fastify();
    await open.register(cookie);
    await open.register(updateHeadersRoutes, { ctx: { config: testConfig(tmp.dir), db: t.db } });
    const res = await open.inject({
      method: 'POST',
      url: '/update_headers',
      headers: { cookie: 'gemini_api_authorization=' },
      payload: body,
    });
    expect(res.statusCode).toBe(403);
    await open.close();
    expect(
      (
        await t.db.query(
          `SELECT count(*)::int AS n FROM header_update WHERE filename = 'N20250101S0004.fits' AND request_values->>'qa_state' = 'Pass'`,
        )
      ).rows[0].n,
    ).toBe(0);
  });
});

describe('a crash mid-rewrite', () => {
  it('between writing the temporary file and the rename leaves the original intact', async () => {
    await worker?.stop();
    worker = undefined;
    const file = await stored('N20250101S0006.fits', sampleFits({ serial: 6, extensions: 1 }));
    const original = readFileSync(file);
    const crash = async () => {
      throw new Error('simulated crash before rename');
    };
    await expect(
      applyHeaderUpdate(
        { db: t.db, storage: deps.storage },
        { filename: 'N20250101S0006.fits', values: { qa_state: 'Usable' } },
        { beforeRename: crash },
      ),
    ).rejects.toThrow(/simulated crash/);
    expect(readFileSync(file).equals(original)).toBe(true);
    expect(readdirSync(root).filter((n) => n.includes('.tmp-'))).toEqual([]);

    // Through the worker: the request fails with the reason, nothing is queued, the file is as it was.
    const [id] = await recordRequests(
      t.db,
      [{ filename: 'N20250101S0006.fits', values: { qa_state: 'Usable' } }],
      'test',
    );
    const row = await claimRequest(t.db, 'test-worker', id);
    const out = await processRequest(
      { db: t.db, storage: deps.storage, log: quietLog, beforeRename: crash },
      row!,
      'test-worker',
    );
    expect(out).toMatchObject({ result: false, error: 'simulated crash before rename' });
    expect(readFileSync(file).equals(original)).toBe(true);
    expect(
      (await t.db.query(`SELECT count(*)::int AS n FROM ingestqueue WHERE filename = 'N20250101S0006.fits'`))
        .rows[0].n,
    ).toBe(0);

    // The same request afterwards succeeds.
    const done = await applyHeaderUpdate(
      { db: t.db, storage: deps.storage },
      { filename: 'N20250101S0006.fits', values: { qa_state: 'Usable' } },
    );
    expect(done.changes.map((c) => c.keyword)).toEqual(['RAWGEMQA', 'RAWPIREQ']);
  });
});
