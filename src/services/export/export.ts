import type { Readable } from 'node:stream';
import type { Config, Destination } from '../../config/schema.js';
import type { SystemParameters } from '../../db/params.js';
import type { Db } from '../../db/pool.js';
import { trimBz2 } from '../../gemini/filename.js';
import type { Logger } from '../../log/logger.js';
import type { QueueRow } from '../../queues/engine.js';
import type { Handler } from '../../queues/worker.js';
import { compressStream } from '../../fits/bzip2.js';
import { hashingStream } from '../../storage/local.js';
import { joinKey, type Storage } from '../../storage/types.js';
import { DestinationBackoff, deferDestination, retryFailedExports } from './exportbackoff.js';
import { DestinationError, getText, postStream } from './exportclient.js';

// Export: one exportqueue row → the file at the destination archive, speaking the Gemini
// archive's protocol (DESIGN §7):
//   1. GET <dest>/jsonfilelist/present/filename=<name>?pending_ingest
//      same data_md5 there → done without sending; pending_ingest → come back later.
//   2. POST <dest>/upload_file/<name>.bz2 with cookie gemini_fits_upload_auth. Always bzip2:
//      a stored .bz2 goes as it is, anything else through the compressor on the way out; md5
//      and size of the bytes sent are computed as they go (no temporary file, no buffer).
//   3. The reply must echo that name, size and md5; only then is the row done.
// A destination failure (unreachable, timeout, HTTP error, bad echo) fails the row with a message
// naming the URL and the cause, and backs that destination off; other destinations carry on.

export const UPLOAD_COOKIE = 'gemini_fits_upload_auth';

export interface ExportDeps {
  config: Config;
  db: Db;
  storage: Storage;
  log: Logger;
  params: () => SystemParameters;
  /** No bytes moving for this long fails the request (default 60 s). */
  idleTimeoutMs?: number;
  /**
   * Wait when the destination is still ingesting the file. FitsStorage waits 40 s; an archive
   * that ingests an upload in well under a second (issue 17) is asked again after 5 s.
   */
  pendingDeferSeconds?: number;
  backoff?: DestinationBackoff;
}

export interface ExportItem {
  filename: string;
  path: string;
  destination: string;
}

export type ExportOutcome =
  | { action: 'skipped'; reason: string }
  | { action: 'sent'; bytes: number; seconds: number; md5: string }
  | { action: 'deferred'; seconds: number; reason: string };

class ExportError extends Error {
  override name = 'ExportError';
}

const normaliseUrl = (u: string) => u.replace(/\/+$/, '');

function destinationConfig(config: Config, url: string): Destination | undefined {
  return config.export.destinations.find((d) => normaliseUrl(d.url) === normaliseUrl(url));
}

interface DestinationInfo {
  data_md5: string | null;
  pending_ingest: boolean;
}

/** What the destination has under this name (null: nothing). */
async function destinationInfo(
  deps: ExportDeps,
  dest: string,
  name: string,
  signal?: AbortSignal,
): Promise<DestinationInfo | null> {
  const url = `${dest}/jsonfilelist/present/filename=${encodeURIComponent(name)}?pending_ingest`;
  const r = await getText(url, { idleTimeoutMs: deps.idleTimeoutMs ?? 60_000, signal });
  if (r.status !== 200)
    throw new DestinationError(`GET ${url}: HTTP ${r.status} ${r.body.slice(0, 200).trim()}`, url);
  let list: unknown;
  try {
    list = JSON.parse(r.body);
  } catch {
    throw new DestinationError(`GET ${url}: answer is not JSON: ${r.body.slice(0, 200).trim()}`, url);
  }
  if (!Array.isArray(list)) throw new DestinationError(`GET ${url}: answer is not a JSON list`, url);
  if (list.length === 0) return null;
  if (list.length > 1)
    throw new DestinationError(`GET ${url}: ${list.length} present files listed for one name`, url);
  const e = list[0] as Record<string, unknown>;
  return { data_md5: (e.data_md5 as string | null) ?? null, pending_ingest: e.pending_ingest === true };
}

