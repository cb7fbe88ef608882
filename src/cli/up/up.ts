import { randomBytes } from 'node:crypto';
import { setMaxListeners } from 'node:events';
import { mkdirSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { parseConfig } from '../../config/load.js';
import type { Config } from '../../config/schema.js';
import { openSiblingDatabase, type Database } from '../../db/connect.js';
import { trimBz2 } from '../../gemini/filename.js';
import type { Logger } from '../../log/logger.js';
import { LocalStorage } from '../../storage/local.js';
import type { Storage } from '../../storage/types.js';
import { startArchive, startSummit, type SideDeps } from './pipeline.js';
import { writeSample } from '../../gemini/samples.js';

// `fitsstore up`: the whole path on one machine, in one process, on the embedded default. A
// summit (the DHS directory, filled with sample files by the generator; copy-from-dhs; ingest;
// export) and an archive (its own database and store; the web server receiving the summit's
// uploads over real HTTP; ingest, previews, calibrations), so that a newcomer sees a file go from
// the telescope's disk to the archive's search pages.

export interface UpOptions {
  config: Config;
  database: Database;
  storage: Storage;
  log: Logger;
  signal: AbortSignal;
  samples: number;
  /** Stop once the samples are on the archive, instead of running until interrupted. */
  exitWhenDone?: boolean;
  onReady?: (summary: UpSummary) => void;
}

export interface UpSummary {
  dhsDir: string;
  storeDir: string;
  archiveStoreDir: string;
  archiveDatabaseUrl: string;
  generated: string[];
  /** The summit's web server ('' when its port was taken). */
  url?: string;
  /** The archive's web server, where the samples are searchable. */
  archiveUrl: string;
  /** Samples ingested at the summit. */
  ingested: number;
  /** Samples ingested at the archive (searchable there). */
  archived: number;
  failed: number;
}

/**
 * The next serial free for today's sample names in every directory given. A second `npm start`
 * once rewrote the same names: the copier took them as already in the store, ingested none, and
 * `up --exit` waited for ever.
 */
function nextSampleSerial(dirs: string[], date: string): number {
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

function generateSamples(dir: string, count: number, now = new Date(), alsoTaken: string[] = []): string[] {
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

/** The archive's configuration beside the summit's: own store and staging, next port, role archive. */
export function archiveConfigFor(config: Config, uploadAuth: string): Config {
  const raw = JSON.parse(JSON.stringify(config)) as Record<string, any>;
  const root = path.join(config.paths.var_dir, 'archive');
  raw.role = 'archive';
  raw.paths.storage_root = path.join(root, 'dataflow');
  raw.paths.upload_staging = path.join(root, 'upload_staging');
  raw.export = { destinations: [] };
  raw.server.port = config.server.port === 0 ? 0 : config.server.port + 1;
  raw.server.upload_auth = uploadAuth;
  return parseConfig(raw, 'the archive of fitsstore up');
}

/** The summit's configuration exporting to the archive at `archiveUrl`. */
export function summitConfigFor(config: Config, archiveUrl: string, uploadAuth: string): Config {
  const raw = JSON.parse(JSON.stringify(config)) as Record<string, any>;
  raw.role = 'summit';
  raw.export = { destinations: [{ url: archiveUrl.replace(/\/$/, ''), upload_auth: uploadAuth }] };
  return parseConfig(raw, 'the summit of fitsstore up');
}

export async function up(o: UpOptions): Promise<UpSummary> {
  const { config, database, log, signal } = o;
  const stopAll = new AbortController();
  setMaxListeners(64, stopAll.signal); // one per worker loop, timer and server of both sides
  signal.addEventListener('abort', () => stopAll.abort(), { once: true });
  const secret = config.server.upload_auth || randomBytes(16).toString('hex');

  // The archive first: the summit's export destination is its URL.
  const acfg = archiveConfigFor(config, secret);
  mkdirSync(acfg.paths.storage_root, { recursive: true });
  const archiveDb = await openSiblingDatabase(
    database,
    `${new URL(database.url).pathname.slice(1)}_archive`,
    {
      log: (m) => log.info(m),
    },
  );
  const wanted = new Set<string>();
  const summary: UpSummary = {
    dhsDir: config.paths.dhs_dir,
    storeDir: config.paths.storage_root,
    archiveStoreDir: acfg.paths.storage_root,
    archiveDatabaseUrl: archiveDb.url,
    generated: [],
    archiveUrl: '',
    ingested: 0,
    archived: 0,
    failed: 0,
  };
  const failed = new Set<string>();
  const archived = new Set<string>();
  let reported = false;
  let written = false;
  const progress = () => {
    summary.archived = archived.size;
    summary.failed = failed.size;
    if (!reported && written && archived.size + failed.size >= wanted.size) {
      reported = true;
      o.onReady?.(summary);
      if (o.exitWhenDone) stopAll.abort();
    }
  };
  const onItem =
    (side: 'summit' | 'archive'): SideDeps['onItem'] =>
    (queue, row, outcome) => {
      const name = trimBz2(String(row.filename ?? ''));
      if (!wanted.has(name)) return;
      if (outcome === 'failed' && !archived.has(name)) failed.add(name);
      if (outcome === 'done' && queue === 'ingest') {
        if (side === 'summit') summary.ingested++;
        else {
          archived.add(name);
          failed.delete(name);
        }
      }
      progress();
    };
  const archive = await startArchive({
    config: acfg,
    db: archiveDb.db,
    dbUrl: archiveDb.url,
    storage: new LocalStorage(acfg.paths.storage_root),
    log: log.child({ side: 'archive' }),
    signal: stopAll.signal,
    anyPort: true,
    onItem: onItem('archive'),
  });
  summary.archiveUrl = archive.url;

  const scfg = summitConfigFor(config, archive.url, secret);
  mkdirSync(scfg.paths.dhs_dir, { recursive: true });
  const summit = await startSummit({
    config: scfg,
    db: database.db,
    dbUrl: database.url,
    storage: o.storage,
    log: log.child({ side: 'summit' }),
    signal: stopAll.signal,
    onItem: onItem('summit'),
    // The demo writes its samples whole (temp + rename), most without NEXTEND: it need not wait
    // out the summit's settle interval for them.
    settleSeconds: (p) => Math.min(p.dhs_settle_seconds, 2),
    // A sample the copier rejects will never arrive: count it, or `--exit` would wait for ever.
    onRejected: (name) => {
      if (wanted.has(trimBz2(name)) && !archived.has(trimBz2(name))) failed.add(trimBz2(name));
      progress();
    },
  });
  summary.url = summit.url || undefined;

  // Written once everything listens, so the samples travel the same path as any file would.
  summary.generated = generateSamples(scfg.paths.dhs_dir, o.samples, new Date(), [
    scfg.paths.storage_root,
    acfg.paths.storage_root,
  ]);
  for (const n of summary.generated) wanted.add(trimBz2(n));
  log.info(`wrote ${summary.generated.length} sample files to ${scfg.paths.dhs_dir}`);
  written = true;
  progress();

  await Promise.all([summit.stopped, archive.stopped]);
  await archiveDb.close();
  return summary;
}
