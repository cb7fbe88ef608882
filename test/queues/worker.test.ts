import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as engine from '../../src/queues/engine.js';
import { QUEUES } from '../../src/queues/tables.js';
import { runWorker } from '../../src/queues/worker.js';
import { createTestDb, type TestDb } from '../helpers/db.js';
import { memoryLog, quietLog } from '../helpers/env.js';
import { waitFor } from '../helpers/wait.js';

const q = QUEUES.ingest;
let t: TestDb;
beforeAll(async () => {
  t = await createTestDb('worker');
});
afterAll(async () => t?.drop());

describe('queue worker', () => {
  it('wakes on NOTIFY long before the poll interval, and releases nothing on graceful stop', async () => {
    // A 10-minute poll: within the 30 s this test waits, only the notification can wake it.
    await t.db.query('UPDATE system_parameters SET poll_seconds = 600, heartbeat_seconds = 600');
    const ac = new AbortController();
    const seen: string[] = [];
    const log: string[] = [];
    const running = runWorker({
      db: t.db,
      url: t.url,
      queue: q,
      name: 'notify-test',
      log: memoryLog(log),
      signal: ac.signal,
      handler: async (row) => {
        seen.push(row.filename as string);
      },
    });
    await waitFor(() => log.some((l) => l.includes('nothing on ingestqueue, waiting')), {
      what: 'the worker to find the queue empty and sleep on its poll',
    });
    await engine.enqueue(t.db, q, [{ filename: 'wake.fits', sortkey: 'z' }]);
    await waitFor(() => seen.length > 0, { what: 'the notification to wake the worker' });
    expect(seen).toEqual(['wake.fits']);
    const w = await t.db.query('SELECT name, queue FROM queue_worker');
    expect(w.rows[0]).toMatchObject({ queue: 'ingest' });
    ac.abort();
    const stats = await running;
    expect(stats).toEqual({ done: 1, failed: 0, deferred: 0 });
    expect((await t.db.query('SELECT count(*)::int AS n FROM queue_worker')).rows[0].n).toBe(0);
  });

  it('a failing item is recorded and the worker carries on with the next', async () => {
    await t.db.query('TRUNCATE ingestqueue, queue_error');
    await engine.enqueue(t.db, q, [
      { filename: 'bad.fits', sortkey: 'z9' },
      { filename: 'good.fits', sortkey: 'z1' },
    ]);
    const done: string[] = [];
    const stats = await runWorker({
      db: t.db,
      url: t.url,
      queue: q,
      name: 'fail-test',
      log: quietLog,
      signal: new AbortController().signal,
      once: true,
      handler: async (row) => {
        if (row.filename === 'bad.fits')
          throw new Error('bad.fits: not a valid FITS file: the first card is not SIMPLE = T');
        done.push(row.filename as string);
      },
    });
    expect(stats).toEqual({ done: 1, failed: 1, deferred: 0 });
    expect(done).toEqual(['good.fits']);
    const e = await t.db.query(`SELECT filename, error FROM queue_error`);
    expect(e.rows[0].filename).toBe('bad.fits');
    expect(e.rows[0].error).toMatch(/^Error: bad\.fits: not a valid FITS file[\s\S]*at /); // message and stack
  });

  it('a deferred item comes back after its delay; --empty waits for it', async () => {
    await t.db.query('TRUNCATE ingestqueue, queue_error');
    await engine.enqueue(t.db, q, [{ filename: 'later.fits', sortkey: 'z' }]);
    let calls = 0;
    const t0 = Date.now();
    const stats = await runWorker({
      db: t.db,
      url: t.url,
      queue: q,
      name: 'defer-test',
      log: quietLog,
      signal: new AbortController().signal,
      once: true,
      handler: async () => (++calls === 1 ? { defer: 0.5 } : undefined),
    });
    expect(stats).toEqual({ done: 1, failed: 0, deferred: 1 });
    expect(Date.now() - t0).toBeGreaterThanOrEqual(450);
  });
});

describe('deferral wake-up', () => {
  it('an idle worker picks a deferred item up when it comes due, not at the next poll', async () => {
    await t.db.query('TRUNCATE ingestqueue, queue_error');
    await t.db.query('UPDATE system_parameters SET poll_seconds = 30, heartbeat_seconds = 30');
    const ac = new AbortController();
    const seen: number[] = [];
    const log: string[] = [];
    const running = runWorker({
      db: t.db,
      url: t.url,
      queue: q,
      name: 'due-test',
      log: memoryLog(log),
      signal: ac.signal,
      handler: async () => {
        seen.push(Date.now());
      },
    });
    await waitFor(() => log.some((l) => l.includes('nothing on ingestqueue, waiting')), {
      what: 'the worker to go idle on its 30 s poll',
    });
    const t0 = Date.now();
    await engine.enqueue(t.db, q, [
      { filename: 'due.fits', sortkey: 'z', after: new Date(Date.now() + 1000) },
    ]);
    try {
      // 5 s: the item is due after 1 s; the next poll would come only after 30.
      await waitFor(() => seen.length > 0, { timeout: 5000, what: 'the deferred item to be taken when due' });
    } finally {
      ac.abort();
      await running;
    }
    expect(seen).toHaveLength(1);
    expect(seen[0] - t0).toBeGreaterThanOrEqual(900);
    expect(seen[0] - t0).toBeLessThan(3000);
  });
});
