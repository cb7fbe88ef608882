import { chmodSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmbedded, type EmbeddedHandle } from '../../src/db/embedded.js';
import { migrate } from '../../src/db/migrate.js';
import { createPool, type Db } from '../../src/db/pool.js';
import { enqueueIngest } from '../../src/services/ingest/ingestqueue.js';
import { sampleFits, sampleName } from '../../src/gemini/samples.js';
import {
  count,
  ingestedCount,
  md5,
  md5File,
  Rig,
  setMtime,
  settle,
  writeBigFits,
  type Daemon,
} from './helpers.js';
import { freePort } from '../helpers/net.js';
import { waitFor } from '../helpers/wait.js';

// PostgreSQL restarted under running daemons. The machine's server cannot be restarted safely, so
// this test runs a private embedded PostgreSQL, stops it (fast shutdown: every session is cut)
// and starts it again on the same directory and port, while copy-from-dhs and two ingest workers
// run against it. poll_seconds is 30: only the LISTEN connection (reconnected) or the workers'
// own retry wakes them quickly, so a worker left deaf after the restart shows as a slow test.

let pgHandle: EmbeddedHandle | undefined;
let db: Db | undefined;
let r: Rig;
let url: string;
let varDir: string;
let port: number;

beforeAll(async () => {
  port = await freePort();
  url = `postgres://postgres:postgres@127.0.0.1:${port}/faults`;
  r = new Rig(url);
  varDir = path.join(r.tmp.dir, 'pgvar');
  // As root the server runs as the postgres user: a 0700 temp dir would send its data outside
  // (src/db/embedded.ts), beyond the reach of this test's cleanup.
  chmodSync(r.tmp.dir, 0o755);
  pgHandle = await startEmbedded(varDir, port, 'faults');
  if (pgHandle.url !== url) throw new Error(`embedded PostgreSQL at ${pgHandle.url}, expected ${url}`);
  await migrate(url);
  db = createPool(url, 5);
  await db.query(`UPDATE system_parameters SET poll_seconds = 30, heartbeat_seconds = 0.5,
    dead_worker_seconds = 30, ingest_defer_seconds = 0, dhs_settle_seconds = 1`);
}, 180_000);

afterAll(async () => {
  await r?.killAll();
  await db?.end().catch(() => {});
  await pgHandle?.stop().catch(() => {});
  r?.tmp.cleanup();
});

function drop(serials: number[], date = '20250501'): Map<string, string> {
  const m = new Map<string, string>();
  for (const serial of serials) {
    const spec = { serial, date };
    const bytes = sampleFits(spec);
    writeFileSync(path.join(r.dhs, sampleName(spec)), bytes);
    m.set(sampleName(spec), md5(bytes));
  }
  return m;
}

const range = (a: number, b: number) => Array.from({ length: b - a + 1 }, (_, i) => a + i);
const tail = (d: Daemon) => d.output.slice(-1500);

