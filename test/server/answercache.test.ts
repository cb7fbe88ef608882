import type { FastifyInstance } from 'fastify';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildServer } from '../../src/server/app.js';
import type { IngestDeps } from '../../src/services/ingest/ingest.js';
import { enqueueIngest } from '../../src/services/ingest/ingestqueue.js';
import type { SampleSpec } from '../../src/gemini/samples.js';
import { LocalStorage } from '../../src/storage/local.js';
import type { AnswerCache } from '../../src/server/answercache.js';
import { createTestDb, type TestDb } from '../helpers/db.js';
import { ingestSample } from '../helpers/fixtures.js';
import { fixedParams, quietLog, tempDir, testConfig } from '../helpers/env.js';

let t: TestDb;
let tmp: ReturnType<typeof tempDir>;
let deps: IngestDeps;
let app: FastifyInstance;
let answers: AnswerCache;
/** A separate connection, as another process (ingest, an operator) would change the data. */
let other: pg.Client;

async function ingestNew(spec: SampleSpec) {
  const f = await ingestSample(deps, spec);
  expect(f.outcome.action).toBe('new');
  return f.name;
}

const summary = async (url: string, cookies?: Record<string, string>) => {
  const r = await app.inject({ url, cookies });
  expect(r.statusCode).toBe(200);
  return r.json() as Record<string, unknown>[];
};

beforeAll(async () => {
  t = await createTestDb('answercache');
  tmp = tempDir('answercache');
  const config = testConfig(tmp.dir, { role: 'archive' });
  const storage = new LocalStorage(config.paths.storage_root);
  deps = { db: t.db, storage, config, log: quietLog, params: fixedParams({ ingest_defer_seconds: 0 }) };
  app = buildServer({ config, db: t.db, storage, log: quietLog });
  await app.ready();
  answers = app.answers;
  other = new pg.Client({ connectionString: t.url });
  await other.connect();
});
afterAll(async () => {
  await other?.end();
  await app?.close();
  await t?.drop();
  tmp?.cleanup();
});

describe('cached JSON API answers', () => {
  it('serves a repeated anonymous query from memory, and a change made elsewhere at once', async () => {
    const name = await ingestNew({ date: '20230701', serial: 1 });
    const first = await summary('/jsonsummary/20230701');
    expect(first.map((e) => e.name)).toEqual([name]);
    const before = answers.stats();
    expect(before.entries).toBe(1);
    // Served again from the cache: same bytes, no new entry.
    expect(await summary('/jsonsummary/20230701')).toEqual(first);
    expect(answers.stats()).toEqual(before);

    // Another session changes what the answer shows and commits; the very next request sees it.
    await other.query(`UPDATE header SET qa_state = 'Fail'`);
    const after = await summary('/jsonsummary/20230701');
    expect(after[0].qa_state).toBe('Fail');
    expect(answers.stats().generation).toBeGreaterThan(before.generation);
  });

  it('a file becoming pending ingest shows at once, and such answers are not kept', async () => {
    const name = await ingestNew({ date: '20230702', serial: 2 });
    expect((await summary('/jsonsummary/20230702'))[0].pending_ingest).toBe(false);
    await enqueueIngest(other as unknown as pg.Pool, [{ filename: name }]);
    expect((await summary('/jsonsummary/20230702'))[0].pending_ingest).toBe(true);
    const kept = answers.stats().entries;
    // The queue row goes without a notification: the answer listing it pending was not cached.
    await other.query('DELETE FROM ingestqueue');
    expect((await summary('/jsonsummary/20230702'))[0].pending_ingest).toBe(false);
    expect(answers.stats().entries).toBe(kept + 1);
  });

  it('an answer kept the day before a release is not served on the release day', async () => {
    let now = new Date('2026-12-31T23:59:00Z');
    const a = buildServer(
      { config: deps.config, db: t.db, storage: deps.storage, log: quietLog },
      { now: () => now },
    );
    try {
      await a.ready();
      // Proprietary metadata (PROP_MD): its target is withheld until the release day.
      await ingestNew({
        date: '20230704',
        serial: 4,
        release: '2027-01-01',
        object: 'Secret Target',
        extraCards: [['PROP_MD', true]],
      });
      const object = async () => (await a.inject('/jsonsummary/20230704')).json()[0].object;
      expect(await object()).toBeNull();
      expect(await object()).toBeNull();
      expect(a.answers.stats().entries).toBe(1);
      now = new Date('2027-01-01T00:00:00Z');
      expect(await object()).toBe('Secret Target');
      expect(a.answers.stats().entries).toBe(2);
    } finally {
      await a.close();
    }
  });

  it('does not keep answers for requests with cookies (sessions, grants, magic cookie)', async () => {
    await ingestNew({ date: '20230703', serial: 3 });
    await summary('/jsonfilenames/20230703'); // hears the ingest's notification, keeps one answer
    const n = answers.stats().entries;
    expect(n).toBe(1);
    await summary('/jsonsummary/20230703', { gemini_fits_authorization: 'x' });
    await summary('/jsonsummary/20230703', { gemini_fits_authorization: 'x' });
    expect(answers.stats().entries).toBe(n);
  });

  it('drops everything when its listening connection is lost, then listens again', async () => {
    await summary('/jsonfilenames/20230701');
    expect(answers.stats().entries).toBeGreaterThan(0);
    const g = answers.stats().generation;
    // The listener is the only connection whose last statement was its sync round trip.
    const killed = await other.query(
      `SELECT pg_terminate_backend(pid) AS ok FROM pg_stat_activity
       WHERE datname = current_database() AND query LIKE 'SELECT 1%' AND pid <> pg_backend_pid()`,
    );
    expect(killed.rows).toEqual([{ ok: true }]);
    // The change below is made while the listener may be gone: it must still show.
    await other.query(`UPDATE header SET qa_state = 'Pass'`);
    for (let i = 0; i < 3; i++) {
      const list = await summary('/jsonsummary/20230701');
      expect(list[0].qa_state).toBe('Pass');
    }
    expect(answers.stats().generation).toBeGreaterThan(g);
    // Listening again: answers are kept once more.
    await summary('/jsonfilenames/20230701');
    expect(answers.stats().entries).toBeGreaterThan(0);
  });
});
