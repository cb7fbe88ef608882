import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { enqueueIngest } from '../../src/services/ingest/ingestqueue.js';
import { rewriteHeader } from '../../src/services/headers/headerrewrite.js';
import { sampleFits, sampleName } from '../../src/gemini/samples.js';
import { runCli } from '../helpers/cli.js';
import { createTestDb, type TestDb } from '../helpers/db.js';
import {
  count,
  FAST_PARAMS,
  ingestedCount,
  inStore,
  md5,
  md5File,
  morePasses,
  Rig,
  settle,
} from './helpers.js';
import { sampleFile } from '../helpers/fixtures.js';
import { waitFor } from '../helpers/wait.js';

// Things happening twice or at once: two copy-from-dhs daemons on one DHS directory (started
// without --lockfile, as a mistake would), and one file queued by cron, by copy-from-dhs and by a
// header update at the same moment.

let t: TestDb;
const rigs: Rig[] = [];

beforeAll(async () => {
  t = await createTestDb('faults_concurrency');
  await t.db.query(FAST_PARAMS);
});
afterAll(async () => {
  for (const r of rigs) await r.cleanup();
  await t?.drop();
});

function rig() {
  const r = new Rig(t.url);
  rigs.push(r);
  return r;
}

const quietPasses = (out: string) => out.replace(/.*(Pass complete|new files to check).*\n/g, '');

