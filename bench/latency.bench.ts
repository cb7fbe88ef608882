import pg from 'pg';
import { enqueueIngest } from '../src/services/ingest/ingestqueue.js';
import {
  benchDb,
  benchName,
  Child,
  emit,
  fmt,
  main,
  nowMs,
  percentile,
  round,
  type BenchRow,
} from './lib.js';

// Pickup latency: enqueue → claim, one item at a time, 20 ms apart, to a worker process that is
// idle and polls only every 5 s — so anything much faster than 5 s was woken by NOTIFY.
// Latency = the worker's clock when its claim returned the row − this process's clock just
// before the enqueueIngest call (both performance.timeOrigin + now(): comparable across processes).

const ITEMS = Number(process.env.BENCH_LATENCY_ITEMS ?? 300);
const WARMUP = 20;
const SPACING_MS = 20;
const POLL_SECONDS = 5;

/** The floor: how long PostgreSQL + node-pg take to deliver a NOTIFY on this machine right now. */
async function notifyFloor(url: string): Promise<number[]> {
  const listener = new pg.Client({ connectionString: url });
  const sender = new pg.Client({ connectionString: url });
  await listener.connect();
  await sender.connect();
  try {
    await listener.query('LISTEN bench_floor');
    const out: number[] = [];
    for (let i = 0; i < 100; i++) {
      const got = new Promise<void>((resolve) => listener.once('notification', () => resolve()));
      const t0 = performance.now();
      await sender.query(`SELECT pg_notify('bench_floor', $1)`, [String(i)]);
      await got;
      out.push(performance.now() - t0);
      await new Promise((r) => setTimeout(r, SPACING_MS));
    }
    return out.sort((a, b) => a - b);
  } finally {
    await listener.end();
    await sender.end();
  }
}

main(async () => {
  const t = await benchDb('latency');
  let child: Child | null = null;
  try {
    await t.db.query('UPDATE system_parameters SET poll_seconds = $1 WHERE id = 1', [POLL_SECONDS]);
    child = await Child.start('./queue-child.ts', ['latencybench']);
    const claimed = new Map<string, number>();
    child.onMessage((m) => {
      if (typeof m.claimed === 'string') claimed.set(m.claimed, Number(m.t));
    });
    await child.request({ cmd: 'listen', url: t.url }, (m) => m.listening === true);
    // Let the worker's first (empty) claim finish so it is asleep on its 5 s poll.
    await new Promise((r) => setTimeout(r, 500));

    const sent = new Map<string, number>();
    for (let i = 0; i < WARMUP + ITEMS; i++) {
      const filename = benchName(i);
      sent.set(filename, nowMs());
      await enqueueIngest(t.db, [{ filename }]);
      await new Promise((r) => setTimeout(r, SPACING_MS));
    }
    const deadline = Date.now() + (POLL_SECONDS + 5) * 1000;
    while (claimed.size < sent.size && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    child.send({ cmd: 'stop' });
    await child.next((m) => m.stopped === true);

    const names = [...sent.keys()].slice(WARMUP);
    const missing = names.filter((n) => !claimed.has(n));
    if (missing.length)
      throw new Error(`${missing.length} items were not claimed within ${POLL_SECONDS + 5} s`);
    const lat = names.map((n) => claimed.get(n)! - sent.get(n)!).sort((a, b) => a - b);
    const p = (q: number) => round(percentile(lat, q), 1);
    const p95 = percentile(lat, 95);
    const floor = await notifyFloor(t.url);
    const rows: BenchRow[] = [
      { name: 'p50', value: p(50), unit: 'ms' },
      { name: 'p95', value: round(p95, 1), unit: 'ms', target: '≤ 25 ms', pass: p95 <= 25 },
      { name: 'p99', value: p(99), unit: 'ms' },
      { name: 'max', value: round(lat[lat.length - 1], 1), unit: 'ms', detail: `min ${round(lat[0], 1)} ms` },
      {
        name: 'context: bare `pg_notify` → LISTEN round trip, p50 / p95 (same run, no queue)',
        value: round(percentile(floor, 50), 1),
        unit: 'ms',
        detail: `p95 ${round(percentile(floor, 95), 1)} ms, p99 ${round(percentile(floor, 99), 1)} ms over ${floor.length}`,
      },
    ];
    emit({
      bench: 'latency',
      title: 'Pickup latency, enqueue → claim (NOTIFY)',
      method:
        `One worker process (runWorker, concurrency 1, poll_seconds = ${POLL_SECONDS}: only NOTIFY can explain a ` +
        `fast pickup) and ${fmt(ITEMS)} single-file enqueueIngest calls ${SPACING_MS} ms apart ` +
        `(${WARMUP} more before them as warm-up, not counted). Timed from just before enqueueIngest to the ` +
        `moment the worker's claim returned the row, on clocks comparable across the two processes.`,
      rows,
    });
  } finally {
    await child?.exit();
    await t.drop();
  }
});
