import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseConfig } from '../src/config/load.js';
import type { Db } from '../src/db/pool.js';
import { getParams } from '../src/db/params.js';
import { silentLogger } from '../src/log/logger.js';
import { QUEUES } from '../src/queues/tables.js';
import { runWorker } from '../src/queues/worker.js';
import { makeIngestHandler, type IngestDeps } from '../src/services/ingest/ingest.js';
import { enqueueIngest } from '../src/services/ingest/ingestqueue.js';
import { sampleFits, sampleName } from '../src/gemini/samples.js';
import { LocalStorage } from '../src/storage/local.js';
import { benchDb, emit, fmt, main, median, nowMs, round, type BenchRow } from './lib.js';

// Ingest through the real queue: 500 new small files (one 1k×1k int16 image each, mtimes an hour
// ago), serviced by two ingest workers — two runWorker loops in one process, as `fitsstore up`
// runs them — then the same 500 files queued again, unchanged.

const QUICK = process.env.BENCH_QUICK === '1';
const FILES = Number(process.env.BENCH_INGEST_FILES ?? (QUICK ? 100 : 500));
const SIDE = 1024;
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? (QUICK ? 1 : 3));
/** The replaced system (FitsStorage v3 from source, PostgreSQL 15, one worker) measured on this kind of machine (issue 17). */
const FITSSTORAGE_NEW_PER_S = 14.6;
const FITSSTORAGE_UNCHANGED_PER_S = 170;
/** Small files for the unchanged re-ingest rate: enough that the workers' start-up does not count. */
const SMALL_FILES = Number(process.env.BENCH_INGEST_SMALL_FILES ?? (QUICK ? 3000 : 10_000));

async function drain(
  deps: IngestDeps,
  url: string,
  db: Db,
  expect = FILES,
): Promise<{ rate: number; done: number }> {
  const handler = makeIngestHandler(deps);
  const counts = { done: 0, failed: 0, deferred: 0 };
  let last = 0;
  const t0 = nowMs();
  await Promise.all(
    ['siq1', 'siq2'].map((name) =>
      runWorker({
        db,
        url,
        queue: QUEUES.ingest,
        name: `bench-${name}`,
        handler,
        log: deps.log,
        signal: new AbortController().signal,
        once: true,
        onItem: (_row, outcome) => {
          counts[outcome]++;
          last = nowMs();
        },
      }),
    ),
  );
  if (counts.done !== expect) throw new Error(`ingest: ${JSON.stringify(counts)} of ${expect} files`);
  return { rate: counts.done / ((last - t0) / 1000), done: counts.done };
}