describe('PostgreSQL restarted under running daemons', () => {
  it('copy-from-dhs and two ingest workers log the outage, reconnect (LISTEN too) and carry on; nothing is lost', async () => {
    const copier = await r.copier();
    const siq1 = await r.ingester('siq1');
    const siq2 = await r.ingester('siq2');
    const all = new Map<string, string>();
    const add = (m: Map<string, string>) => m.forEach((v, k) => all.set(k, v));

    const batch1 = drop(range(1, 15));
    add(batch1);
    await waitFor(async () => (await ingestedCount(db!, [...batch1.keys()])) === 15, {
      timeout: 120_000,
      what: 'batch 1 ingested',
    });

    // A file in the middle of being ingested when the server goes away. The worker that holds it
    // is paused (SIGSTOP) the moment its claim shows, and resumed once the server is down: it is
    // still reading the file then, whatever the machine's speed, so the file need not be big
    // enough to outlast the shutdown (it was 1 GB, hashed four times: a fifth of the file's CPU).
    const big = 'N20250501S0900.fits';
    writeBigFits(path.join(r.store, big), 100_000_000);
    setMtime(path.join(r.store, big), -60_000);
    all.set(big, await md5File(path.join(r.store, big)));
    await enqueueIngest(db!, [{ filename: big }]);
    let holderPid = 0;
    await waitFor(
      async () => {
        const q = await db!.query(`SELECT worker FROM ingestqueue WHERE filename = $1 AND in_progress`, [
          big,
        ]);
        const m = /:(\d+)#\d+$/.exec(q.rows[0]?.worker ?? '');
        if (m) {
          holderPid = Number(m[1]);
          process.kill(holderPid, 'SIGSTOP');
        }
        return m !== null;
      },
      { timeout: 60_000, interval: 10, what: 'a worker holds the big file' },
    );
    const holder = [siq1, siq2].find((d) => d.child.pid === holderPid);
    expect(holder, `the holder (pid ${holderPid}) is one of the two workers`).toBeDefined();
    const batch2 = drop(range(16, 30));
    add(batch2);

    const downAt = Date.now();
    await pgHandle!.stop();
    process.kill(holderPid, 'SIGCONT');
    // Files keep arriving while the database is down.
    const batch3 = drop(range(31, 40));
    add(batch3);
    // Each daemon says so: the workers when claiming or heartbeating, the copier when queueing.
    const silent = () => [
      ...(['siq1', 'siq2'] as const).filter(
        (n, i) => !/database unavailable|periodic task failed|item interrupted/.test([siq1, siq2][i].output),
      ),
      ...(/DHS pass failed|copy of .* failed/.test(copier.output) ? [] : ['copy-from-dhs']),
    ];
    await waitFor(() => silent().length === 0, {
      timeout: 120_000,
      what: () =>
        `every daemon logged the outage; silent: ${silent().join(', ')}:\n${silent()
          .map((n) => tail({ siq1, siq2, 'copy-from-dhs': copier }[n]!))
          .join('\n')}`,
    });
    // Long enough for the interrupted big file to have hit the database in the dark.
    await waitFor(() => /item interrupted/.test(holder!.output), {
      timeout: 90_000,
      what: () => `the worker holding the big file noticed:\n${tail(holder!)}`,
    });
    for (const d of [copier, siq1, siq2])
      expect(d.running(), `daemon survived the outage:\n${tail(d)}`).toBe(true);

    pgHandle = await startEmbedded(varDir, port, 'faults');
    const upAt = Date.now();
    let caughtUp = true;
    try {
      await waitFor(async () => (await ingestedCount(db!, [...all.keys()])) === all.size, {
        timeout: 150_000,
        what: `all ${all.size} files ingested after the restart`,
      });
    } catch (e) {
      caughtUp = false;
      console.warn((e as Error).message, '\n', tail(siq1), '\n', tail(siq2));
    }
    const outage = { downSeconds: (upAt - downAt) / 1000 };

    // Both workers listen again: a file queued now is taken at once, not at the next 30 s poll.
    const listeners = await count(
      db!,
      `SELECT count(*) AS n FROM pg_stat_activity WHERE datname = current_database() AND query LIKE 'LISTEN %'`,
    );
    const batch4 = drop(range(41, 45));
    add(batch4);
    // 20 s: far more than a listening worker needs, less than the 30 s poll a deaf one waits for.
    const queuedAt = Date.now();
    const prompt = await waitFor(async () => (await ingestedCount(db!, [...batch4.keys()])) === 5, {
      timeout: 20_000,
      what: 'batch 4 ingested before the next 30 s poll',
    }).then(
      () => true,
      () => false,
    );
    const took = Date.now() - queuedAt;

    const codes = await r.stopAll();
    const s = await settle('PostgreSQL restarted under running daemons', db!, r.store, { good: all });
    console.info('outage', outage, 'batch 4 took', took, 'ms');
    expect(listeners).toBe(2);
    expect(prompt, `batch 4 ingested before the next 30 s poll (took ${took} ms)`).toBe(true);
    expect(caughtUp).toBe(true);
    expect(s.problems).toEqual([]);
    expect(codes).toEqual([0, 0, 0]);
  }, 600_000);
});
