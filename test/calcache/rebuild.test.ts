import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { FrameFilterError } from '../../src/calcache/frames.js';
import { addToCalcacheQueue } from '../../src/services/archive/calcache.js';
import { addToPreviewQueue } from '../../src/services/archive/preview.js';
import { createTestDb, type TestDb } from '../helpers/db.js';
import { insertFrame } from './frames.js';

// add-to-calcache-queue and add-to-preview-queue: which frames they select.

let t: TestDb;
const now = new Date('2025-01-20T00:00:00Z');

beforeAll(async () => {
  t = await createTestDb('calcache_rebuild');
  const base = { observation_type: 'OBJECT' };
  await insertFrame(t.db, {
    ...base,
    name: 'N20250110S0001.fits',
    instrument: 'GMOS-N',
    ut: '2025-01-10T05:00:00Z',
  });
  await insertFrame(t.db, {
    ...base,
    name: 'N20250118S0001.fits',
    instrument: 'GMOS-N',
    ut: '2025-01-18T05:00:00Z',
  });
  await insertFrame(t.db, {
    ...base,
    name: 'S20250118S0001.fits',
    instrument: 'F2',
    ut: '2025-01-18T06:00:00Z',
  });
  await insertFrame(t.db, {
    ...base,
    name: 'N20250119S0001.fits',
    instrument: 'NIRI',
    ut: '2025-01-19T06:00:00Z',
    canonical: false,
  });
});
afterAll(async () => {
  await t?.drop();
});
beforeEach(async () => {
  await t.db.query(
    'DELETE FROM calcachequeue; DELETE FROM previewqueue; DELETE FROM calcache; DELETE FROM preview',
  );
});

async function queued(table: 'calcachequeue' | 'previewqueue'): Promise<string[]> {
  const r = await t.db.query(`SELECT filename FROM ${table} ORDER BY filename`);
  return r.rows.map((x) => x.filename);
}

describe('rebuild commands', () => {
  it('select by file name prefix, instrument (any spelling) and recent days; canonical versions only', async () => {
    expect((await addToCalcacheQueue(t.db, { filePre: 'N2025' })).queued).toBe(2);
    expect(await queued('calcachequeue')).toEqual(['N20250110S0001.fits', 'N20250118S0001.fits']);
    await t.db.query('DELETE FROM calcachequeue');
    await addToCalcacheQueue(t.db, { instrument: 'f2' });
    expect(await queued('calcachequeue')).toEqual(['S20250118S0001.fits']);
    await t.db.query('DELETE FROM calcachequeue');
    await addToCalcacheQueue(t.db, { lastdays: 5, now });
    expect(await queued('calcachequeue')).toEqual(['N20250118S0001.fits', 'S20250118S0001.fits']);
    await t.db.query('DELETE FROM calcachequeue');
    await addToCalcacheQueue(t.db, { lastdays: 5, instrument: 'GMOS-N', now });
    expect(await queued('calcachequeue')).toEqual(['N20250118S0001.fits']);
  });

  it('refuses to select everything unless told --all; LIKE wildcards in a prefix are literal', async () => {
    await expect(addToCalcacheQueue(t.db, {})).rejects.toThrow(FrameFilterError);
    expect((await addToCalcacheQueue(t.db, { all: true })).queued).toBe(3);
    expect((await addToCalcacheQueue(t.db, { filePre: 'N2025%' })).selected).toBe(0);
  });

  it('without --force, frames already done are skipped; re-adding a pending frame is a no-op', async () => {
    const hid = (
      await t.db.query(
        `SELECT h.id FROM header h JOIN diskfile df ON df.id = h.diskfile_id WHERE df.filename = 'N20250110S0001.fits'`,
      )
    ).rows[0].id;
    await t.db.query(`INSERT INTO calcache (obs_hid, cal_hid, caltype, rank) VALUES ($1, $1, 'bias', 1)`, [
      hid,
    ]);
    expect((await addToCalcacheQueue(t.db, { filePre: 'N' })).queued).toBe(1);
    expect(await addToCalcacheQueue(t.db, { filePre: 'N', force: true })).toMatchObject({
      queued: 1,
      alreadyPending: 1,
    });

    const dfid = (await t.db.query(`SELECT id FROM diskfile WHERE filename = 'N20250118S0001.fits'`)).rows[0]
      .id;
    await t.db.query(
      `INSERT INTO preview (diskfile_id, filename) VALUES ($1, 'previews/N20250118S0001_preview.jpg')`,
      [dfid],
    );
    expect((await addToPreviewQueue(t.db, { filePre: 'N' })).queued).toBe(1);
    await addToPreviewQueue(t.db, { filePre: 'N', force: true });
    const r = await t.db.query('SELECT filename, force FROM previewqueue ORDER BY filename');
    expect(r.rows).toEqual([
      { filename: 'N20250110S0001.fits', force: true },
      { filename: 'N20250118S0001.fits', force: true },
    ]);
  });
});
