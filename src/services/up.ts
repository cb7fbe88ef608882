import { mkdirSync, readdirSync } from 'node:fs';
import type { Config } from '../config/schema.js';
import type { Database } from '../db/connect.js';
import { getParams, type SystemParameters } from '../db/params.js';
import { Waker } from '../daemon/sleep.js';
import type { Logger } from '../log/logger.js';
import { QUEUES } from '../queues/tables.js';
import { runWorker } from '../queues/worker.js';
import type { Storage } from '../storage/types.js';
import { DhsCopier } from './copyfromdhs.js';
import { makeIngestHandler } from './ingest.js';
import { writeSample } from './samples.js';
import { buildServer } from '../server/app.js';

// `fitsstore up`: the summit pipeline in one process on the embedded default — a sample DHS
// directory filled by the generator, copy-from-dhs, and two ingest workers.

export interface UpOptions {
  config: Config;
  database: Database;
  storage: Storage;
  log: Logger;
  signal: AbortSignal;
  samples: number;
  /** Stop once the samples are ingested, instead of running until interrupted. */
  exitWhenDone?: boolean;
  onReady?: (summary: UpSummary) => void;
}

export interface UpSummary {
  dhsDir: string;
  storeDir: string;
  generated: string[];
  /** Where the web server listens, when it could start. */
  url?: string;
  ingested: number;
  failed: number;
}

/**
 * The next serial free for today's sample names in every directory given. A second `npm start`
 * once rewrote the same names: the copier took them as already in the store, ingested none, and
 * `up --exit` waited for ever.
 */
export function nextSampleSerial(dirs: string[], date: string): number {
  const re = new RegExp(`^N${date}S(\\d{4})\\.fits`);
  let max = 0;
  for (const d of dirs) {
    let names: string[];
    try {
      names = readdirSync(d);
    } catch {
      continue; // not there yet
    }
    for (const n of names) {
      const m = re.exec(n);
      if (m) max = Math.max(max, Number(m[1]));
    }
  }
  return max + 1;
}

export function generateSamples(
  dir: string,
  count: number,
  now = new Date(),
  alsoTaken: string[] = [],
): string[] {
  const date = now.toISOString().slice(0, 10).replace(/-/g, '');
  const insts = ['GMOS-N', 'NIRI', 'GNIRS', 'F2', 'GSAOI'] as const;
  const names: string[] = [];
  const first = nextSampleSerial([dir, ...alsoTaken], date);
  for (let i = 1; i <= count; i++) {
    names.push(
      writeSample(dir, {
        site: 'N',
        date,
        serial: first + i - 1,
        instrument: insts[i % insts.length],
        extensions: i % 4 === 0 ? 3 : 0,
        bz2: i % 3 === 0,
        obstype: i % 5 === 0 ? 'BIAS' : i % 7 === 0 ? 'FLAT' : 'OBJECT',
        obsclass: i % 5 === 0 || i % 7 === 0 ? 'dayCal' : 'science',
      }),
    );
  }
  return names;
}

export async function up(o: UpOptions): Promise<UpSummary> {
  const { config, database, log, signal } = o;
  const dhsDir = config.paths.dhs_dir;
  mkdirSync(dhsDir, { recursive: true });
  const generated = generateSamples(dhsDir, o.samples, new Date(), [config.paths.storage_root]);
  log.info(`wrote ${generated.length} sample files to ${dhsDir}`);

  let params: SystemParameters = await getParams(database.db);
  const stopAll = new AbortController();
  signal.addEventListener('abort', () => stopAll.abort(), { once: true });
  const handler = makeIngestHandler({
    db: database.db,
    storage: o.storage,
    config,
    log,
    params: () => params,
  });
  const summary: UpSummary = {
    dhsDir,
    storeDir: config.paths.storage_root,
    generated,
    ingested: 0,
    failed: 0,
  };
  const wanted = new Set(generated);
  const workers = ['siq1', 'siq2'].map((name) =>
    runWorker({
      db: database.db,
      url: database.url,
      queue: QUEUES.ingest,
      name,
      handler,
      log,
      signal: stopAll.signal,
      onItem: (row, outcome) => {
        if (!wanted.has(row.filename as string)) return;
        if (outcome === 'done') summary.ingested++;
        if (outcome === 'failed') summary.failed++;
      },
    }),
  );
  // The web pages and JSON API over the same database, so what was ingested can be looked at.
  const server = buildServer({ config, db: database.db, storage: o.storage, log });
  try {
    await server.listen({ host: config.server.host, port: config.server.port });
    summary.url = `http://${config.server.host}:${config.server.port}/`;
  } catch (e) {
    log.warn(`web server not started on port ${config.server.port}: ${(e as Error).message}`);
  }
  const copier = new DhsCopier({
    db: database.db,
    dhsDir,
    storage: o.storage,
    log,
    minAgeSeconds: 0.5,
    // The demo writes its samples whole (temp + rename), most without NEXTEND: it need not wait
    // out the summit's settle interval for them.
    settleSeconds: () => Math.min(params.dhs_settle_seconds, 2),
  });
  const rejected = new Set<string>();
  const waker = new Waker();
  let reported = false;
  while (!stopAll.signal.aborted) {
    const pass = await copier
      .pass()
      .catch((e) => log.error({ err: (e as Error).message }, 'DHS pass failed'));
    // A sample the copier rejects will never be ingested: count it, or `--exit` would wait for ever.
    for (const name of pass?.bad ?? []) {
      if (wanted.has(name) && !rejected.has(name)) {
        rejected.add(name);
        summary.failed++;
      }
    }
    params = await getParams(database.db).catch(() => params);
    if (!reported && summary.ingested + summary.failed >= wanted.size) {
      reported = true;
      o.onReady?.(summary);
      if (o.exitWhenDone) stopAll.abort();
    }
    await waker.sleep(reported ? config.dhs.poll_seconds * 1000 : 300, stopAll.signal);
  }
  await Promise.all(workers);
  await server.close();
  return summary;
}
