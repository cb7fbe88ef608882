import type { Db } from '../src/db/pool.js';
import { enqueueIngest } from '../src/services/ingest/ingestqueue.js';
import { benchDb, benchName, Child, emit, fmt, main, median, round, type BenchRow } from './lib.js';

// Queue claim + complete with a no-op handler: 2 worker processes × 4 claim loops each.
//  - fitsstore: runWorker --empty (claim statement, no-op handler, ownership-guarded complete)
//  - baseline: the same 2 × 4 layout running the simplest SKIP LOCKED consumer on a plain table
//  - fitsstore again on a queue that also holds 100k failed rows (the partial index must keep
//    claims as fast as on a clean queue)
// Three rounds, interleaved (baseline, engine, engine+failed) so load on the machine hits all
// three alike; each row reports the median round.

const ITEMS = Number(process.env.BENCH_QUEUE_ITEMS ?? 20_000);
const FAILED = 100_000;
const PROCESSES = 2;
const LOOPS = 4;
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);

async function fillEngine(db: Db, offset: number) {
  await db.query('DELETE FROM ingestqueue WHERE NOT failed');
  await db.query('DELETE FROM queue_worker');
  const items = Array.from({ length: ITEMS }, (_, i) => ({ filename: benchName(offset + i) }));
  const r = await enqueueIngest(db, items);
  if (r.queued !== ITEMS) throw new Error(`expected ${ITEMS} queued, got ${r.queued}`);
  await db.query('VACUUM ANALYZE ingestqueue');
}

async function fillBare(db: Db) {
  await db.query('TRUNCATE bench_plain RESTART IDENTITY');
  await db.query(
    `INSERT INTO bench_plain (filename, path, sortkey)
     SELECT 'N20240101S' || lpad(g::text, 5, '0') || '.fits', '', 'z' || g FROM generate_series(1, $1::int) g`,
    [ITEMS],
  );
  await db.query('VACUUM ANALYZE bench_plain');
}

interface RunResult {
  rate: number;
  done: number;
}

async function timed(
  children: Child[],
  cmd: 'engine' | 'bare' | 'bare-async',
  url: string,
): Promise<RunResult> {
  const t0 = performance.timeOrigin + performance.now();
  const replies = await Promise.all(children.map((c) => c.request({ cmd, url, concurrency: LOOPS })));
  const done = replies.reduce((n, r) => n + Number(r.done), 0);
  const failed = replies.reduce((n, r) => n + Number(r.failed ?? 0), 0);
  if (done !== ITEMS || failed) throw new Error(`${cmd}: ${done} of ${ITEMS} items done, ${failed} failed`);
  const last = Math.max(...replies.map((r) => Number(r.lastAt)));
  return { rate: done / ((last - t0) / 1000), done };
}

