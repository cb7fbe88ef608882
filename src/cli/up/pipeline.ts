import type { FastifyInstance } from 'fastify';
import type { Config } from '../../config/schema.js';
import { getParams, type SystemParameters } from '../../db/params.js';
import type { Db } from '../../db/pool.js';
import type { Logger } from '../../log/logger.js';
import type { QueueRow } from '../../queues/engine.js';
import { QUEUES, type QueueTable } from '../../queues/tables.js';
import { runWorker, type Handler } from '../../queues/worker.js';
import { buildServer } from '../../server/app.js';
import type { Storage } from '../../storage/types.js';
import { makeCalcacheHandler } from '../../services/archive/calcache.js';
import { DhsCopier } from '../../services/summit/copyfromdhs.js';
import { DhsWatcher, runDhsLoop } from '../../services/summit/dhswatch.js';
import { makeExportHandler } from '../../services/export/export.js';
import { makeIngestHandler } from '../../services/ingest/ingest.js';
import { ingestLeftovers } from '../../services/archive/ingestuploaded.js';
import { makePreviewHandler } from '../../services/archive/preview.js';

// The daemons of one server in one process: what `fitsstore up` runs for the summit and the
// archive, and what the end-to-end benchmark starts as two processes. Each is the same service the
// systemd units run one per process (copy-from-dhs, service-queue ingest/export/preview/calcache,
// fitsstore-server with its upload hand-off).

export type ItemOutcome = 'done' | 'failed' | 'deferred';

export interface SideDeps {
  config: Config;
  db: Db;
  /** Connection URL, for the workers' LISTEN connections. */
  dbUrl: string;
  storage: Storage;
  log: Logger;
  signal: AbortSignal;
  /** Every queue item handled, by queue: progress for `up`, timings for the benchmark. */
  onItem?: (queue: QueueTable['name'], row: QueueRow, outcome: ItemOutcome) => void;
}

export interface RunningSide {
  /** Where its web server listens ('' when it could not start). */
  url: string;
  server: FastifyInstance | null;
  /** Resolves once the signal has aborted and everything has stopped. */
  stopped: Promise<void>;
}

/** The live parameters, re-read every few seconds for the handlers (the workers re-read their own). */
async function liveParams(db: Db, signal: AbortSignal): Promise<() => SystemParameters> {
  let params = await getParams(db);
  const t = setInterval(() => {
    getParams(db).then(
      (p) => (params = p),
      () => {},
    );
  }, 5000);
  t.unref();
  signal.addEventListener('abort', () => clearInterval(t), { once: true });
  return () => params;
}

function worker(
  d: SideDeps,
  queue: QueueTable,
  name: string,
  handler: Handler,
  concurrency = 1,
): Promise<unknown> {
  return runWorker({
    concurrency,
    db: d.db,
    url: d.dbUrl,
    queue,
    name,
    handler,
    log: d.log,
    signal: d.signal,
    onItem: (row, outcome) => d.onItem?.(queue.name, row, outcome),
  });
}

/** Listens on host:port, or on any free port when that one is taken; '' when neither works. */
async function listen(app: FastifyInstance, config: Config, log: Logger, anyPort: boolean): Promise<string> {
  const { host, port } = config.server;
  for (const p of anyPort ? [port, 0] : [port]) {
    try {
      await app.listen({ host, port: p });
      const addr = app.server.address();
      const actual = typeof addr === 'object' && addr ? addr.port : p;
      return `http://${host}:${actual}/`;
    } catch (e) {
      log.warn(`web server not started on port ${p}: ${(e as Error).message}`);
    }
  }
  return '';
}

/**
 * The summit: copy-from-dhs (inotify events, full scans as the safety net), two ingest workers,
 * an export worker when destinations are configured, and the web server (optional: `serve`).
 */
export async function startSummit(
  d: SideDeps & {
    serve?: boolean;
    /** The settle interval for DHS files without NEXTEND (default: the live dhs_settle_seconds). */
    settleSeconds?: (p: SystemParameters) => number;
    /** A DHS file the copier reported as bad. */
    onRejected?: (name: string) => void;
  },
): Promise<RunningSide> {
  const { config, log, signal } = d;
  const params = await liveParams(d.db, signal);
  const jobs: Promise<unknown>[] = [];
  const ingest = makeIngestHandler({ db: d.db, storage: d.storage, config, log, params });
  for (const name of ['siq1', 'siq2']) jobs.push(worker(d, QUEUES.ingest, name, ingest));
  if (config.export.destinations.length) {
    const exporter = makeExportHandler({ config, db: d.db, storage: d.storage, log, params, signal });
    // Two transfers at once: a 25 MB file being bzip2-compressed on its way out must not hold the
    // small files behind it (the end-to-end bench saw 2 MB files wait seconds for one GMOS frame).
    jobs.push(worker(d, QUEUES.export, 'seq1', exporter, 2));
  }
  const copier = new DhsCopier({
    db: d.db,
    dhsDir: config.paths.dhs_dir,
    storage: d.storage,
    log,
    minAgeSeconds: config.dhs.min_age_seconds,
    badAfterSeconds: config.dhs.bad_after_seconds,
    settleSeconds: () => (d.settleSeconds ?? ((p) => p.dhs_settle_seconds))(params()),
  });
  const watcher = await new DhsWatcher(config.paths.dhs_dir, log).start(config.dhs.watch);
  log.info(
    `watching ${config.paths.dhs_dir}: ${watcher.mode === 'events' ? 'inotify events' : `polling (${watcher.reason})`}`,
  );
  jobs.push(
    runDhsLoop({
      copier,
      watcher,
      pollSeconds: config.dhs.poll_seconds,
      signal,
      log,
      onPass: (r) => r.bad.forEach((n) => d.onRejected?.(n)),
    }).finally(() => watcher.close()),
  );
  let server: FastifyInstance | null = null;
  let url = '';
  if (d.serve !== false) {
    server = buildServer({ config, db: d.db, storage: d.storage, log });
    url = await listen(server, config, log, false);
  }
  return { url, server, stopped: settle(jobs, server) };
}

/**
 * The archive: fitsstore-server (uploads are handed to ingest as they arrive), two ingest
 * workers, a preview and a calibration worker; uploads left in staging by a crash are handed off
 * first. Its web server must listen: with `anyPort`, on a free port when the configured one is taken.
 */
export async function startArchive(d: SideDeps & { anyPort?: boolean }): Promise<RunningSide> {
  const { config, log } = d;
  const params = await liveParams(d.db, d.signal);
  const server = buildServer({ config, db: d.db, storage: d.storage, log });
  const url = await listen(server, config, log, d.anyPort ?? false);
  if (!url) throw new Error(`the archive's web server could not listen on port ${config.server.port}`);
  await ingestLeftovers({ config, db: d.db, storage: d.storage, log }, { minAgeSeconds: 0 });
  const jobs: Promise<unknown>[] = [];
  const ingest = makeIngestHandler({ db: d.db, storage: d.storage, config, log, params });
  for (const name of ['aiq1', 'aiq2']) jobs.push(worker(d, QUEUES.ingest, name, ingest));
  jobs.push(worker(d, QUEUES.preview, 'apq1', makePreviewHandler({ db: d.db, storage: d.storage, log })));
  jobs.push(worker(d, QUEUES.calcache, 'acq1', makeCalcacheHandler({ db: d.db, log })));
  return { url, server, stopped: settle(jobs, server) };
}

async function settle(jobs: Promise<unknown>[], server: FastifyInstance | null): Promise<void> {
  await Promise.allSettled(jobs);
  await server?.close();
}
