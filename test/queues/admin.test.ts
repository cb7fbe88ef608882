import os from 'node:os';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { holderState } from '../../src/queues/holders.js';
import { listErrors, listItems } from '../../src/queues/items.js';
import { runVerb } from '../../src/queues/verbs.js';
import * as engine from '../../src/queues/engine.js';
import { QUEUES } from '../../src/queues/tables.js';
import { parseFilter, parseQueues, parseWhen } from '../../src/ops/filters.js';
import { createTestDb, type TestDb } from '../helpers/db.js';
import { ago, NOW, queueRows, type Ago } from '../helpers/fixtures.js';

const q = QUEUES.ingest;
const HOST = os.hostname();
let t: TestDb;
beforeAll(async () => {
  t = await createTestDb('ops_admin');
});
afterAll(async () => t?.drop());
beforeEach(async () => {
  await t.db.query(
    'TRUNCATE ingestqueue, exportqueue, previewqueue, calcachequeue, queue_error, queue_worker',
  );
});

/** An ingest queue row in the given state: columns as the table's, times by the database clock. */
async function row(
  filename: string,
  state: Partial<{
    failed: boolean;
    in_progress: boolean;
    worker: string;
    heartbeat_at: Ago;
    added: Ago;
    path: string;
    error: string;
  }> = {},
) {
  const [r] = await queueRows(t.db, 'ingest', { filename, path: '', ...state });
  return r.id as number;
}
const states = async () =>
  (await t.db.query(`SELECT filename, failed, in_progress, worker FROM ingestqueue ORDER BY id`)).rows;
const deadPid = () => false;

describe('queue list and errors', () => {
  it('filters by status, filename regex and date range', async () => {
    await row('N20250101S0001.fits');
    await row('N20250101S0002.fits', { failed: true, error: 'boom' });
    await row('N20250101S0003.fits', { in_progress: true, worker: 'siq1@h:1#0', heartbeat_at: NOW });
    await row('N20240101S0004.fits', { added: ago('10 days') });
    await engine.enqueue(t.db, q, [
      { filename: 'N20250101S0005.fits', sortkey: 'z', after: new Date(Date.now() + 60_000) },
    ]);
    const all = await listItems(t.db, q, {});
    expect(all.map((x) => x.state).sort()).toEqual([
      'deferred',
      'failed',
      'in_progress',
      'pending',
      'pending',
    ]);
    expect((await listItems(t.db, q, { status: 'failed' })).map((x) => x.filename)).toEqual([
      'N20250101S0002.fits',
    ]);
    expect((await listItems(t.db, q, { status: 'deferred' })).map((x) => x.filename)).toEqual([
      'N20250101S0005.fits',
    ]);
    expect((await listItems(t.db, q, { filename: '^N2024' })).map((x) => x.filename)).toEqual([
      'N20240101S0004.fits',
    ]);
    expect(await listItems(t.db, q, { since: parseWhen('2d', '--since') })).toHaveLength(4);
    expect(await listItems(t.db, q, { until: parseWhen('2d', '--until') })).toHaveLength(1);
  });

  it('reports a bad regular expression as PostgreSQL error 2201B', async () => {
    await expect(listItems(t.db, q, { filename: '(' })).rejects.toMatchObject({ code: '2201B' });
  });

  it('lists queue_error rows by queue and filename', async () => {
    await engine.recordError(t.db, QUEUES.ingest, { filename: 'a.fits', path: '' }, 'ingest broke');
    await engine.recordError(t.db, QUEUES.export, { filename: 'a.fits', path: '' }, 'export broke');
    const e = await listErrors(t.db, [QUEUES.export], { filename: '^a' });
    expect(e.map((x) => x.error)).toEqual(['export broke']);
  });

  it('parses options into filters, naming the bad value', () => {
    expect(parseFilter({ status: 'in-progress' }).status).toBe('in_progress');
    expect(() => parseFilter({ status: 'stuck' })).toThrow(/--status: expected one of .* got "stuck"/);
    expect(() => parseFilter({ since: 'yesterday-ish' })).toThrow(/--since/);
    expect(() => parseQueues(['ingest,nope'])).toThrow(/--queue: unknown queue "nope"/);
    expect(parseQueues(['exportqueue', 'ingest']).map((x) => x.name)).toEqual(['export', 'ingest']);
  });
});