export async function exportFile(
  deps: ExportDeps,
  item: ExportItem,
  signal?: AbortSignal,
): Promise<ExportOutcome> {
  const { db, storage, log } = deps;
  const dest = normaliseUrl(item.destination);
  const conf = destinationConfig(deps.config, dest);
  if (!conf) throw new ExportError(`destination ${dest} is not configured (export.destinations)`);
  // The local row and the destination's answer are independent: ask both at once (most items of
  // a catch-up are files the destination already has, and these two waits are all they cost).
  const asked = destinationInfo(deps, dest, trimBz2(item.filename), signal);
  asked.catch(() => {}); // awaited below unless the local lookup fails first
  // Planned per call (not named): see presentDiskfile in diskfile.ts.
  const df = await db.query(
    `SELECT filename, path, data_md5, file_size FROM diskfile WHERE filename = $1 AND path = $2 AND present`,
    [item.filename, item.path],
  );
  if (df.rowCount === 0)
    throw new ExportError(`${joinKey(item.path, item.filename)}: no present diskfile to export`);
  const local = df.rows[0] as { data_md5: string | null; file_size: number | null };

  const there = await asked;
  if (there?.pending_ingest) {
    return {
      action: 'deferred',
      seconds: deps.pendingDeferSeconds ?? 5,
      reason: `ingest pending at ${dest}`,
    };
  }
  if (there && local.data_md5 && there.data_md5 === local.data_md5) {
    log.info(
      { filename: item.filename, destination: dest },
      `${item.filename} already at ${dest} with the same data_md5`,
    );
    return { action: 'skipped', reason: 'already at destination' };
  }

  const sendName = item.filename.endsWith('.bz2') ? item.filename : `${item.filename}.bz2`;
  const url = `${dest}/upload_file/${encodeURIComponent(sendName)}`;
  let raw: Readable;
  try {
    raw = await storage.read(joinKey(item.path, item.filename));
  } catch (e) {
    throw new ExportError(
      `cannot read ${joinKey(item.path, item.filename)} from the store: ${(e as Error).message}`,
      { cause: e },
    );
  }
  const source = item.filename.endsWith('.bz2') ? raw : compressStream(raw);
  const sent = hashingStream();
  source.on('error', (e) => sent.destroy(e));
  source.pipe(sent);

  log.info({ filename: item.filename, destination: dest }, `transferring ${sendName} to ${dest}`);
  const started = process.hrtime.bigint();
  const reply = await postStream(url, sent, {
    idleTimeoutMs: deps.idleTimeoutMs ?? 60_000,
    cookies: { [UPLOAD_COOKIE]: conf.upload_auth },
    signal,
  });
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const { size, md5 } = sent.digest();
  const mb = size / 1048576;
  log.info(
    {
      filename: item.filename,
      destination: dest,
      bytes: size,
      seconds,
      mb_per_s: mb / Math.max(seconds, 1e-9),
    },
    `transfer completed: ${mb.toFixed(2)} MB in ${seconds.toFixed(1)} s - ${(mb / Math.max(seconds, 1e-9)).toFixed(2)} MB/s`,
  );
  if (reply.status !== 200) {
    throw new DestinationError(`POST ${url}: HTTP ${reply.status} ${reply.body.slice(0, 200).trim()}`, url);
  }
  verifyEcho(url, reply.body, { filename: sendName, size, md5 });
  return { action: 'sent', bytes: size, seconds, md5 };
}

