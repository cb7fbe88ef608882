import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runVerb } from '../../src/queues/verbs.js';
import { QUEUES } from '../../src/queues/tables.js';
import { runWorker } from '../../src/queues/worker.js';
import { makeExportHandler, type ExportDeps } from '../../src/services/export/export.js';
import { LocalStorage } from '../../src/storage/local.js';
import { createTestDb, type TestDb } from '../helpers/db.js';
import { fixedParams, quietLog, tempDir, testConfig } from '../helpers/env.js';
import { startFakeArchive, type FakeArchive } from '../helpers/fakearchive.js';
import { ingestSample } from '../helpers/fixtures.js';
import { waitFor } from '../helpers/wait.js';

// An operator's `queue retry` means now: a failed export is tried at once, not after the
// destination's back-off (export_retry_seconds, minutes in production) that the worker holds.

let t: TestDb;
let tmp: ReturnType<typeof tempDir>;
let archive: FakeArchive;

beforeAll(async () => {
  t = await createTestDb('queue_retry');
  tmp = tempDir('queue-retry');
  archive = await startFakeArchive();
  await t.db.query('UPDATE system_parameters SET poll_seconds = 0.2, heartbeat_seconds = 0.5');
});
afterAll(async () => {
  await archive?.close();
  await t?.drop();
  tmp?.cleanup();
});

describe('queue retry of a failed export', () => {
  it('is exported at once although the destination is still backing off for an hour', async () => {
    const config = testConfig(tmp.dir, { role: 'summit', export: { destinations: [{ url: archive.url }] } });
    const deps: ExportDeps = {
      config,
      db: t.db,
      storage: new LocalStorage(config.paths.storage_root),
      log: quietLog,
      params: fixedParams({ export_retry_seconds: 3600 }),
      idleTimeoutMs: 2000,
      pendingDeferSeconds: 7,
    };
    const { name } = await ingestSample({ ...deps, params: fixedParams() }, { date: '20250305', serial: 1 });
    archive.listMode = 'error500';

    const ac = new AbortController();
    const handler = makeExportHandler({ ...deps, signal: ac.signal, autoRetry: false });
    const worker = runWorker({
      db: t.db,
      url: t.url,
      queue: QUEUES.export,
      name: 'seq-retry',
      handler,
      log: quietLog,
      signal: ac.signal,
    });
    try {
      await waitFor(async () => (await t.db.query('SELECT 1 FROM exportqueue WHERE failed')).rowCount === 1, {
        timeout: 20_000,
        what: 'the export to fail',
      });
      expect(handler.backoff.remaining(archive.url)).toBeGreaterThan(3000);
      archive.listMode = 'ok';
      const r = await runVerb(t.db, QUEUES.export, 'retry', {});
      expect(r.done.unfailed).toBe(1);
      // Pending now, and taken by the running worker well within the back-off.
      await waitFor(async () => (await t.db.query('SELECT 1 FROM exportqueue')).rowCount === 0, {
        timeout: 20_000,
        what: 'the retried export to be taken',
      });
      expect(archive.received.map((x) => x.name)).toEqual([`${name}.bz2`]);
    } finally {
      ac.abort();
      handler.stop();
      await worker;
    }
  }, 60_000);
});
