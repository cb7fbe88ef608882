import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { FastifyInstance } from 'fastify';
import { parseConfig } from '../src/config/load.js';
import type { Db } from '../src/db/pool.js';
import { silentLogger } from '../src/log/logger.js';
import { buildServer } from '../src/server/app.js';
import { registerSite } from '../src/server/site.js';
import { LocalStorage } from '../src/storage/local.js';
import { benchDb, emit, main, median, percentile, round, type BenchRow } from './lib.js';

// What the usage log costs a request. Two copies of the site in this process, the same in all
// but the usage log (registerSite's usageLog: false on one), on one database; a load generator in
// a separate process (bench/usagelog-load.ts: keep-alive connections, requests back to back)
// runs against each in turn, alternating, ROUNDS times, so drift (caches, the machine's other
// work) hits both alike. The cost per request is the difference in mean service time
// (1 / throughput over 8 connections: the CPU a request costs, the batched inserts included, in
// node and in PostgreSQL alike, which share the machine) and in the median latency of requests
// sent one at a time. Two routes: /static/style.css (nothing else to do: the log's cost
// stands alone) and /searchform (a page: session lookup, rendering).

const ROUNDS = Number(process.env.BENCH_USAGELOG_ROUNDS ?? 5);
const REQUESTS = Number(process.env.BENCH_USAGELOG_REQUESTS ?? 4000);
const CONCURRENCY = 8;
const SEQUENTIAL = Math.round(REQUESTS / 4);
const LOAD = fileURLToPath(new URL('./usagelog-load.ts', import.meta.url));
const run = promisify(execFile);

interface Load {
  count: number;
  seconds: number;
  latencies: number[];
}

async function load(url: string, concurrency = CONCURRENCY, requests = REQUESTS): Promise<Load> {
  const { stdout } = await run(
    process.execPath,
    ['--import', 'tsx', LOAD, url, String(concurrency), String(requests)],
    {
      maxBuffer: 64 << 20,
    },
  );
  return JSON.parse(stdout);
}

async function site(db: Db, dir: string, usageLog: boolean): Promise<{ app: FastifyInstance; base: string }> {
  const config = parseConfig({
    role: 'archive',
    paths: { var_dir: dir, storage_root: dir, log_dir: dir, lock_dir: dir },
  });
  const log = silentLogger();
  const storage = new LocalStorage(dir);
  const app = buildServer({ config, db, storage, log });
  registerSite(app, { config, db, storage, log, access: app.access, background: () => {} }, { usageLog });
  await app.listen({ host: '127.0.0.1', port: 0 });
  return { app, base: `http://127.0.0.1:${(app.server.address() as AddressInfo).port}` };
}

main(async () => {
  const bench = await benchDb('usagelog', 10);
  const dir = mkdtempSync(path.join(os.tmpdir(), 'fitsstore-bench-usagelog-'));
  const rows: BenchRow[] = [];
  const notes: string[] = [];
  try {
    const off = await site(bench.db, dir, false);
    const on = await site(bench.db, dir, true);
    for (const route of ['/static/style.css', '/searchform']) {
      const service = { on: [] as number[], off: [] as number[] };
      const p50 = { on: [] as number[], off: [] as number[] };
      await load(off.base + route); // warm-up, both
      await load(on.base + route);
      for (let r = 0; r < ROUNDS; r++) {
        for (const [k, s] of [
          ['off', off],
          ['on', on],
        ] as const) {
          const l = await load(s.base + route);
          service[k].push((l.seconds * 1000) / l.count);
          // One connection, one request at a time: the latency a single user sees, without
          // queueing behind the other connections' requests.
          const one = await load(s.base + route, 1, SEQUENTIAL);
          p50[k].push(
            percentile(
              [...one.latencies].sort((a, b) => a - b),
              50,
            ),
          );
        }
      }
      const serviceCost = median(service.on) - median(service.off);
      const latencyCost = median(p50.on) - median(p50.off);
      rows.push({
        name: `${route}: added service time per request (1/throughput, ${CONCURRENCY} connections)`,
        value: round(serviceCost, 3),
        unit: 'ms',
        target: '≤ 1 ms',
        pass: serviceCost <= 1,
        detail: `without ${round(median(service.off), 3)} ms, with ${round(median(service.on), 3)} ms (medians of ${ROUNDS} runs of ${REQUESTS})`,
      });
      rows.push({
        name: `${route}: added median latency (1 connection)`,
        value: round(latencyCost, 3),
        unit: 'ms',
        target: '≤ 1 ms',
        pass: latencyCost <= 1,
        detail: `without ${round(median(p50.off), 3)} ms, with ${round(median(p50.on), 3)} ms (medians of ${ROUNDS} runs of ${SEQUENTIAL})`,
      });
    }
    await off.app.close();
    await on.app.close(); // flushes what is buffered
    const written = (await bench.db.query('SELECT count(*)::int AS n FROM usagelog')).rows[0].n;
    const expected = 2 * ((ROUNDS + 1) * REQUESTS + ROUNDS * SEQUENTIAL);
    notes.push(`usagelog rows written by the logged site: ${written} of ${expected} requests`);
    if (written !== expected) throw new Error(`usage log lost rows: ${written} written, ${expected} sent`);
    notes.push(`${os.cpus().length} CPUs (server, load generator and PostgreSQL share them)`);
    emit({
      bench: 'usagelog',
      title: 'Usage logging: cost per request',
      method:
        `The same site with and without the usage log (registerSite usageLog: false), one process; a separate load process ` +
        `sends ${REQUESTS} keep-alive GETs over ${CONCURRENCY} connections, then ${SEQUENTIAL} over one, to each in turn, ${ROUNDS} alternating rounds per route.`,
      rows,
      notes,
    });
  } finally {
    await bench.drop();
    rmSync(dir, { recursive: true, force: true });
  }
});