describe('queue retry', () => {
  it('un-fails a failed row so it can be claimed again', async () => {
    await row('f.fits', { failed: true, error: 'x' });
    const r = await runVerb(t.db, q, 'retry', {});
    expect(r.done).toEqual({ deleted: 0, unfailed: 1, released: 0 });
    expect((await engine.claim(t.db, q, 'w'))?.filename).toBe('f.fits');
  });

  it('deletes the failed row when the same file is already pending (the unique index would refuse)', async () => {
    await row('f.fits', { failed: true });
    await row('f.fits');
    const r = await runVerb(t.db, q, 'retry', {});
    expect(r.done).toEqual({ deleted: 1, unfailed: 0, released: 0 });
    expect(await states()).toEqual([{ filename: 'f.fits', failed: false, in_progress: false, worker: null }]);
  });

  it('retries only the newest of several failed rows of one file', async () => {
    await row('f.fits', { failed: true });
    await row('f.fits', { failed: true });
    const r = await runVerb(t.db, q, 'retry', {});
    expect(r.done).toEqual({ deleted: 1, unfailed: 1, released: 0 });
    expect(await states()).toEqual([{ filename: 'f.fits', failed: false, in_progress: false, worker: null }]);
  });

  it('--dry-run changes nothing and reports the same plan', async () => {
    await row('a.fits', { failed: true });
    await row('b.fits', { failed: true });
    const dry = await runVerb(t.db, q, 'retry', { filename: '^a' }, { dryRun: true });
    expect(dry.plan.map((x) => [x.filename, x.action])).toEqual([['a.fits', 'unfail']]);
    expect(dry.done.unfailed).toBe(0);
    expect((await states()).every((s) => s.failed)).toBe(true);
    const real = await runVerb(t.db, q, 'retry', { filename: '^a' });
    expect(real.plan.map((x) => [x.filename, x.action])).toEqual([['a.fits', 'unfail']]);
  });
});

describe('queue release', () => {
  it('returns rows of a dead process on this host; refuses a live worker unless --force', async () => {
    await row('dead.fits', { in_progress: true, worker: `siq1@${HOST}:4000000#0`, heartbeat_at: NOW });
    await row('live.fits', {
      in_progress: true,
      worker: `siq2@${HOST}:${process.pid}#0`,
      heartbeat_at: NOW,
    });
    await row('stale.fits', {
      in_progress: true,
      worker: 'siq1@otherhost:12#0',
      heartbeat_at: ago('1 hour'),
    });
    const r = await runVerb(
      t.db,
      q,
      'release',
      {},
      { deadSeconds: 30, pidAlive: (pid) => pid === process.pid },
    );
    expect(r.done.released).toBe(2);
    expect(r.refused).toBe(1);
    expect((await states()).filter((s) => s.in_progress).map((s) => s.filename)).toEqual(['live.fits']);
    const forced = await runVerb(t.db, q, 'release', {}, { deadSeconds: 30, force: true });
    expect(forced.done.released).toBe(1);
    expect((await states()).some((s) => s.in_progress)).toBe(false);
  });

  it('drops a released row whose file is already pending again', async () => {
    await row('f.fits', { in_progress: true, worker: `siq1@${HOST}:4000000#0`, heartbeat_at: NOW });
    await row('f.fits');
    const r = await runVerb(t.db, q, 'release', {}, { pidAlive: deadPid });
    expect(r.done.released).toBe(1);
    expect(await states()).toEqual([{ filename: 'f.fits', failed: false, in_progress: false, worker: null }]);
  });
});

