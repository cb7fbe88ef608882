import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDb, type TestDb } from '../helpers/db.js';
import * as engine from '../../src/queues/engine.js';
import { QUEUES } from '../../src/queues/tables.js';

const q = QUEUES.ingest;
let t: TestDb;
beforeAll(async () => {
  t = await createTestDb('engine');
});
afterAll(async () => t?.drop());

async function clear() {
  await t.db.query('TRUNCATE ingestqueue, queue_error');
}

describe('queue engine', () => {
  it('keeps one pending row per key and reports re-adds as already pending', async () => {
    await clear();
    const a = await engine.enqueue(t.db, q, [
      { filename: 'N20200101S0001.fits', sortkey: 'z1' },
      { filename: 'N20200101S0002.fits', sortkey: 'z2' },
      { filename: 'N20200101S0001.fits', sortkey: 'z1' },
    ]);
    expect(a).toEqual({ queued: 2, alreadyPending: 0 });
    const b = await engine.enqueue(t.db, q, [{ filename: 'N20200101S0001.fits', sortkey: 'z1' }]);
    expect(b).toEqual({ queued: 0, alreadyPending: 1 });
  });

  it('upgrades a pending row to force when re-added with force', async () => {
    await clear();
    await engine.enqueue(t.db, q, [{ filename: 'f.fits', sortkey: 'a' }]);
    await engine.enqueue(t.db, q, [{ filename: 'f.fits', sortkey: 'a', force: true }]);
    const r = await t.db.query('SELECT force FROM ingestqueue');
    expect(r.rows).toEqual([{ force: true }]);
  });

  it('claims newest sortkey first and skips deferred rows', async () => {
    await clear();
    await engine.enqueue(t.db, q, [
      { filename: 'old.fits', sortkey: 'z20200101' },
      { filename: 'new.fits', sortkey: 'z20250101' },
      { filename: 'later.fits', sortkey: 'z20300101', after: new Date(Date.now() + 60_000) },
    ]);
    const first = await engine.claim(t.db, q, 'w1');
    const second = await engine.claim(t.db, q, 'w2');
    const third = await engine.claim(t.db, q, 'w3');
    expect(first?.filename).toBe('new.fits');
    expect(second?.filename).toBe('old.fits');
    expect(third).toBeNull();
  });

  it('re-adding a file being processed queues it once more, but not claimable until the first ends', async () => {
    await clear();
    await engine.enqueue(t.db, q, [{ filename: 'x.fits', sortkey: 'z' }]);
    const held = await engine.claim(t.db, q, 'w1');
    const re = await engine.enqueue(t.db, q, [{ filename: 'x.fits', sortkey: 'z' }]);
    expect(re.queued).toBe(1);
    expect(await engine.claim(t.db, q, 'w2')).toBeNull();
    expect(await engine.complete(t.db, q, held!.id, 'w1')).toBe(true);
    const next = await engine.claim(t.db, q, 'w2');
    expect(next?.filename).toBe('x.fits');
  });

  it('writes to a claimed row are guarded by ownership', async () => {
    await clear();
    await engine.enqueue(t.db, q, [{ filename: 'y.fits', sortkey: 'z' }]);
    const row = await engine.claim(t.db, q, 'w1');
    expect(await engine.complete(t.db, q, row!.id, 'intruder')).toBe(false);
    expect(await engine.fail(t.db, q, row!, 'intruder', 'boom')).toBe(false);
    expect(await engine.fail(t.db, q, row!, 'w1', 'boom: bad file')).toBe(true);
    const e = await t.db.query(`SELECT queue, filename, error FROM queue_error`);
    expect(e.rows).toEqual([{ queue: 'INGEST', filename: 'y.fits', error: 'boom: bad file' }]);
    const c = await engine.counts(t.db, q);
    expect(c).toMatchObject({ pending: 0, in_progress: 0, failed: 1 });
  });

  it('defers a row and drops it when a pending duplicate covers it', async () => {
    await clear();
    await engine.enqueue(t.db, q, [{ filename: 'd.fits', sortkey: 'z' }]);
    const row = await engine.claim(t.db, q, 'w1');
    expect(await engine.defer(t.db, q, row!.id, 'w1', 30)).toBe(1);
    const r = await t.db.query(
      `SELECT in_progress, after > now() + interval '20 s' AS later FROM ingestqueue`,
    );
    expect(r.rows).toEqual([{ in_progress: false, later: true }]);
    await t.db.query(`UPDATE ingestqueue SET after = NULL`);
    const again = await engine.claim(t.db, q, 'w1');
    await engine.enqueue(t.db, q, [{ filename: 'd.fits', sortkey: 'z' }]);
    await engine.defer(t.db, q, again!.id, 'w1', 30);
    const rows = await t.db.query(`SELECT count(*)::int AS n FROM ingestqueue`);
    expect(rows.rows[0].n).toBe(1);
  });

  it('sweep returns rows of silent workers and fails rows that keep killing workers', async () => {
    await clear();
    await engine.enqueue(t.db, q, [
      { filename: 'a.fits', sortkey: 'z2' },
      { filename: 'b.fits', sortkey: 'z1' },
    ]);
    const a = await engine.claim(t.db, q, 'dead1');
    const b = await engine.claim(t.db, q, 'dead2');
    await t.db.query(`UPDATE ingestqueue SET heartbeat_at = now() - interval '1 hour'`);
    await t.db.query(`UPDATE ingestqueue SET attempts = 3 WHERE id = $1`, [b!.id]);
    const r = await engine.sweep(t.db, q, { deadSeconds: 30, maxAttempts: 3 });
    expect(r).toEqual({ released: 1, failed: 1 });
    const rows = await t.db.query(`SELECT filename, in_progress, failed FROM ingestqueue ORDER BY filename`);
    expect(rows.rows).toEqual([
      { filename: 'a.fits', in_progress: false, failed: false },
      { filename: 'b.fits', in_progress: false, failed: true },
    ]);
    // Most recent (highest sortkey) first: a went to dead1, b to dead2.
    expect([a!.filename, a!.worker, b!.filename, b!.worker]).toEqual(['a.fits', 'dead1', 'b.fits', 'dead2']);
    const e = await t.db.query(`SELECT error FROM queue_error WHERE filename = 'b.fits'`);
    expect(e.rows[0].error).toMatch(/died while processing/);
  });

  it('concurrent claimers never get the same row', async () => {
    await clear();
    const items = Array.from({ length: 300 }, (_, i) => ({ filename: `c${i}.fits`, sortkey: `z${i}` }));
    await engine.enqueue(t.db, q, items);
    const seen: number[] = [];
    await Promise.all(
      Array.from({ length: 8 }, async (_, w) => {
        for (;;) {
          const row = await engine.claim(t.db, q, `w${w}`);
          if (!row) return;
          seen.push(row.id);
          await engine.complete(t.db, q, row.id, `w${w}`);
        }
      }),
    );
    expect(seen.length).toBe(300);
    expect(new Set(seen).size).toBe(300);
  });
});
