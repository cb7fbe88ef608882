import { chmodSync, mkdirSync, utimesSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmbedded, type EmbeddedHandle } from '../../src/db/embedded.js';
import { migrate } from '../../src/db/migrate.js';
import { createPool, type Db } from '../../src/db/pool.js';
import { sampleFits, sampleName, type SampleSpec } from '../../src/gemini/samples.js';
import * as engine from '../../src/queues/engine.js';
import { QUEUES } from '../../src/queues/tables.js';
import { runWorker } from '../../src/queues/worker.js';
import { buildServer } from '../../src/server/app.js';
import {
  recordRequests,
  requestOutcomes,
  serviceHeaderUpdates,
} from '../../src/services/headers/headerupdatequeue.js';
import { ingestFile, type IngestDeps } from '../../src/services/ingest/ingest.js';
import { LocalStorage } from '../../src/storage/local.js';
import { fixedParams, memoryLog, quietLog, tempDir, testConfig } from '../helpers/env.js';
import { freePort } from '../helpers/net.js';
import { waitFor } from '../helpers/wait.js';
import { recordFault } from './helpers.js';

// PostgreSQL restarted under each user of the LISTEN helper (src/db/listen.ts): the queue worker,
// the web server's answer cache and the header-update worker. The machine's server cannot be
// restarted, so this file runs a private embedded PostgreSQL and restarts it (fast shutdown:
// every session is cut) on the same directory and port. Polls are 10 minutes long, so within the
// 30 s each check waits only a listener that connected and LISTENed again makes the difference.

let pgHandle: EmbeddedHandle | undefined;
let db: Db;
let url: string;
let port: number;
let varDir: string;
const tmp = tempDir('listen-restart');
const POLL_SECONDS = 600;

/** Stops the server (every session is cut) and starts it again; returns once it answers. */
async function restart() {
  await pgHandle!.stop();
  pgHandle = await startEmbedded(varDir, port, 'listen');
  await waitFor(() => db.query('SELECT 1'), { what: 'the restarted server to answer' });
}

beforeAll(async () => {
  port = await freePort();
  url = `postgres://postgres:postgres@127.0.0.1:${port}/listen`;
  // As root the server runs as the postgres user, who must be able to walk into the temp tree.
  chmodSync(tmp.dir, 0o755);
  varDir = path.join(tmp.dir, 'pgvar');
  pgHandle = await startEmbedded(varDir, port, 'listen');
  await migrate(url);
  db = createPool(url, 5);
  await db.query(
    `UPDATE system_parameters SET poll_seconds = ${POLL_SECONDS}, heartbeat_seconds = ${POLL_SECONDS},
       ingest_defer_seconds = 0`,
  );
}, 180_000);

afterAll(async () => {
  await db?.end().catch(() => {});
  await pgHandle?.stop().catch(() => {});
  tmp.cleanup();
});

