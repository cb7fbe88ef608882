import { mkdirSync } from 'node:fs';
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

export function generateSamples(dir: string, count: number, now = new Date()): string[] {
  const date = now.toISOString().slice(0, 10).replace(/-/g, '');
  const insts = ['GMOS-N', 'NIRI', 'GNIRS', 'F2', 'GSAOI'] as const;
  const names: string[] = [];
  for (let i = 1; i <= count; i++) {
    names.push(
      writeSample(dir, {
        site: 'N',
        date,
        serial: i,
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
  const generated = generateSamples(dhsDir, o.samples);
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
  const copier = new DhsCopier({ db: database.db, dhsDir, storage: o.storage, log, minAgeSeconds: 0.5 });
  const waker = new Waker();
  let reported = false;
  while (!stopAll.signal.aborted) {
    await copier.pass().catch((e) => log.error({ err: (e as Error).message }, 'DHS pass failed'));
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