/** The destination must echo exactly what was sent; anything else means it does not have it. */
function verifyEcho(url: string, body: string, sent: { filename: string; size: number; md5: string }) {
  let v: Record<string, unknown> | undefined;
  try {
    v = (JSON.parse(body) as Record<string, unknown>[])[0];
  } catch {
    /* reported below */
  }
  if (!v || typeof v !== 'object') {
    throw new DestinationError(
      `POST ${url}: verification failed: the answer is not [{filename,size,md5}]: ${body.slice(0, 200)}`,
      url,
    );
  }
  if (v.filename !== sent.filename) {
    throw new DestinationError(
      `POST ${url}: verification failed: filename ${String(v.filename)} echoed, sent ${sent.filename}`,
      url,
    );
  }
  if (Number(v.size) !== sent.size) {
    throw new DestinationError(
      `POST ${url}: verification failed: size ${String(v.size)} echoed, sent ${sent.size} bytes`,
      url,
    );
  }
  if (v.md5 !== sent.md5) {
    throw new DestinationError(
      `POST ${url}: verification failed: md5 ${String(v.md5)} echoed, sent ${sent.md5}`,
      url,
    );
  }
}

export interface ExportHandler extends Handler {
  backoff: DestinationBackoff;
  /** One pass of the failed-row retry (also run periodically until stop()). */
  retryFailed(): Promise<number>;
  stop(): void;
}

/**
 * The export queue handler for runWorker, with its per-destination back-off and (autoRetry, on
 * by default) a timer that returns failed rows to the queue once export_retry_seconds have passed
 * since their failure.
 */
export function makeExportHandler(
  deps: ExportDeps & { signal?: AbortSignal; autoRetry?: boolean },
): ExportHandler {
  const backoff = deps.backoff ?? new DestinationBackoff();
  const retryFailed = async () => {
    const r = await retryFailedExports(deps.db, deps.params().export_retry_seconds);
    if (r.retried || r.dropped) {
      deps.log.info(
        r,
        `export retry: ${r.retried} failed row(s) back in the queue, ${r.dropped} already re-queued`,
      );
    }
    return r.retried;
  };
  let timer: NodeJS.Timeout | undefined;
  const schedule = () => {
    const every = Math.min(30, Math.max(1, deps.params().export_retry_seconds / 4)) * 1000;
    timer = setTimeout(() => {
      retryFailed()
        .catch((e) => deps.log.warn({ err: (e as Error).message }, 'export retry pass failed'))
        .finally(() => !deps.signal?.aborted && timer && schedule());
    }, every);
    timer.unref();
  };
  const stop = () => {
    if (timer) clearTimeout(timer);
    timer = undefined;
  };
  deps.signal?.addEventListener('abort', stop, { once: true });
  // Off for --empty/--once: a drain must end even while a destination stays down.
  if (deps.autoRetry !== false) schedule();

  const handler = async (row: QueueRow, ctx: { signal: AbortSignal; log: Logger }) => {
    const item = {
      filename: row.filename as string,
      path: (row.path as string) ?? '',
      destination: row.destination as string,
    };
    const dest = normaliseUrl(item.destination);
    // An operator's `queue retry` means now: such a row is tried whatever the back-off says.
    const wait = row.operator_retry ? 0 : backoff.remaining(dest);
    if (wait > 0) return { defer: wait, reason: `${dest} is backing off after a failure` };
    let out: ExportOutcome;
    try {
      out = await exportFile({ ...deps, log: ctx.log }, item, ctx.signal);
    } catch (e) {
      if (e instanceof DestinationError && !ctx.signal.aborted) {
        const seconds = deps.params().export_retry_seconds;
        const s = backoff.failed(dest, seconds, e.message);
        const deferred = await deferDestination(deps.db, item.destination, seconds).catch(() => 0);
        ctx.log.warn(
          { destination: dest, failures: s.failures, seconds, deferred },
          `${dest} failed (${e.message}); backing off for ${seconds} s`,
        );
      }
      throw e;
    }
    backoff.succeeded(dest);
    if (out.action === 'deferred') return { defer: out.seconds, reason: out.reason };
  };
  return Object.assign(handler, { backoff, retryFailed, stop });
}
