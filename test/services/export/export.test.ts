import { createHash } from 'node:crypto';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Config } from '../../../src/config/schema.js';
import { QUEUES } from '../../../src/queues/tables.js';
import { runWorker } from '../../../src/queues/worker.js';
import { exportFile, makeExportHandler, type ExportDeps } from '../../../src/services/export/export.js';
import { DestinationBackoff, retryFailedExports } from '../../../src/services/export/exportbackoff.js';
import { DestinationError } from '../../../src/services/export/exportclient.js';
import { sampleName, type SampleSpec } from '../../../src/gemini/samples.js';
import { LocalStorage } from '../../../src/storage/local.js';
import { createTestDb, type TestDb } from '../../helpers/db.js';
import { fixedParams, quietLog, tempDir, testConfig } from '../../helpers/env.js';
import { ingestSample, queueError } from '../../helpers/fixtures.js';
import { freePort, startFakeArchive, type FakeArchive } from '../../helpers/fakearchive.js';
import { waitFor } from '../../helpers/wait.js';

const md5 = (b: Buffer) => createHash('md5').update(b).digest('hex');
const COOKIE_A = 'cookie-for-a';
const COOKIE_B = 'cookie-for-b';

let t: TestDb;
let tmp: ReturnType<typeof tempDir>;
let config: Config;
let deps: ExportDeps;
let b: FakeArchive;
let portA: number;
let urlA: string;

const summitFile = (spec: SampleSpec) =>
  ingestSample({ ...deps, params: fixedParams({ ingest_defer_seconds: 0 }) }, spec);

const itemFor = (name: string, destination: string) => ({ filename: name, path: '', destination });

beforeAll(async () => {
  t = await createTestDb('export');
  tmp = tempDir('export');
  b = await startFakeArchive();
  b.cookie = COOKIE_B;
  portA = await freePort();
  urlA = `http://127.0.0.1:${portA}`;
  config = testConfig(tmp.dir, {
    role: 'summit',
    export: {
      destinations: [
        { url: urlA, upload_auth: COOKIE_A },
        { url: b.url, upload_auth: COOKIE_B },
      ],
    },
  });
  deps = {
    config,
    db: t.db,
    storage: new LocalStorage(config.paths.storage_root),
    log: quietLog,
    params: fixedParams({ export_retry_seconds: 1 }),
    idleTimeoutMs: 2000,
    pendingDeferSeconds: 7,
  };
  await t.db.query(
    'UPDATE system_parameters SET poll_seconds = 0.2, export_retry_seconds = 1, heartbeat_seconds = 0.5',
  );
});
afterAll(async () => {
  await b?.close();
  await t?.drop();
  tmp?.cleanup();
});
beforeEach(() => {
  b.received.length = 0;
  b.lookups.length = 0;
  b.uploadMode = 'ok';
  b.listMode = 'ok';
  b.have.clear();
});