main(async () => {
  const t = await benchDb('ingest', 12);
  const dir = mkdtempSync(path.join(os.tmpdir(), 'fitsstore-bench-ingest-'));
  try {
    const store = path.join(dir, 'dataflow');
    mkdirSync(store);
    const old = new Date(Date.now() - 3600_000);
    const names: string[] = [];
    let bytes = 0;
    for (let i = 0; i < FILES; i++) {
      const spec = { serial: i + 1, date: '20250301', size: SIDE };
      const buf = sampleFits(spec);
      const file = path.join(store, sampleName(spec));
      writeFileSync(file, buf);
      utimesSync(file, old, old);
      names.push(sampleName(spec));
      bytes += buf.length;
    }
    // Written long ago on a real DHS: the kernel's write-back of this 1 GB must not compete
    // with the database's WAL during the timed runs.
    execFileSync('sync');
    const config = parseConfig({
      role: 'summit',
      export: { destinations: [{ url: 'http://archive.example' }] },
      paths: { storage_root: store, var_dir: dir, log_dir: path.join(dir, 'logs') },
    });
    const params = await getParams(t.db);
    const deps: IngestDeps = {
      db: t.db,
      storage: new LocalStorage(store),
      config,
      log: silentLogger(),
      params: () => params,
    };

    const runs = { fresh: [] as number[], again: [] as number[] };
    for (let r = 0; r < ROUNDS; r++) {
      await t.db.query(
        'TRUNCATE file, diskfile, header, fulltextheader, ingestqueue, exportqueue, queue_error, queue_worker CASCADE',
      );
      await t.db.query('VACUUM ANALYZE');
      // After a large enqueue, autovacuum analyzes the queue within a minute, and the workers'
      // prepared claim is planned again for a full queue; here that happens at once. (Without
      // it, the claim planned on the just-truncated, empty queue would sort the table per item.)
      const enqueueAll = async () => {
        await enqueueIngest(
          t.db,
          names.map((filename) => ({ filename })),
        );
        await t.db.query('ANALYZE ingestqueue');
      };
      await enqueueAll();
      runs.fresh.push((await drain(deps, t.url, t.db)).rate);
      await enqueueAll();
      runs.again.push((await drain(deps, t.url, t.db)).rate);
      const df = await t.db.query('SELECT count(*)::int AS n FROM diskfile WHERE present AND canonical');
      if (df.rows[0].n !== FILES)
        throw new Error(`expected ${FILES} present canonical diskfiles, found ${df.rows[0].n}`);
      process.stderr.write(
        `ingest round ${r + 1}: new ${fmt(runs.fresh[r], 1)}/s, unchanged ${fmt(runs.again[r], 1)}/s\n`,
      );
    }
    // The baseline: md5sum over the same files (what reading and hashing them costs at least).
    const md5runs: number[] = [];
    for (let r = 0; r < ROUNDS; r++) {
      const t0 = nowMs();
      execFileSync('md5sum', names, { cwd: store, maxBuffer: 1 << 26 });
      md5runs.push(FILES / ((nowMs() - t0) / 1000));
    }
    const md5sum = median(md5runs);

    // Unchanged re-ingest over many small files: ingested once (not timed), then re-queued.
    const smallDir = path.join(store, 'small');
    mkdirSync(smallDir);
    const small: string[] = [];
    for (let i = 0; i < SMALL_FILES; i++) {
      const spec = { serial: (i % 9999) + 1, date: String(20240101 + Math.floor(i / 9999)) };
      const file = path.join(smallDir, sampleName(spec));
      writeFileSync(file, sampleFits(spec));
      utimesSync(file, old, old);
      small.push(sampleName(spec));
    }
    const enqueueSmall = async () => {
      await enqueueIngest(
        t.db,
        small.map((filename) => ({ filename, path: 'small' })),
      );
      await t.db.query('ANALYZE ingestqueue');
    };
    await enqueueSmall();
    await drain(deps, t.url, t.db, SMALL_FILES);
    const smallRuns: number[] = [];
    for (let r = 0; r < ROUNDS; r++) {
      await enqueueSmall();
      smallRuns.push((await drain(deps, t.url, t.db, SMALL_FILES)).rate);
      process.stderr.write(`ingest round ${r + 1}: unchanged (small files) ${fmt(smallRuns[r], 1)}/s\n`);
    }
    const unchangedMany = median(smallRuns);
    const fresh = median(runs.fresh);
    const again = median(runs.again);
    const list = (xs: number[]) => `runs: ${xs.map((x) => fmt(x, 1)).join(', ')}`;
    const rows: BenchRow[] = [
      {
        name: 'replaced system (FitsStorage v3, one worker, measured on this kind of machine): new 2.1 MB files',
        value: FITSSTORAGE_NEW_PER_S,
        unit: 'files/s',
        detail: `unchanged files: ~${FITSSTORAGE_UNCHANGED_PER_S}/s`,
      },
      {
        name: `baseline: \`md5sum\` over the same ${fmt(FILES)} files`,
        value: round(md5sum, 1),
        unit: 'files/s',
        detail: list(md5runs),
      },
      {
        name: `new files (${fmt(FILES)} × one ${SIDE}×${SIDE} int16 image, ${round(bytes / FILES / 1e6, 2)} MB each)`,
        value: round(fresh, 1),
        unit: 'files/s',
        target: '≥ 100 files/s',
        ratio: { of: 'md5sum', value: round(fresh / md5sum, 2), target: '≥ 0.85×' },
        pass: fresh >= 100 && fresh / md5sum >= 0.85,
        detail: list(runs.fresh),
      },
      {
        name: 're-ingest of the same files, unchanged (lastmod equal → no read)',
        value: round(again, 1),
        unit: 'files/s',
        target: '≥ 1,000 files/s',
        pass: again >= 1000,
        detail: `${list(runs.again)}; ${fmt(again / FITSSTORAGE_UNCHANGED_PER_S, 1)}× the replaced system`,
      },
      {
        name: `re-ingest of ${fmt(SMALL_FILES)} unchanged small files (settled in batches: one query, a stat each)`,
        value: round(unchangedMany, 1),
        unit: 'files/s',
        target: '≥ 5,000 files/s',
        ratio: {
          of: 'the replaced system (~170/s)',
          value: round(unchangedMany / FITSSTORAGE_UNCHANGED_PER_S, 1),
        },
        pass: unchangedMany >= 5000,
        detail: list(smallRuns),
      },
    ];
    emit({
      bench: 'ingest',
      title: 'Ingest through the queue',
      method:
        `Two ingest workers = two runWorker loops (siq1, siq2, concurrency 1 each, --empty) in one process ` +
        `with one pool, as \`fitsstore up\` runs them; role summit with one export destination (so each new ` +
        `file also queues an export row). Files in a local store, warm in the page cache. Timed from the ` +
        `workers' start to the last item's completion. ${ROUNDS} rounds (tables truncated between), median shown.`,
      rows,
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
    await t.drop();
  }
});
