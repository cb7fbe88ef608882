import { readdirSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sampleFits, sampleName } from '../../src/gemini/samples.js';
import { enqueueIngest } from '../../src/services/ingest/ingestqueue.js';
import { createTestDb, type TestDb } from '../helpers/db.js';
import { startFakeArchive, type FakeArchive } from '../helpers/fakearchive.js';
import {
  count,
  FAST_PARAMS,
  inStore,
  md5,
  md5File,
  Rig,
  setMtime,
  settle,
  tempLeftovers,
  writeBigFits,
} from './helpers.js';
import { waitFor } from '../helpers/wait.js';

// SIGKILL of each daemon in the middle of an item. The e2e test already kills an ingest worker
// while it reads a file; here: copy-from-dhs in the middle of copying a big file, copy-from-dhs
// between the rename into the store and the enqueue, and an ingest worker inside its database
// transaction, and an export worker in the middle of an upload.

let t: TestDb;
const rigs: Rig[] = [];
let archive: FakeArchive | undefined;

beforeAll(async () => {
  t = await createTestDb('faults_sigkill');
  await t.db.query(FAST_PARAMS);
});
afterAll(async () => {
  for (const r of rigs) await r.cleanup();
  await archive?.close();
  await t?.drop();
});

function rig(config?: Record<string, unknown>) {
  const r = new Rig(t.url, { config });
  rigs.push(r);
  return r;
}

/** The backend of another session of ours that waits on a lock while running `like`. */
async function blockedBackend(like: string): Promise<number | null> {
  const r = await t.db.query(
    `SELECT pid FROM pg_stat_activity
     WHERE datname = current_database() AND wait_event_type = 'Lock' AND query LIKE $1 AND pid <> pg_backend_pid()`,
    [like],
  );
  return r.rows[0]?.pid ?? null;
}