describe('PostgreSQL restarted under the LISTEN helper’s users', () => {
  it('the queue worker picks up an item enqueued after the restart at once, not at its next poll', async () => {
    const q = QUEUES.ingest;
    const seen: string[] = [];
    const log: string[] = [];
    const ac = new AbortController();
    const running = runWorker({
      db,
      url,
      queue: q,
      name: 'listen-restart',
      log: memoryLog(log),
      signal: ac.signal,
      handler: async (row) => void seen.push(row.filename as string),
    });
    try {
      await engine.enqueue(db, q, [{ filename: 'before.fits', sortkey: 'a' }]);
      await waitFor(() => seen.includes('before.fits'), { what: 'the item enqueued before the restart' });
      await restart();
      await engine.enqueue(db, q, [{ filename: 'after.fits', sortkey: 'b' }]);
      const ok = await waitFor(() => seen.includes('after.fits'), {
        what: () => `the item enqueued after the restart:\n${log.slice(-10).join('\n')}`,
      }).then(
        () => true,
        () => false,
      );
      recordFault('PostgreSQL restarted under a queue worker', 2, ok ? 0 : 1);
      expect(ok, 'the item enqueued after the restart was taken before the next poll').toBe(true);
    } finally {
      ac.abort();
      await running;
    }
  }, 120_000);

  it('the answer cache serves fresh data after the restart, and caches (and invalidates) again', async () => {
    const config = testConfig(path.join(tmp.dir, 'archive'), { role: 'archive' });
    const storage = new LocalStorage(config.paths.storage_root);
    const deps: IngestDeps = {
      db,
      storage,
      config,
      log: quietLog,
      params: fixedParams({ ingest_defer_seconds: 0 }),
    };
    const spec: SampleSpec = { date: '20240301', serial: 1 };
    await stored(deps, spec);
    const app: FastifyInstance = buildServer({ config, db, storage, log: quietLog });
    try {
      await app.ready();
      const qa = async () => {
        const r = await app.inject('/jsonsummary/20240301');
        expect(r.statusCode).toBe(200);
        return r.json()[0].qa_state as string;
      };
      expect(await qa()).toBe('Undefined');
      expect(await qa()).toBe('Undefined');
      const before = app.answers.stats();
      expect(before.entries).toBe(1);

      await restart();
      // Changed while the cache may not be listening yet: the next answer must show it.
      await db.query(`UPDATE header SET qa_state = 'Fail'`);
      expect(await qa()).toBe('Fail');
      // Listening again: answers are kept once more…
      const keeping = () =>
        app.answers.stats().entries === 1 && app.answers.stats().generation > before.generation;
      const caching = await waitFor(async () => (await qa()) === 'Fail' && keeping(), {
        what: 'the answer cache to keep answers again',
      }).then(
        () => true,
        () => false,
      );
      const kept = app.answers.stats();
      expect(await qa()).toBe('Fail');
      expect(app.answers.stats()).toEqual(kept);
      // …and a change made elsewhere is heard, so it shows at once.
      await db.query(`UPDATE header SET qa_state = 'Pass'`);
      const fresh = (await qa()) === 'Pass';
      recordFault('PostgreSQL restarted under the answer cache', 3, (caching ? 0 : 1) + (fresh ? 0 : 1));
      expect(caching, `the answer cache keeps answers again: ${JSON.stringify(kept)}`).toBe(true);
      expect(fresh, 'a change after the restart shows at once').toBe(true);
    } finally {
      await app.close();
    }
  }, 120_000);

  it('the header-update worker processes a request recorded after the restart at once', async () => {
    const config = testConfig(path.join(tmp.dir, 'summit'));
    const storage = new LocalStorage(config.paths.storage_root);
    const deps: IngestDeps = { db, storage, config, log: quietLog, params: fixedParams() };
    const before = await stored(deps, { date: '20240302', serial: 1 });
    const after = await stored(deps, { date: '20240302', serial: 2 });
    const ac = new AbortController();
    const running = serviceHeaderUpdates({
      db,
      url,
      storage,
      log: quietLog,
      signal: ac.signal,
      pollMs: POLL_SECONDS * 1000,
    });
    const done = async (ids: number[]) => (await requestOutcomes(db, ids)).every((r) => r.result === true);
    try {
      const first = await recordRequests(db, [{ filename: before, values: { qa_state: 'Pass' } }], 'test');
      await waitFor(() => done(first), { what: 'the request recorded before the restart' });
      await restart();
      const second = await recordRequests(db, [{ filename: after, values: { qa_state: 'Pass' } }], 'test');
      const ok = await waitFor(() => done(second), {
        what: 'the request recorded after the restart',
      }).then(
        () => true,
        () => false,
      );
      recordFault('PostgreSQL restarted under the header-update worker', 2, ok ? 0 : 1);
      expect(ok, 'the request recorded after the restart was processed before the next poll').toBe(true);
    } finally {
      ac.abort();
      await running;
    }
  }, 120_000);
});

/** A sample file in the store, ingested; returns its name. */
async function stored(deps: IngestDeps, spec: SampleSpec): Promise<string> {
  const name = sampleName(spec);
  const file = path.join(deps.config.paths.storage_root, name);
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, sampleFits(spec));
  // Older than the ingest's settle time: taken as complete.
  const old = new Date(Date.now() - 3600_000);
  utimesSync(file, old, old);
  expect((await ingestFile(deps, { filename: name, path: '' })).action).toBe('new');
  return name;
}