describe('exportFile: one file to one destination', () => {
  it('sends a plain file as .bz2 with the cookie; the destination gets the same data', async () => {
    const f = await summitFile({ date: '20250301', serial: 1, size: 300 });
    const out = await exportFile(deps, itemFor(f.name, b.url));
    expect(out).toMatchObject({ action: 'sent' });
    expect(b.lookups).toEqual([f.name]);
    expect(b.received).toHaveLength(1);
    expect(b.received[0]).toMatchObject({ name: `${f.name}.bz2`, cookie: COOKIE_B, dataMd5: md5(f.raw) });
    expect(out.action === 'sent' && out.md5).toBe(b.received[0].md5);
  });

  it('sends a stored .bz2 as it is', async () => {
    const f = await summitFile({ date: '20250301', serial: 2, bz2: true });
    await exportFile(deps, itemFor(f.name, b.url));
    expect(b.lookups).toEqual([f.name.replace(/\.bz2$/, '')]);
    expect(b.received[0]).toMatchObject({ name: f.name, md5: md5(f.bytes), size: f.bytes.length });
  });

  it('makes no upload when the destination has the same data_md5', async () => {
    const f = await summitFile({ date: '20250301', serial: 3 });
    b.have.set(f.name, md5(f.raw));
    expect(await exportFile(deps, itemFor(f.name, b.url))).toMatchObject({ action: 'skipped' });
    expect(b.received).toHaveLength(0);
  });

  it('sends again when the destination has different data', async () => {
    const f = await summitFile({ date: '20250301', serial: 4 });
    b.have.set(f.name, 'f'.repeat(32));
    expect(await exportFile(deps, itemFor(f.name, b.url))).toMatchObject({ action: 'sent' });
  });

  it('waits while the destination is still ingesting the file', async () => {
    const f = await summitFile({ date: '20250301', serial: 5 });
    b.pending.add(f.name);
    expect(await exportFile(deps, itemFor(f.name, b.url))).toEqual({
      action: 'deferred',
      seconds: 7,
      reason: `ingest pending at ${b.url}`,
    });
    expect(b.received).toHaveLength(0);
    b.pending.delete(f.name);
  });

  it.each([
    ['error500', /POST http:\/\/127\.0\.0\.1:\d+\/upload_file\/N20250301S0006\.fits\.bz2: HTTP 500/],
    [
      'hang',
      /POST http:\/\/127\.0\.0\.1:\d+\/upload_file\/N20250301S0006\.fits\.bz2: timed out: no progress/,
    ],
    ['wrong-md5', /verification failed: md5 0{32} echoed, sent [0-9a-f]{32}/],
    ['wrong-size', /verification failed: size \d+ echoed, sent \d+ bytes/],
  ] as const)(
    'destination misbehaving (%s): a DestinationError naming the URL and the cause',
    async (mode, message) => {
      const name = sampleName({ date: '20250301', serial: 6 });
      if (!(await deps.storage.stat(name))) await summitFile({ date: '20250301', serial: 6 });
      b.uploadMode = mode;
      const err = await exportFile(deps, itemFor(name, b.url)).catch((e) => e);
      expect(err).toBeInstanceOf(DestinationError);
      expect(err.message).toMatch(message);
    },
  );

  it('an unreachable destination: the lookup fails naming the URL', async () => {
    const name = sampleName({ date: '20250301', serial: 1 });
    const err = await exportFile(deps, itemFor(name, urlA)).catch((e) => e);
    expect(err).toBeInstanceOf(DestinationError);
    expect(err.message).toContain(`GET ${urlA}/jsonfilelist/present/filename=${name}?pending_ingest`);
    expect(err.message).toMatch(/ECONNREFUSED/);
  });

  it('a file no longer present locally is an error of its own (no destination blamed)', async () => {
    const err = await exportFile(deps, itemFor('N20250301S0999.fits', b.url)).catch((e) => e);
    expect(err).not.toBeInstanceOf(DestinationError);
    expect(err.message).toMatch(/no present diskfile/);
  });
});

describe('service-queue export: back-off per destination, retry after it', () => {
  it('a down destination backs off and fails its rows; the other is served; after the back-off the rows succeed', async () => {
    await t.db.query('TRUNCATE exportqueue, queue_error');
    const f1 = await summitFile({ date: '20250302', serial: 1 });
    const f2 = await summitFile({ date: '20250302', serial: 2 });
    const rows = await t.db.query(
      'SELECT filename, destination FROM exportqueue ORDER BY filename, destination',
    );
    expect(rows.rowCount).toBe(4);

    const ac = new AbortController();
    // As `service-queue export --empty` runs it: failed rows wait for retryFailed() below.
    const handler = makeExportHandler({ ...deps, signal: ac.signal, autoRetry: false });
    const run = () =>
      runWorker({
        db: t.db,
        url: t.url,
        queue: QUEUES.export,
        name: 'seq-test',
        handler,
        log: quietLog,
        signal: ac.signal,
        once: true,
      });

    const first = await run();
    expect(first.done).toBe(2);
    expect(new Set(b.received.map((r) => r.name))).toEqual(new Set([`${f1.name}.bz2`, `${f2.name}.bz2`]));
    const failed = await t.db.query('SELECT filename, destination, error FROM exportqueue WHERE failed');
    expect(failed.rows.map((r) => r.destination)).toEqual([urlA, urlA]);
    for (const r of failed.rows)
      expect(r.error).toMatch(new RegExp(`GET ${urlA}/jsonfilelist.*ECONNREFUSED`));
    // Both of A's rows were tried and failed (the second after waiting out the first back-off);
    // B never failed, so it has no back-off.
    expect(handler.backoff.snapshot()).toEqual({
      [urlA]: { failures: 2, until: expect.any(Number), lastError: expect.stringMatching(/ECONNREFUSED/) },
    });
    const errors = await t.db.query(
      `SELECT filename FROM queue_error WHERE queue = 'EXPORT' ORDER BY filename`,
    );
    expect(errors.rows).toEqual([{ filename: f1.name }, { filename: f2.name }]);

    // A comes up; once the retry delay has passed the failed rows return and go through.
    const a = await startFakeArchive(portA);
    a.cookie = COOKIE_A;
    try {
      // Not before the retry delay has passed since the failure (here: an hour).
      expect(await retryFailedExports(t.db, 3600)).toEqual({ retried: 0, dropped: 0 });
      // The retry delay (1 s) passes: the failures' evidence is made older than that, rather than
      // sleeping and hoping the machine kept up.
      await t.db.query(`UPDATE queue_error SET added = added - interval '2 seconds'`);
      expect(await handler.retryFailed()).toBe(2);
      const back = await t.db.query('SELECT count(*)::int AS n FROM exportqueue WHERE NOT failed');
      expect(back.rows[0].n).toBe(2);
      const second = await run();
      expect(second.done).toBe(2);
      expect(a.received.map((r) => r.cookie)).toEqual([COOKIE_A, COOKIE_A]);
      expect((await t.db.query('SELECT * FROM exportqueue')).rowCount).toBe(0);
    } finally {
      ac.abort();
      handler.stop();
      await a.close();
    }
  });

  it('a wrong md5 echoed leaves the row failed, never done', async () => {
    await t.db.query('TRUNCATE exportqueue, queue_error');
    const f = await summitFile({ date: '20250303', serial: 1 });
    await t.db.query('DELETE FROM exportqueue WHERE destination = $1', [urlA]);
    b.uploadMode = 'wrong-md5';
    const ac = new AbortController();
    const handler = makeExportHandler({ ...deps, signal: ac.signal, autoRetry: false });
    const stats = await runWorker({
      db: t.db,
      url: t.url,
      queue: QUEUES.export,
      name: 'seq-md5',
      handler,
      log: quietLog,
      signal: ac.signal,
      once: true,
    });
    handler.stop();
    expect(stats).toMatchObject({ done: 0, failed: 1 });
    const row = await t.db.query('SELECT failed, error FROM exportqueue WHERE filename = $1', [f.name]);
    expect(row.rows[0].failed).toBe(true);
    expect(row.rows[0].error).toMatch(/verification failed: md5/);
    expect(handler.backoff.snapshot()).toEqual({
      [b.url]: {
        failures: 1,
        until: expect.any(Number),
        lastError: expect.stringMatching(/verification failed: md5/),
      },
    });
  });
});

