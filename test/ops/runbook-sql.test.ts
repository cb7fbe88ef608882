import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { runVerb } from '../../src/queues/verbs.js';
import { QUEUES } from '../../src/queues/tables.js';
import { createTestDb, type TestDb } from '../helpers/db.js';
import { ago, fileRows, headerRow, insertRows, NOW, queueRows } from '../helpers/fixtures.js';

// Every SQL snippet of the support notes (runbooks/fitsstorage-support-notes.rst), copied verbatim;
// only '<filename>' and '<program_id>' are substituted. If one of these stops running, an
// operator following the runbook at 3 a.m. hits the error instead of this test.
const SNIPPETS = {
  diskfile: `select * from Diskfile where filename='<filename>';`,
  canonical: `select * from Diskfile where filename='<filename>' and canonical;`,
  header: `select h.id, df.filename from Header h, Diskfile df where df.filename='<filename>' and df.canonical and h.diskfile_id=df.id`,
  ingestqueue: `select * from ingestqueue where filename='<filename>';`,
  ingestErrors: `select * from queue_error where filename='<filename>' and queue='INGEST' order by added desc;`,
  exportqueue: `select * from exportqueue where filename='<filename>' order by added desc;`,
  exportUnfail: `update exportqueue set failed=False where filename='<filename>';`,
  exportUnstick: `update exportqueue set in_progress=False where filename='<filename>';`,
  exportErrors: `select * from queue_error where queue='EXPORT' and filename='<filename>' order by date desc limit 5;`,
  notification: `select * from notification where selection like '%<program_id>%'`,
};

const FILE = 'N20200804S0091.fits';
const PROGRAM = 'GN-2019A-FT-211';
const sql = (k: keyof typeof SNIPPETS) =>
  SNIPPETS[k].replace(/<filename>/g, FILE).replace(/<program_id>/g, PROGRAM);

let t: TestDb;
beforeAll(async () => {
  t = await createTestDb('ops_runbook_sql');
});
afterAll(async () => t?.drop());
beforeEach(async () => {
  await t.db.query(
    'TRUNCATE file, diskfile, header, fulltextheader, ingestqueue, exportqueue, queue_error, notification CASCADE',
  );
});

/** A file ingested twice: an old version (not present, not canonical) and the current one. */
async function ingested() {
  const version = { filename: FILE, path: '' };
  const {
    diskfileIds: [, current],
  } = await fileRows(
    t.db,
    FILE,
    { ...version, present: false, canonical: false, file_md5: 'old', file_size: 10 },
    { ...version, present: true, canonical: true, file_md5: 'new', file_size: 20 },
  );
  await headerRow(t.db, current, { program_id: PROGRAM });
  return current;
}

describe('support-notes SQL runs verbatim against our schema', () => {
  it('healthy: the file is ingested, canonical, present, has a header and no queue rows', async () => {
    const id = await ingested();
    await t.db.query(
      `INSERT INTO notification (label, selection, piemail) VALUES ('FT', $1, 'pi@example.org')`,
      [`${PROGRAM}/science`],
    );
    expect((await t.db.query(sql('diskfile'))).rows).toHaveLength(2);
    const c = await t.db.query(sql('canonical'));
    expect(c.rows).toHaveLength(1);
    expect(c.rows[0]).toMatchObject({ id, present: true, canonical: true });
    expect((await t.db.query(sql('header'))).rows).toEqual([{ id: expect.any(Number), filename: FILE }]);
    expect((await t.db.query(sql('ingestqueue'))).rows).toEqual([]);
    expect((await t.db.query(sql('exportqueue'))).rows).toEqual([]);
    expect((await t.db.query(sql('ingestErrors'))).rows).toEqual([]);
    expect((await t.db.query(sql('exportErrors'))).rows).toEqual([]);
    expect((await t.db.query(sql('notification'))).rows.map((r) => r.piemail)).toEqual(['pi@example.org']);
  });

  it('cleared for space: a canonical record that is not present', async () => {
    const id = await ingested();
    await t.db.query('UPDATE diskfile SET present = false WHERE id = $1', [id]);
    expect((await t.db.query(sql('canonical'))).rows[0]).toMatchObject({ canonical: true, present: false });
  });

  it('broken: failed ingest and export rows, errors in queue_error, newest first', async () => {
    await queueRows(t.db, 'ingest', { filename: FILE, failed: true, error: 'bad FITS' });
    await insertRows(t.db, 'queue_error', [
      { queue: 'INGEST', filename: FILE, added: ago('1 hour'), date: ago('1 hour'), error: 'first' },
      { queue: 'INGEST', filename: FILE, added: NOW, date: NOW, error: 'second' },
      { queue: 'EXPORT', filename: FILE, added: NOW, date: NOW, error: 'archive said 500' },
    ]);
    await queueRows(t.db, 'export', { filename: FILE, destination: 'https://archive.example', failed: true });
    expect((await t.db.query(sql('ingestqueue'))).rows[0]).toMatchObject({
      failed: true,
      in_progress: false,
    });
    expect((await t.db.query(sql('ingestErrors'))).rows.map((r) => r.error)).toEqual(['second', 'first']);
    expect((await t.db.query(sql('exportErrors'))).rows.map((r) => r.error)).toEqual(['archive said 500']);
    expect((await t.db.query(sql('exportqueue'))).rows[0]).toMatchObject({ failed: true });
    const u = await t.db.query(sql('exportUnfail'));
    expect(u.rowCount).toBe(1);
    expect((await t.db.query(sql('exportqueue'))).rows[0]).toMatchObject({ failed: false });
  });

  it('broken: an export row left in_progress by a dead job is reset by the runbook update', async () => {
    await queueRows(t.db, 'export', {
      filename: FILE,
      destination: 'https://archive.example',
      in_progress: true,
      worker: 'seq1@gone:1#0',
      heartbeat_at: ago('1 day'),
    });
    expect((await t.db.query(sql('exportUnstick'))).rowCount).toBe(1);
    expect((await t.db.query(sql('exportqueue'))).rows[0]).toMatchObject({ in_progress: false });
  });

  it('broken: the duplicate-entry case — the constraint refuses the runbook update, as the notes say; queue dedupe resolves it', async () => {
    await queueRows(t.db, 'export', [
      { filename: FILE, destination: 'https://archive.example', failed: true },
      { filename: FILE, destination: 'https://archive.example', failed: false },
    ]);
    await expect(t.db.query(sql('exportUnfail'))).rejects.toMatchObject({ code: '23505' });
    const r = await runVerb(t.db, QUEUES.export, 'dedupe', { filename: `^${FILE}$` });
    expect(r.done.deleted).toBe(1);
    // The runbook update now runs without a constraint error (it touches the one remaining row).
    expect((await t.db.query(sql('exportUnfail'))).rowCount).toBe(1);
    expect((await t.db.query(sql('exportqueue'))).rows).toHaveLength(1);
  });

  it('missing file: every snippet still runs and returns nothing', async () => {
    for (const k of Object.keys(SNIPPETS) as (keyof typeof SNIPPETS)[]) {
      const r = await t.db.query(sql(k));
      expect(r.rowCount ?? 0).toBe(0);
    }
  });
});