main(async () => {
  const clean = await benchDb('queue');
  const withFailed = await benchDb('queue_failed');
  const children: Child[] = [];
  try {
    await clean.db.query(`CREATE TABLE bench_plain (
      id bigserial PRIMARY KEY, filename text NOT NULL, path text NOT NULL DEFAULT '',
      sortkey text NOT NULL, added timestamptz NOT NULL DEFAULT now())`);
    // 100k failed rows with names newer than every pending one: they would come first in
    // sortkey order if the claim had to walk past them.
    const failedNames = Array.from({ length: FAILED }, (_, i) => ({
      filename: benchName(5_000_000 + i, 'S'),
    }));
    await enqueueIngest(withFailed.db, failedNames);
    await withFailed.db.query(
      `UPDATE ingestqueue SET failed = true, attempts = 1, error = 'bench: failed on purpose'`,
    );
    await withFailed.db.query('VACUUM ANALYZE ingestqueue');

    for (let i = 0; i < PROCESSES; i++)
      children.push(await Child.start('./queue-child.ts', [`qbench${i + 1}`]));

    const runs = {
      bare: [] as number[],
      bareAsync: [] as number[],
      engine: [] as number[],
      failed: [] as number[],
    };
    for (let round_ = 0; round_ < ROUNDS; round_++) {
      await fillBare(clean.db);
      runs.bare.push((await timed(children, 'bare', clean.url)).rate);
      await fillBare(clean.db);
      runs.bareAsync.push((await timed(children, 'bare-async', clean.url)).rate);
      await fillEngine(clean.db, round_ * ITEMS);
      runs.engine.push((await timed(children, 'engine', clean.url)).rate);
      await fillEngine(withFailed.db, round_ * ITEMS);
      runs.failed.push((await timed(children, 'engine', withFailed.url)).rate);
      const left = await withFailed.db.query('SELECT count(*)::int AS n FROM ingestqueue WHERE failed');
      if (left.rows[0].n !== FAILED) throw new Error(`failed rows changed: ${left.rows[0].n}`);
      process.stderr.write(
        `queue round ${round_ + 1}: bare ${fmt(runs.bare[round_])}/s, bare async ${fmt(runs.bareAsync[round_])}/s, engine ${fmt(runs.engine[round_])}/s, ` +
          `engine+100k failed ${fmt(runs.failed[round_])}/s\n`,
      );
    }

    const bare = median(runs.bare);
    const bareAsync = median(runs.bareAsync);
    const engine = median(runs.engine);
    const failed = median(runs.failed);
    const list = (xs: number[]) => `runs: ${xs.map((x) => fmt(x)).join(', ')}`;
    const rows: BenchRow[] = [
      {
        name: 'baseline: bare SQL `DELETE … SKIP LOCKED … RETURNING id`, plain table',
        value: round(bare),
        unit: 'items/s',
        detail: list(runs.bare),
      },
      {
        name: 'for comparison: the same bare SQL with synchronous_commit off',
        value: round(bareAsync),
        unit: 'items/s',
        detail: list(runs.bareAsync),
      },
      {
        name: 'fitsstore runWorker: claim + no-op handler + complete',
        value: round(engine),
        unit: 'items/s',
        target: '≥ 1,500 items/s',
        ratio: { of: 'baseline', value: round(engine / bare, 2), target: '≥ 0.5×' },
        pass: engine >= 1500 && engine / bare >= 0.5,
        detail: `${list(runs.engine)}; ${round(engine / bareAsync, 2)}× the asynchronous-commit bare SQL`,
      },
      {
        name: 'fitsstore runWorker, 100k failed rows in the queue',
        value: round(failed),
        unit: 'items/s',
        ratio: { of: 'the same without failed rows', value: round(failed / engine, 2), target: '≥ 0.8×' },
        pass: failed / engine >= 0.8,
        detail: list(runs.failed),
      },
    ];
    emit({
      bench: 'queue',
      title: 'Queue claim + complete (no-op handler)',
      method:
        `${PROCESSES} worker processes × ${LOOPS} claim loops (runWorker concurrency ${LOOPS}, --empty), ` +
        `${fmt(ITEMS)} items per run, timed from the start signal to the last completion; ` +
        `${ROUNDS} interleaved rounds, median shown. Baseline: the same ${PROCESSES} × ${LOOPS} processes ` +
        `and connections running one \`DELETE … WHERE id = (SELECT id … ORDER BY id LIMIT 1 FOR UPDATE SKIP LOCKED) ` +
        `RETURNING id\` per item on a plain table with only a primary key.`,
      rows,
      notes: [
        'fitsstore spends two statements per item (the claim UPDATE and the ownership-guarded DELETE) where the baseline spends one. Both commit without waiting for the WAL flush (a lost claim leaves the row pending; a lost completion is swept back and handlers are idempotent), and both are named statements, planned once per connection. The baseline runs with the server defaults (a synchronous commit per item); the row with synchronous_commit off shows what the same bare SQL does without that wait.',
      ],
    });
  } finally {
    await Promise.all(children.map((c) => c.exit()));
    await withFailed.drop().catch(() => {});
    await clean.drop();
  }
});
