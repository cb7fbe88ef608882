import { createPool, type Db } from '../src/db/pool.js';
import { silentLogger } from '../src/log/logger.js';
import { QUEUES } from '../src/queues/tables.js';
import { runWorker } from '../src/queues/worker.js';
import { nowMs } from './lib.js';

// One worker process of the queue and latency benches, forked by them with IPC:
//   node --import tsx bench/queue-child.ts <name>
// It waits for commands so that process start-up is never inside a timed section.
//   {cmd:'engine', url, concurrency}  runWorker(--empty) with a no-op handler on ingestqueue
//   {cmd:'bare', url, concurrency}    the bare-SQL baseline on bench_plain
//   {cmd:'bare-async', url, concurrency}  the same with synchronous_commit off for the session
//   {cmd:'listen', url}               runWorker (not --empty), reporting each claim: {claimed, t}
//   {cmd:'stop'}                      ends 'listen'
//   {cmd:'exit'}
// Replies {ok, done, firstAt, lastAt} (epoch ms, comparable across processes) or {error}.

type Command =
  | { cmd: 'engine' | 'bare' | 'bare-async'; url: string; concurrency: number }
  | { cmd: 'listen'; url: string }
  | { cmd: 'stop' }
  | { cmd: 'exit' };

const name = process.argv[2] ?? `bench-${process.pid}`;
const log = silentLogger();
const pools = new Map<string, Db>();
let listening: AbortController | null = null;

function pool(url: string): Db {
  let p = pools.get(url);
  if (!p) pools.set(url, (p = createPool(url, 8)));
  return p;
}

const send = (m: unknown) => process.send?.(m);

/** The fitsstore engine as a daemon runs it: runWorker, `concurrency` claim loops, no-op handler. */
async function engineRun(url: string, concurrency: number) {
  let done = 0;
  let lastAt = 0;
  const firstAt = nowMs();
  const stats = await runWorker({
    db: pool(url),
    url,
    queue: QUEUES.ingest,
    name,
    handler: async () => {},
    log,
    signal: new AbortController().signal,
    concurrency,
    once: true,
    onItem: (_row, outcome) => {
      if (outcome === 'done') done++;
      lastAt = nowMs();
    },
  });
  return { done, firstAt, lastAt: lastAt || nowMs(), failed: stats.failed };
}

/** The simplest SKIP LOCKED consumer there is: one DELETE … RETURNING per item. */
async function bareRun(url: string, concurrency: number, asyncCommit = false) {
  const db = pool(url);
  let done = 0;
  let lastAt = 0;
  const firstAt = nowMs();
  const loop = async () => {
    const c = await db.connect();
    try {
      if (asyncCommit) await c.query('SET synchronous_commit = off');
      for (;;) {
        const r = await c.query(
          `DELETE FROM bench_plain WHERE id = (
             SELECT id FROM bench_plain ORDER BY id LIMIT 1 FOR UPDATE SKIP LOCKED)
           RETURNING id`,
        );
        if (r.rowCount === 0) return;
        done++;
        lastAt = nowMs();
      }
    } finally {
      if (asyncCommit) await c.query('RESET synchronous_commit').catch(() => {});
      c.release();
    }
  };
  await Promise.all(Array.from({ length: concurrency }, loop));
  return { done, firstAt, lastAt: lastAt || nowMs(), failed: 0 };
}

/** A long-running worker (poll_seconds from system_parameters): every claim is reported at once. */
function listen(url: string) {
  listening = new AbortController();
  const signal = listening.signal;
  runWorker({
    db: pool(url),
    url,
    queue: QUEUES.ingest,
    name,
    handler: async (row) => {
      send({ claimed: row.filename, t: nowMs() });
    },
    log,
    signal,
    concurrency: 1,
  }).then(
    (stats) => send({ ok: true, stopped: true, done: stats.done }),
    (e) => send({ error: String((e as Error)?.stack ?? e) }),
  );
  // runWorker has no "ready" hook: the LISTEN is in place once its queue_worker row exists.
  const ready = async () => {
    for (let i = 0; i < 200 && !signal.aborted; i++) {
      const r = await pool(url).query('SELECT 1 FROM queue_worker WHERE name LIKE $1', [`${name}@%`]);
      if (r.rowCount) return send({ ok: true, listening: true });
      await new Promise((res) => setTimeout(res, 25));
    }
    send({ error: 'worker did not register within 5 s' });
  };
  void ready();
}

process.on('message', (m: Command) => {
  const run = async () => {
    switch (m.cmd) {
      case 'engine':
        return send({ ok: true, ...(await engineRun(m.url, m.concurrency)) });
      case 'bare':
        return send({ ok: true, ...(await bareRun(m.url, m.concurrency)) });
      case 'bare-async':
        return send({ ok: true, ...(await bareRun(m.url, m.concurrency, true)) });
      case 'listen':
        return listen(m.url);
      case 'stop':
        listening?.abort();
        return;
      case 'exit':
        for (const p of pools.values()) await p.end().catch(() => {});
        process.exit(0);
    }
  };
  run().catch((e) => send({ error: String((e as Error)?.stack ?? e) }));
});

send({ ready: true });
