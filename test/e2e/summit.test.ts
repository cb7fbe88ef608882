import { closeSync, mkdirSync, openSync, writeFileSync, writeSync, ftruncateSync } from 'node:fs';
import path from 'node:path';
import type { ChildProcess } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { brokenSample, bzip2, sampleFits, sampleName, type BrokenKind } from '../../src/gemini/samples.js';
import { headerBlocks } from '../../src/fits/write.js';
import { enqueueIngest } from '../../src/services/ingest/ingestqueue.js';
import { createTestDb, type TestDb } from '../helpers/db.js';
import { spawnCli, watch, writeConfig } from '../helpers/cli.js';
import { tempDir } from '../helpers/env.js';
import { sampleFile } from '../helpers/fixtures.js';
import { waitFor } from '../helpers/wait.js';

let t: TestDb;
let tmp: ReturnType<typeof tempDir>;
let config: string;
let dhs: string;
let store: string;
const children: ChildProcess[] = [];

beforeAll(async () => {
  t = await createTestDb('e2e_summit');
  tmp = tempDir('e2e');
  dhs = path.join(tmp.dir, 'dhs');
  store = path.join(tmp.dir, 'dataflow');
  mkdirSync(dhs, { recursive: true });
  config = writeConfig(tmp.dir, {
    role: 'summit',
    database: { url: t.url },
    paths: {
      var_dir: tmp.dir,
      dhs_dir: dhs,
      storage_root: store,
      log_dir: path.join(tmp.dir, 'logs'),
      lock_dir: path.join(tmp.dir, 'lock'),
    },
    dhs: { min_age_seconds: 0.5, poll_seconds: 0.3, bad_after_seconds: 2 },
  });
  await t.db.query(
    `UPDATE system_parameters SET poll_seconds = 0.5, heartbeat_seconds = 0.5, dead_worker_seconds = 30, ingest_defer_seconds = 0, dhs_settle_seconds = 1`,
  );
});
afterAll(async () => {
  for (const c of children) c.kill('SIGKILL');
  await t?.drop();
  tmp?.cleanup();
});

function start(args: string[]) {
  const c = spawnCli(args, { config });
  children.push(c);
  const w = watch(c);
  return {
    child: c,
    waitFor: w.waitFor,
    exited: w.exited,
    get output() {
      return w.output;
    },
  };
}