describe('SIGKILL of a daemon in the middle of an item', () => {
  it('copy-from-dhs killed while copying a file: no partial file at the final name; the copy completes after restart', async () => {
    const r = rig();
    const siq = await r.ingester('siq-copykill');
    const name = 'N20250401S0001.fits';
    const dhsFile = path.join(r.dhs, name);
    writeBigFits(dhsFile, 100_000_000);
    setMtime(dhsFile, -60_000);
    const want = await md5File(dhsFile);

    const copier = await r.copier('--name', 'victim');
    // Kill it the moment its temporary file in the store has bytes in it: paused (SIGSTOP) while
    // the size is looked at, so the copy cannot finish between the look and the kill. Checked
    // every 10 ms, while hashing and writing 100 MB takes a few hundred.
    let temp = '';
    await waitFor(
      () => {
        const tmp = tempLeftovers(r.store).find((n) => n.startsWith(`.${name}.tmp-`));
        if (!tmp) return false;
        copier.child.kill('SIGSTOP');
        if (statSync(path.join(r.store, tmp)).size > 0) {
          copier.child.kill('SIGKILL');
          temp = tmp;
          return true;
        }
        copier.child.kill('SIGCONT');
        return false;
      },
      {
        timeout: 120_000,
        what: () => `copy-from-dhs started copying ${name}:\n${copier.output.slice(-2000)}`,
        interval: 10,
      },
    );
    await copier.exited;
    // Killed before the rename: the bytes so far sit only under the hidden temporary name.
    expect(readdirSync(r.store)).toContain(temp);
    expect(inStore(r.store, name)).toBe(false);
    expect(await count(t.db, `SELECT count(*) AS n FROM ingestqueue WHERE filename = $1`, [name])).toBe(0);
    expect(await count(t.db, `SELECT count(*) AS n FROM diskfile WHERE filename = $1`, [name])).toBe(0);

    // A small file arriving while copy-from-dhs is down is caught up too.
    const small = { serial: 2, date: '20250401' };
    writeFileSync(path.join(r.dhs, sampleName(small)), sampleFits(small));
    const restarted = await r.copier('--name', 'restarted');
    await waitFor(
      async () =>
        (await count(
          t.db,
          `SELECT count(*) AS n FROM diskfile WHERE present AND filename = ANY($1::text[])`,
          [[name, sampleName(small)]],
        )) === 2,
      {
        timeout: 240_000,
        what: () =>
          `both files ingested after the restart:\n${restarted.output.slice(-2000)}\n${siq.output.slice(-2000)}`,
      },
    );
    expect(await r.stopAll()).toEqual([0, 0]);

    const killedPid = copier.child.pid!;
    const s = await settle('SIGKILL copy-from-dhs mid-copy', t.db, r.store, {
      good: new Map([
        [name, want],
        [sampleName(small), md5(sampleFits(small))],
      ]),
      // The killed process's temp file is an obvious leftover (hidden, .tmp-<pid>-), never a real name.
      allowTemp: (n) => n.includes(`.tmp-${killedPid}-`),
    });
    expect(s.problems).toEqual([]);
  }, 420_000);

  it('copy-from-dhs killed after the rename, before its enqueue committed: the file is still ingested', async () => {
    const r = rig();
    const spec = { serial: 1, date: '20250402' };
    const name = sampleName(spec);
    const bytes = sampleFits(spec);
    writeFileSync(path.join(r.dhs, name), bytes);
    setMtime(path.join(r.dhs, name), -60_000);

    // Hold the ingest queue so the copier's INSERT waits: the file is in the store by then.
    const holder = new pg.Client({ connectionString: t.url });
    await holder.connect();
    try {
      await holder.query('BEGIN');
      await holder.query('LOCK TABLE ingestqueue IN EXCLUSIVE MODE');
      const copier = await r.copier('--name', 'victim');
      let backend: number | null = null;
      await waitFor(async () => (backend = await blockedBackend('%INSERT INTO ingestqueue%')) !== null, {
        timeout: 60_000,
        what: () => `copy-from-dhs reached its enqueue:\n${copier.output.slice(-2000)}`,
      });
      expect(inStore(r.store, name)).toBe(true);
      copier.child.kill('SIGKILL');
      await copier.exited;
      // The process died before its INSERT committed: end that statement the way a dropped
      // connection does before the lock is granted.
      await t.db.query('SELECT pg_terminate_backend($1)', [backend]);
      await holder.query('ROLLBACK');
    } finally {
      await holder.end();
    }
    expect(await count(t.db, `SELECT count(*) AS n FROM ingestqueue WHERE filename = $1`, [name])).toBe(0);

    // The state a crash leaves: copied, not queued. Restarted, copy-from-dhs must not treat the
    // file as finished just because it is in the store.
    const siq = await r.ingester('siq-enqkill');
    const restarted = await r.copier('--name', 'restarted');
    let ok = true;
    try {
      await waitFor(
        async () =>
          (await count(t.db, `SELECT count(*) AS n FROM diskfile WHERE present AND filename = $1`, [
            name,
          ])) === 1,
        {
          timeout: 45_000,
          what: () =>
            `${name} ingested after copy-from-dhs restarted:\n${restarted.output.slice(-1500)}\n${siq.output.slice(-800)}`,
        },
      );
    } catch (e) {
      ok = false;
      console.warn((e as Error).message);
    }
    await r.stopAll();
    const s = await settle('SIGKILL copy-from-dhs between rename and enqueue', t.db, r.store, {
      good: new Map([[name, md5(bytes)]]),
    });
    expect(ok, 'the copied-but-not-queued file was ingested').toBe(true);
    expect(s.problems).toEqual([]);
  }, 240_000);

  it('ingest worker killed inside its database transaction: nothing half-written, the old version stays canonical, the new one is ingested', async () => {
    const r = rig();
    const spec = { serial: 1, date: '20250403' };
    const name = sampleName(spec);
    const file = path.join(r.store, name);
    const v1 = sampleFits(spec);
    writeFileSync(file, v1);
    setMtime(file, -120_000);
    const first = await r.ingester('first');
    await enqueueIngest(t.db, [{ filename: name }]);
    await waitFor(
      async () =>
        (await count(t.db, `SELECT count(*) AS n FROM diskfile WHERE present AND filename = $1`, [name])) ===
        1,
      { timeout: 60_000, what: 'version 1 ingested' },
    );
    first.child.kill('SIGTERM');
    expect(await first.exited).toBe(0);

    // Version 2 (a header change), queued; the victim blocks on the lock of fulltextheader.
    const v2 = sampleFits({ ...spec, extraCards: [['HISTORY', 'reprocessed by the fault suite']] });
    writeFileSync(file, v2);
    setMtime(file, -60_000);
    const holder = new pg.Client({ connectionString: t.url });
    await holder.connect();
    let victimPid = 0;
    let victimBackend: number | null = null;
    try {
      await holder.query('BEGIN');
      await holder.query('LOCK TABLE fulltextheader IN SHARE ROW EXCLUSIVE MODE');
      const victim = await r.ingester('victim');
      victimPid = victim.child.pid!;
      await enqueueIngest(t.db, [{ filename: name }]);
      await waitFor(
        // The version is one statement (file, diskfile, header, fulltext); pg_stat_activity keeps
        // only its first 1 kB, so match its start. It waits for the fulltextheader lock.
        async () => (victimBackend = await blockedBackend('%INSERT INTO file (name)%')) !== null,
        {
          timeout: 60_000,
          what: () => `the victim is inside its transaction:\n${victim.output.slice(-2000)}`,
        },
      );
      victim.child.kill('SIGKILL');
      await victim.exited;
      await holder.query('COMMIT');
    } finally {
      await holder.end();
    }
    // PostgreSQL rolls the dead client's transaction back once its backend notices and exits:
    // version 1 is untouched.
    await waitFor(
      async () =>
        (await count(t.db, `SELECT count(*) AS n FROM pg_stat_activity WHERE pid = $1`, [victimBackend])) ===
        0,
      { timeout: 30_000, what: `the killed worker's backend (pid ${victimBackend}) gone` },
    );
    const mid = await t.db.query(
      `SELECT present, canonical, file_md5 FROM diskfile WHERE filename = $1 ORDER BY id`,
      [name],
    );
    expect(mid.rows).toEqual([{ present: true, canonical: true, file_md5: md5(v1) }]);
    const held = await t.db.query(`SELECT worker FROM ingestqueue WHERE filename = $1 AND in_progress`, [
      name,
    ]);
    expect(held.rows.map((x) => x.worker)[0]).toMatch(new RegExp(`^victim@.+:${victimPid}#0$`));

    // A surviving worker on the same host sees the holder's pid is dead and takes the item over.
    const rescuer = await r.ingester('rescuer');
    await waitFor(
      async () => (await count(t.db, `SELECT count(*) AS n FROM diskfile WHERE filename = $1`, [name])) === 2,
      { timeout: 60_000, what: () => `the rescuer ingested version 2:\n${rescuer.output.slice(-2000)}` },
    );
    await waitFor(
      async () =>
        (await count(t.db, `SELECT count(*) AS n FROM ingestqueue WHERE filename = $1`, [name])) === 0,
      { timeout: 30_000, what: 'queue row done' },
    );
    expect(await r.stopAll()).toEqual([0]);
    const s = await settle('SIGKILL ingest worker inside its transaction', t.db, r.store, {
      good: new Map([[name, md5(v2)]]),
      versions: new Map([[name, 2]]),
    });
    expect(s.problems).toEqual([]);
    const orphans = await count(
      t.db,
      `SELECT count(*) AS n FROM diskfile df WHERE NOT EXISTS (SELECT 1 FROM header h WHERE h.diskfile_id = df.id)
         OR NOT EXISTS (SELECT 1 FROM fulltextheader f WHERE f.diskfile_id = df.id)`,
    );
    expect(orphans).toBe(0);
  }, 300_000);

  it('export worker killed in the middle of an upload: another worker takes the row over and the destination gets the file once, whole', async () => {
    archive = await startFakeArchive();
    archive.cookie = 'fault-suite';
    const r = rig({ export: { destinations: [{ url: archive.url, upload_auth: 'fault-suite' }] } });
    const spec = { serial: 1, date: '20250404', extensions: 2, size: 64 };
    const name = sampleName(spec);
    const bytes = sampleFits(spec);
    writeFileSync(path.join(r.store, name), bytes);
    setMtime(path.join(r.store, name), -60_000);
    // The destination takes the bytes and never answers: the upload stays in flight.
    archive.uploadMode = 'hang';
    const victim = r.start(['service-queue', 'export', '--name', 'victim']);
    await victim.waitFor(/servicing exportqueue/);
    const siq = await r.ingester('siq-export');
    await enqueueIngest(t.db, [{ filename: name }]);
    await waitFor(
      async () =>
        (await count(
          t.db,
          `SELECT count(*) AS n FROM exportqueue WHERE filename = $1 AND in_progress AND worker LIKE 'victim@%'`,
          [name],
        )) === 1 && /transferring/.test(victim.output),
      {
        timeout: 90_000,
        what: () => `the victim is uploading:\n${victim.output.slice(-1500)}\n${siq.output.slice(-800)}`,
      },
    );
    victim.child.kill('SIGKILL');
    await victim.exited;
    expect(archive.received.filter((x) => x.name === `${name}.bz2`)).toHaveLength(0);

    archive.uploadMode = 'ok';
    const rescuer = r.start(['service-queue', 'export', '--name', 'rescuer']);
    await waitFor(
      async () =>
        (await count(t.db, `SELECT count(*) AS n FROM exportqueue WHERE filename = $1`, [name])) === 0,
      { timeout: 90_000, what: () => `the rescuer exported the file:\n${rescuer.output.slice(-1500)}` },
    );
    const got = archive.received.filter((x) => x.name === `${name}.bz2`);
    expect(got).toHaveLength(1);
    expect(got[0].dataMd5).toBe(md5(bytes));
    expect(got[0].cookie).toBe('fault-suite');
    expect(await r.stopAll()).toEqual([0, 0]);
    const s = await settle('SIGKILL export worker mid-upload', t.db, r.store, {
      good: new Map([[name, md5(bytes)]]),
    });
    expect(s.problems).toEqual([]);
  }, 300_000);
});
