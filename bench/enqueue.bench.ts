import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { addToIngestQueue } from '../src/services/summit/addtoingest.js';
import { enqueueIngest } from '../src/services/ingest/ingestqueue.js';
import { LocalStorage } from '../src/storage/local.js';
import { benchDb, benchName, emit, fmt, main, median, round, type BenchRow } from './lib.js';

// add-to-ingest-queue over 100k filenames:
//  - enqueueIngest on 100k names (the batched unnest insert, sortkeys computed per name)
//  - the same 100k again, all already pending (what a cron re-run over a full directory costs)
//  - addToIngestQueue over a directory of 100k empty files (listing + skip rules + enqueue)
//  - the same with --newfiles, which needs every file's mtime (listing + stat in batches)

const N = Number(process.env.BENCH_ENQUEUE_FILES ?? 100_000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);

main(async () => {
  const t = await benchDb('enqueue');
  const dir = mkdtempSync(path.join(os.tmpdir(), 'fitsstore-bench-enqueue-'));
  try {
    const names = Array.from({ length: N }, (_, i) => benchName(i));
    const store = path.join(dir, 'dataflow');
    mkdirSync(store);
    const tc = performance.now();
    for (const n of names) writeFileSync(path.join(store, n), '');
    const createSeconds = (performance.now() - tc) / 1000;
    const storage = new LocalStorage(store);

    const runs = {
      names: [] as number[],
      again: [] as number[],
      dir: [] as number[],
      newfiles: [] as number[],
    };
    for (let r = 0; r < ROUNDS; r++) {
      await t.db.query('TRUNCATE ingestqueue');
      await t.db.query('VACUUM ANALYZE ingestqueue');
      let t0 = performance.now();
      const first = await enqueueIngest(
        t.db,
        names.map((filename) => ({ filename })),
      );
      runs.names.push(N / ((performance.now() - t0) / 1000));
      if (first.queued !== N) throw new Error(`enqueueIngest queued ${first.queued} of ${N}`);

      t0 = performance.now();
      const again = await enqueueIngest(
        t.db,
        names.map((filename) => ({ filename })),
      );
      runs.again.push(N / ((performance.now() - t0) / 1000));
      if (again.alreadyPending !== N)
        throw new Error(`re-add: ${again.alreadyPending} of ${N} already pending`);

      await t.db.query('TRUNCATE ingestqueue');
      await t.db.query('VACUUM ANALYZE ingestqueue');
      t0 = performance.now();
      const added = await addToIngestQueue(t.db, storage, {});
      runs.dir.push(N / ((performance.now() - t0) / 1000));
      if (added.queued !== N)
        throw new Error(`addToIngestQueue queued ${added.queued} of ${N} (${JSON.stringify(added)})`);

      await t.db.query('TRUNCATE ingestqueue');
      await t.db.query('VACUUM ANALYZE ingestqueue');
      t0 = performance.now();
      const recent = await addToIngestQueue(t.db, storage, { newfiles: 1 });
      runs.newfiles.push(N / ((performance.now() - t0) / 1000));
      if (recent.queued !== N)
        throw new Error(`--newfiles queued ${recent.queued} of ${N} (${JSON.stringify(recent)})`);
      process.stderr.write(
        `enqueue round ${r + 1}: names ${fmt(runs.names[r])}/s, re-add ${fmt(runs.again[r])}/s, directory ${fmt(runs.dir[r])}/s, --newfiles ${fmt(runs.newfiles[r])}/s\n`,
      );
    }
    const list = (xs: number[]) => `runs: ${xs.map((x) => fmt(x)).join(', ')}`;
    const names_ = median(runs.names);
    const dirRate = median(runs.dir);
    const rows: BenchRow[] = [
      {
        name: `enqueueIngest, ${fmt(N)} new names`,
        value: round(names_),
        unit: 'files/s',
        target: '≥ 20,000 files/s',
        pass: names_ >= 20_000,
        detail: list(runs.names),
      },
      {
        name: `enqueueIngest, the same ${fmt(N)} names again (all already pending)`,
        value: round(median(runs.again)),
        unit: 'files/s',
        detail: list(runs.again),
      },
      {
        name: `addToIngestQueue over a directory of ${fmt(N)} empty files (list, skip rules, enqueue)`,
        value: round(dirRate),
        unit: 'files/s',
        target: '≥ 20,000 files/s',
        pass: dirRate >= 20_000,
        detail: list(runs.dir),
      },
      {
        name: `the same with --newfiles 1 (every file's mtime needed: stat, 256 at a time)`,
        value: round(median(runs.newfiles)),
        unit: 'files/s',
        detail: list(runs.newfiles),
      },
    ];
    emit({
      bench: 'enqueue',
      title: 'Enqueue (add-to-ingest-queue)',
      method:
        `${fmt(N)} Gemini-style names (N<date>S<serial>.fits). Timed: the whole call, sortkeys and ` +
        `batches of 5,000 rows included, into an empty ingestqueue (vacuumed before each run). ` +
        `${ROUNDS} rounds, median shown. Creating the ${fmt(N)} empty files took ${round(createSeconds, 1)} s (not timed).`,
      rows,
      notes: [
        'Without --newfiles the listing needs no stat: the directory entries say which names are regular files.',
      ],
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
    // Removing 100k files leaves journal work behind: finish it before the next bench runs.
    execFileSync('sync');
    await t.drop();
  }
});