describe('queue dedupe (the runbook duplicate-entry case)', () => {
  it('deletes a stuck failed or dead in-progress duplicate of a pending row, keeps a live one', async () => {
    await row('a.fits', { failed: true });
    await row('a.fits');
    await row('b.fits', {
      in_progress: true,
      worker: `seq1@${HOST}:4000000#0`,
      heartbeat_at: ago('1 hour'),
    });
    await row('b.fits');
    await row('c.fits', { in_progress: true, worker: `siq2@${HOST}:${process.pid}#0`, heartbeat_at: NOW });
    await row('c.fits');
    await row('d.fits', { failed: true }); // no duplicate: untouched
    const r = await runVerb(
      t.db,
      q,
      'dedupe',
      {},
      { deadSeconds: 30, pidAlive: (pid) => pid === process.pid },
    );
    expect(r.done.deleted).toBe(2);
    expect(r.refused).toBe(1);
    expect(await states()).toEqual([
      { filename: 'a.fits', failed: false, in_progress: false, worker: null },
      { filename: 'b.fits', failed: false, in_progress: false, worker: null },
      { filename: 'c.fits', failed: false, in_progress: true, worker: `siq2@${HOST}:${process.pid}#0` },
      { filename: 'c.fits', failed: false, in_progress: false, worker: null },
      { filename: 'd.fits', failed: true, in_progress: false, worker: null },
    ]);
  });

  it('after dedupe the runbook update of the stuck row is no longer needed: the pending row gets claimed', async () => {
    await row('a.fits', { failed: true });
    await row('a.fits');
    await runVerb(t.db, q, 'dedupe', {});
    expect((await engine.claim(t.db, q, 'w'))?.filename).toBe('a.fits');
  });
});

describe('queue purge', () => {
  it('deletes failed rows older than N days only', async () => {
    await row('old.fits', { failed: true, added: ago('40 days') });
    await row('new.fits', { failed: true });
    await row('oldpending.fits', { added: ago('40 days') });
    const dry = await runVerb(t.db, q, 'purge', {}, { olderThanDays: 30, dryRun: true });
    expect(dry.plan.map((x) => x.filename)).toEqual(['old.fits']);
    const r = await runVerb(t.db, q, 'purge', {}, { olderThanDays: 30 });
    expect(r.done.deleted).toBe(1);
    expect((await states()).map((s) => s.filename)).toEqual(['new.fits', 'oldpending.fits']);
  });
});

describe('export queue keys include the destination', () => {
  it('retries a failed export next to a pending row for another destination', async () => {
    const e = QUEUES.export;
    await queueRows(t.db, 'export', [
      { filename: 'x.fits', path: '', destination: 'http://a', failed: true },
      { filename: 'x.fits', path: '', destination: 'http://b', failed: false },
    ]);
    const r = await runVerb(t.db, e, 'retry', {});
    expect(r.done).toEqual({ deleted: 0, unfailed: 1, released: 0 });
  });
});

describe('holder state', () => {
  it('judges a holder by pid on this host and by heartbeat elsewhere', () => {
    const now = Date.now();
    expect(
      holderState({ worker: `a@${HOST}:1#0`, heartbeat_at: new Date(now) }, 30, now, HOST, () => false).alive,
    ).toBe(false);
    expect(
      holderState({ worker: 'a@elsewhere:1#0', heartbeat_at: new Date(now - 5000) }, 30, now, HOST).alive,
    ).toBe(true);
    expect(
      holderState({ worker: 'a@elsewhere:1#0', heartbeat_at: new Date(now - 60_000) }, 30, now, HOST).alive,
    ).toBe(false);
    expect(holderState({ worker: null, heartbeat_at: null }, 30, now, HOST).alive).toBe(false);
  });
});