describe('summit ingest path, end to end', () => {
  it('200 files dropped into the DHS dir while copy-from-dhs and two ingest workers run', async () => {
    const copier = start(['copy-from-dhs', '--debug']);
    const siq1 = start(['service-queue', 'ingest', '--name', 'siq1']);
    const siq2 = start(['service-queue', 'ingest', '--name', 'siq2']);
    await copier.waitFor(/watching/);
    await siq1.waitFor(/servicing ingestqueue/);
    await siq2.waitFor(/servicing ingestqueue/);

    const good: string[] = [];
    const bad = new Map<string, BrokenKind>();
    const kinds: BrokenKind[] = ['not-fits', 'truncated', 'no-telescop', 'zero-bytes', 'missing-end'];
    // The partial file: half written now, the rest later.
    const partialSpec = { serial: 9999, date: '20250301', extensions: 3, size: 64 };
    const partialName = sampleName(partialSpec);
    const partialBytes = sampleFits(partialSpec);
    const fd = openSync(path.join(dhs, partialName), 'w');
    writeSync(fd, partialBytes.subarray(0, Math.floor(partialBytes.length / 2)));

    for (let i = 1; i <= 199; i++) {
      const spec = { serial: i, date: '20250301', extensions: i % 5 === 0 ? 2 : 0, bz2: i % 4 === 0 };
      const name = sampleName(spec);
      if (i % 20 === 7) {
        const kind = kinds[(i / 20) | (0 % kinds.length)] ?? kinds[i % kinds.length];
        bad.set(name, kind);
        writeFileSync(
          path.join(dhs, name),
          spec.bz2 ? bzip2(brokenSample(kind, spec)) : brokenSample(kind, spec),
        );
      } else {
        good.push(name);
        writeFileSync(path.join(dhs, name), sampleFile(spec).bytes);
      }
    }
    // Hidden, temporary and directory entries are ignored.
    writeFileSync(path.join(dhs, '.vtoc_internal'), 'x');
    mkdirSync(path.join(dhs, '.snapshot'));

    // Several passes of the copier over the half-written file (not a guess at how long they take).
    const passes = () => copier.output.split('\n').filter((l) => l.includes('Pass complete')).length;
    const passesBefore = passes();
    await waitFor(() => passes() >= passesBefore + 3, {
      timeout: 60_000,
      what: () => `three passes of copy-from-dhs:\n${copier.output.slice(-1500)}`,
    });
    const early = await t.db.query(`SELECT count(*)::int AS n FROM diskfile WHERE filename = $1`, [
      partialName,
    ]);
    expect(early.rows[0].n).toBe(0);
    writeSync(fd, partialBytes.subarray(Math.floor(partialBytes.length / 2)));
    closeSync(fd);
    good.push(partialName);

    await waitFor(
      async () => {
        const r = await t.db.query(`SELECT count(*)::int AS n FROM diskfile WHERE present AND canonical`);
        const e = await t.db.query(`SELECT count(DISTINCT filename)::int AS n FROM queue_error`);
        return r.rows[0].n >= good.length && e.rows[0].n >= bad.size;
      },
      { timeout: 120_000, what: 'all good files ingested and all bad files reported' },
    );

    const rows = await t.db.query(
      `SELECT df.filename, count(*)::int AS versions, bool_and(df.present AND df.canonical) AS ok, count(h.id)::int AS headers
       FROM diskfile df LEFT JOIN header h ON h.diskfile_id = df.id GROUP BY df.filename`,
    );
    const byName = new Map(rows.rows.map((r) => [r.filename, r]));
    for (const name of good) {
      expect(byName.get(name), name).toMatchObject({ versions: 1, ok: true, headers: 1 });
    }
    for (const name of bad.keys()) expect(byName.has(name), name).toBe(false);
    const errors = await t.db.query(`SELECT filename, error FROM queue_error`);
    for (const [name] of bad) {
      const e = errors.rows.find((r) => r.filename === name);
      expect(e, name).toBeDefined();
      expect(e!.error).toContain(name);
      expect(e!.error).toMatch(/not copied from DHS: .+/);
    }
    // The partial file was copied exactly once, after it was complete.
    const copies = copier.output.split('\n').filter((l) => l.includes(`Copying ${partialName}`));
    expect(
      copies,
      copier.output
        .split('\n')
        .filter((l) => l.includes(partialName))
        .join('\n'),
    ).toHaveLength(1);
    expect(copier.output).toMatch(/Ignoring directory: \.snapshot/);
    expect(copier.output).toMatch(/Ignoring tmp file: \.vtoc_internal/);

    for (const p of [copier, siq1, siq2]) p.child.kill('SIGTERM');
    const codes = await Promise.all([copier.exited, siq1.exited, siq2.exited]);
    expect(codes).toEqual([0, 0, 0]);
    const left = await t.db.query(`SELECT count(*)::int AS n FROM ingestqueue WHERE in_progress`);
    expect(left.rows[0].n).toBe(0);
  });

  it('kill -9 of an ingest worker holding an item: the other worker processes it within 60 s', async () => {
    // A sparse file keeps a worker busy (md5 over 150 MB of zeros) long enough to kill it: the
    // claim is watched every 10 ms, the hash takes a few hundred.
    mkdirSync(store, { recursive: true });
    const name = 'N20250302S0001.fits';
    const header = headerBlocks([
      ['SIMPLE', true],
      ['BITPIX', 8],
      ['NAXIS', 1],
      ['NAXIS1', 150_000_000],
      ['TELESCOP', 'Gemini-North'],
      ['INSTRUME', 'GMOS-N'],
    ]);
    const fd = openSync(path.join(store, name), 'w');
    writeSync(fd, header);
    ftruncateSync(fd, header.length + 150_000_000 + ((2880 - (150_000_000 % 2880)) % 2880));
    closeSync(fd);
    const { utimesSync } = await import('node:fs');
    utimesSync(path.join(store, name), new Date(Date.now() - 60_000), new Date(Date.now() - 60_000));

    const victim = start(['service-queue', 'ingest', '--name', 'victim']);
    await victim.waitFor(/servicing ingestqueue/);
    await enqueueIngest(t.db, [{ filename: name }]);
    await waitFor(
      async () =>
        (
          await t.db.query(
            `SELECT 1 FROM ingestqueue WHERE filename = $1 AND in_progress AND worker LIKE 'victim@%'`,
            [name],
          )
        ).rowCount === 1,
      { interval: 10, what: () => `victim holds the item: ${victim.output.slice(-2000)}` },
    );
    victim.child.kill('SIGKILL');
    const rescuer = start(['service-queue', 'ingest', '--name', 'rescuer']);
    await waitFor(
      async () =>
        (await t.db.query(`SELECT 1 FROM diskfile WHERE filename = $1 AND present`, [name])).rowCount === 1 &&
        // The queue row goes a moment after the diskfile commits.
        (await t.db.query(`SELECT 1 FROM ingestqueue WHERE filename = $1`, [name])).rowCount === 0,
      { timeout: 60_000, what: 'the other worker ingested the item' },
    );
    expect(rescuer.output).toContain(`ingested ${name}`);
    rescuer.child.kill('SIGTERM');
    await rescuer.exited;
  });
});