describe('duplicate and simultaneous work', () => {
  it('two copy-from-dhs daemons on the same DHS directory: every file ingested once, no duplicate versions', async () => {
    const r = rig();
    const siq1 = await r.ingester('siq-dup1');
    const siq2 = await r.ingester('siq-dup2');
    const [c1, c2] = await Promise.all([r.copier('--name', 'dup1'), r.copier('--name', 'dup2')]);
    const good = new Map<string, string>();
    for (let serial = 1; serial <= 30; serial++) {
      const spec = { serial, date: '20250801', bz2: serial % 3 === 0, extensions: serial % 4 === 0 ? 2 : 0 };
      const f = sampleFile(spec);
      writeFileSync(path.join(r.dhs, f.name), f.bytes);
      good.set(f.name, md5(f.bytes));
    }
    await waitFor(async () => (await ingestedCount(t.db, [...good.keys()])) === good.size, {
      timeout: 180_000,
      what: () => `all ingested:\n${quietPasses(c1.output).slice(-1500)}\n${siq1.output.slice(-1000)}`,
    });
    await waitFor(async () => (await count(t.db, `SELECT count(*) AS n FROM ingestqueue`)) === 0, {
      timeout: 60_000,
      what: 'queue drained',
    });
    await Promise.all([morePasses(c1), morePasses(c2)]);
    const copies = [...good.keys()].map(
      (n) => c1.lines(new RegExp(`Copying ${n}`)).length + c2.lines(new RegExp(`Copying ${n}`)).length,
    );
    const ingested = [...good.keys()].map(
      (n) => siq1.lines(new RegExp(`ingested ${n}`)).length + siq2.lines(new RegExp(`ingested ${n}`)).length,
    );
    expect(await r.stopAll()).toEqual([0, 0, 0, 0]);
    const s = await settle('two copy-from-dhs daemons on one DHS directory', t.db, r.store, {
      good,
      versions: new Map([...good.keys()].map((n) => [n, 1])),
    });
    console.info(
      `duplicate copy-from-dhs: ${copies.reduce((a, b) => a + b, 0)} copies of ${good.size} files (${copies.filter((c) => c > 1).length} copied by both)`,
    );
    expect(s.problems).toEqual([]);
    expect(
      ingested.every((n) => n === 1),
      `ingested counts ${ingested}`,
    ).toBe(true);
    // Without a lock both may copy a file; each copy is whole (temp + rename), and never more than one per daemon.
    expect(Math.max(...copies)).toBeLessThanOrEqual(2);
  }, 300_000);

  it('one file queued by cron, copy-from-dhs and a header update at once: the right versions, the last content canonical; a copy-from-dhs restart does not undo the update', async () => {
    const r = rig();
    const siq1 = await r.ingester('siq-race1');
    const siq2 = await r.ingester('siq-race2');
    const spec = { serial: 1, date: '20250802', extensions: 1, size: 256 };
    const name = sampleName(spec);
    const original = sampleFits(spec);
    const stored = path.join(r.store, name);
    writeFileSync(path.join(r.dhs, name), original);
    const copier = await r.copier('--name', 'race');
    // cron: add-to-ingest-queue every ~half second, for the whole race.
    let racing = true;
    let runs = 0;
    const cron = (async () => {
      while (racing) {
        const res = await runCli(['add-to-ingest-queue', '--filename', name], { config: r.config });
        if (res.code !== 0) throw new Error(`add-to-ingest-queue failed: ${res.stderr}`);
        runs++;
      }
      return runs;
    })();
    // The header update (QA state), the moment the file is in the store: in place, same size.
    await waitFor(() => inStore(r.store, name), {
      timeout: 90_000,
      what: () => `${name} copied:\n${quietPasses(copier.output).slice(-1500)}`,
    });
    const qa = await rewriteHeader(stored, () => ({ set: [{ keyword: 'RAWGEMQA', value: 'USABLE' }] }));
    expect(qa.unchanged).toBe(false);
    await enqueueIngest(t.db, [{ filename: name, force_md5: true }]);
    const afterQa = await md5File(stored);
    // The race goes on until cron has queued the file a few more times after the update.
    const runsAtUpdate = runs;
    // (A failing cron run ends the race at once with its own error.)
    await Promise.race([
      waitFor(() => runs >= runsAtUpdate + 3, { timeout: 60_000, what: 'three more cron runs' }),
      cron,
    ]);
    racing = false;
    await cron; // rethrows a failed add-to-ingest-queue run
    const canonical = async () =>
      (
        await t.db.query(`SELECT file_md5 FROM diskfile WHERE filename = $1 AND present AND canonical`, [
          name,
        ])
      ).rows[0]?.file_md5;
    await waitFor(
      async () =>
        (await canonical()) === afterQa && (await count(t.db, `SELECT count(*) AS n FROM ingestqueue`)) === 0,
      {
        timeout: 90_000,
        what: () =>
          `the header-updated content is canonical:\n${siq1.output.slice(-1500)}\n${siq2.output.slice(-1500)}`,
      },
    );
    const versions1 = (
      await t.db.query(`SELECT file_md5 FROM diskfile WHERE filename = $1 ORDER BY id`, [name])
    ).rows.map((x) => x.file_md5);
    // The original may have been ingested before the update landed, or not: nothing else.
    expect([[md5(original), afterQa], [afterQa]]).toContainEqual(versions1);

    // A second update that grows the header (history lines: a size change), then copy-from-dhs
    // restarts: the store's file differs from the DHS one on purpose and must stay as it is.
    const history = Array.from({ length: 60 }, (_, i) => `fault suite: header update line ${i + 1}`);
    const grown = await rewriteHeader(stored, () => ({
      set: [{ keyword: 'RAWGEMQA', value: 'PASS' }],
      history,
    }));
    expect(grown.inPlace).toBe(false);
    await enqueueIngest(t.db, [{ filename: name, force_md5: true }]);
    const final = await md5File(stored);
    await waitFor(async () => (await canonical()) === final, {
      timeout: 90_000,
      what: 'the grown header is canonical',
    });
    copier.child.kill('SIGTERM');
    expect(await copier.exited).toBe(0);
    const again = await r.copier('--name', 'race-restarted');
    // Several passes of the restarted copier (poll 0.3 s, min_age 0.5 s).
    await waitFor(() => again.lines(/Pass complete/).length >= 10, {
      timeout: 60_000,
      what: 'ten passes after the restart',
    });
    await waitFor(async () => (await count(t.db, `SELECT count(*) AS n FROM ingestqueue`)) === 0, {
      timeout: 60_000,
      what: 'queue drained',
    });
    const recopied = again.lines(new RegExp(`Copying ${name}`));
    expect(await r.stopAll()).toEqual([0, 0, 0]);
    const s = await settle('one file from cron, copy-from-dhs and a header update at once', t.db, r.store, {
      good: new Map([[name, final]]),
    });
    expect(s.problems).toEqual([]);
    expect(recopied, 'copy-from-dhs copied the DHS original over the updated file').toEqual([]);
  }, 360_000);
});