describe('the daemon retries failed rows by itself', () => {
  it('with autoRetry, a failed row is back in the queue once export_retry_seconds have passed', async () => {
    await t.db.query('TRUNCATE exportqueue, queue_error');
    const f = await summitFile({ date: '20250304', serial: 1 });
    await t.db.query('DELETE FROM exportqueue WHERE destination = $1', [b.url]);
    const ac = new AbortController();
    // The back-off's clock stands still, so the time left is exact.
    const frozen = Date.UTC(2025, 2, 4, 12);
    const handler = makeExportHandler({
      ...deps,
      signal: ac.signal,
      backoff: new DestinationBackoff(() => frozen),
    });
    try {
      await expect(
        handler({ id: 0, filename: f.name, path: '', destination: urlA } as never, {
          signal: ac.signal,
          log: quietLog,
        }),
      ).rejects.toThrow(/ECONNREFUSED/);
      // What the worker does with a thrown error: fail the row, keep the evidence.
      await t.db.query(`UPDATE exportqueue SET failed = true, error = 'down' WHERE filename = $1`, [f.name]);
      await queueError(t.db, 'export', { filename: f.name, path: '', error: 'down' });
      const back = await waitFor(
        async () => {
          const r = await t.db.query('SELECT failed, error FROM exportqueue WHERE filename = $1', [f.name]);
          return r.rows[0]?.failed === false ? r.rows[0] : null;
        },
        { what: 'automatic retry' },
      );
      expect(back.error).toBeNull();
      // The pending row waits out the destination's back-off rather than being tried at once.
      expect(handler.backoff.remaining(urlA)).toBe(1);
      expect(
        await handler({ id: 0, filename: f.name, path: '', destination: urlA } as never, {
          signal: ac.signal,
          log: quietLog,
        }),
      ).toEqual({ defer: 1, reason: `${urlA} is backing off after a failure` });
    } finally {
      ac.abort();
      handler.stop();
    }
  });
});

describe('DestinationBackoff: time left per destination, on its own clock', () => {
  it('counts down from the last failure, stacks failures, and clears on success', () => {
    let clock = Date.UTC(2025, 11, 31, 23, 59, 50); // crosses midnight and the year while backing off
    const b = new DestinationBackoff(() => clock);
    expect(b.remaining('http://a')).toBe(0);
    expect(b.failed('http://a', 30, 'down')).toEqual({
      failures: 1,
      until: clock + 30_000,
      lastError: 'down',
    });
    expect(b.remaining('http://a')).toBe(30);
    expect(b.remaining('http://b')).toBe(0);
    clock += 29_500;
    expect(b.remaining('http://a')).toBe(0.5);
    clock += 500;
    expect(b.remaining('http://a')).toBe(0);
    clock += 60_000; // long past: never negative
    expect(b.remaining('http://a')).toBe(0);
    expect(b.failed('http://a', 10, 'still down')).toEqual({
      failures: 2,
      until: clock + 10_000,
      lastError: 'still down',
    });
    expect(b.remaining('http://a')).toBe(10);
    expect(b.succeeded('http://a')).toBe(true);
    expect(b.remaining('http://a')).toBe(0);
    expect(b.snapshot()).toEqual({});
    expect(b.succeeded('http://a')).toBe(false);
  });
});
