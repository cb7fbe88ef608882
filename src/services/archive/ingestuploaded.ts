import { createReadStream } from 'node:fs';
import { opendir, rm, rmdir, stat, unlink } from 'node:fs/promises';
import path from 'node:path';
import type { Config } from '../../config/schema.js';
import type { Db, Queryable } from '../../db/pool.js';
import type { Logger } from '../../log/logger.js';
import { latestLiveId } from '../../queues/items.js';
import { QUEUES } from '../../queues/tables.js';
import { joinKey, type Storage } from '../../storage/types.js';
import { enqueueIngest } from '../ingest/ingestqueue.js';

// ingest-uploaded: an uploaded file goes from upload staging into the store, then onto the ingest
// queue, then its staging copy is removed. The server runs this right after answering an upload;
// the `ingest-uploaded` command runs it over whatever is left in staging (the catch-up after a
// crash or a failed hand-off).
//
// Staging layout: <upload_staging>/<fileuploadlog id>/<path>/<filename>. One directory per upload,
// so two uploads of the same name never overwrite each other's staging file, and the id leads to
// the md5 the uploader was told. Names starting with a dot are uploads still being received.

export interface IngestUploadedDeps {
  config: Config;
  db: Db;
  storage: Storage;
  log: Logger;
}

export interface UploadedItem {
  fileuploadlogId: number;
  filename: string;
  path: string;
  /** md5 echoed to the uploader; the stored copy must match it. Looked up when absent. */
  md5?: string | null;
}

export type IngestUploadedResult =
  | { status: 'queued'; md5: string; size: number; ingestqueueId: number | null }
  | { status: 'superseded'; by: number }
  | { status: 'gone' };

export function uploadDir(config: Config, fileuploadlogId: number): string {
  return path.join(config.paths.upload_staging, String(fileuploadlogId));
}

export function stagingFile(
  config: Config,
  item: Pick<UploadedItem, 'fileuploadlogId' | 'path' | 'filename'>,
): string {
  return path.join(uploadDir(config, item.fileuploadlogId), item.path, item.filename);
}

async function addNote(
  db: Queryable,
  id: number,
  note: string,
  processedCleanly?: boolean,
  ingestqueueId?: number | null,
) {
  await db.query(
    `UPDATE fileuploadlog SET notes = concat_ws('; ', notes, $2::text),
       processed_cleanly = coalesce($3::boolean, processed_cleanly),
       ingestqueue_id = coalesce($4::bigint, ingestqueue_id)
     WHERE id = $1`,
    [id, note, processedCleanly ?? null, ingestqueueId ?? null],
  );
}

/** A later upload of the same file that has already reached the store makes this one moot. */
async function newerUpload(db: Queryable, item: UploadedItem): Promise<number | null> {
  const r = await db.query(
    `SELECT id FROM fileuploadlog WHERE filename = $1 AND id > $2 AND processed_cleanly
     ORDER BY id DESC LIMIT 1`,
    [joinKey(item.path, item.filename), item.fileuploadlogId],
  );
  return r.rows[0]?.id ?? null;
}

// Hand-offs of one store key run one after another, in the order they were asked for, so an older
// upload can never land in the store after a newer one.
const chains = new Map<string, Promise<unknown>>();

function serialised<T>(key: string, fn: () => Promise<T>): Promise<T> {
  const prev = chains.get(key) ?? Promise.resolve();
  const next = prev.catch(() => {}).then(fn);
  chains.set(key, next);
  next.finally(() => chains.get(key) === next && chains.delete(key)).catch(() => {});
  return next;
}

/**
 * staging → store (md5 verified) → ingest queue → staging file removed. A failure is recorded in
 * fileuploadlog.notes and the log, and the staging file is kept for a retry; then it throws.
 */
export function ingestUploaded(deps: IngestUploadedDeps, item: UploadedItem): Promise<IngestUploadedResult> {
  const key = joinKey(item.path, item.filename);
  return serialised(key, () => handOff(deps, item, key));
}

async function handOff(
  deps: IngestUploadedDeps,
  item: UploadedItem,
  key: string,
): Promise<IngestUploadedResult> {
  const { db, storage, log, config } = deps;
  const file = stagingFile(config, item);
  const started = Date.now();
  try {
    try {
      await stat(file);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return { status: 'gone' };
      throw e;
    }
    const newer = await newerUpload(db, item);
    if (newer !== null) {
      await addNote(db, item.fileuploadlogId, `superseded by upload ${newer}; not stored`, true);
      await removeUpload(config, item.fileuploadlogId);
      log.info(
        { filename: item.filename, path: item.path, newer },
        `upload of ${key} superseded by a newer one`,
      );
      return { status: 'superseded', by: newer };
    }
    let md5 = item.md5;
    if (!md5) {
      const r = await db.query('SELECT md5 FROM fileuploadlog WHERE id = $1', [item.fileuploadlogId]);
      md5 = r.rows[0]?.md5 ?? null;
    }
    const written = await storage.write(key, createReadStream(file), md5 ? { expectMd5: md5 } : {});
    // Complete and md5-checked against what the uploader was told: ingest it now, not after
    // ingest_defer_seconds (the store's mtime is the moment of this write).
    await enqueueIngest(db, [{ filename: item.filename, path: item.path, verified: true }]);
    const ingestqueueId = await latestLiveId(db, QUEUES.ingest, { filename: item.filename, path: item.path });
    await addNote(
      db,
      item.fileuploadlogId,
      `stored in the ${storage.kind} store and queued for ingest`,
      true,
      ingestqueueId,
    );
    await removeUpload(config, item.fileuploadlogId);
    log.info(
      {
        filename: item.filename,
        path: item.path,
        size: written.size,
        md5: written.md5,
        ms: Date.now() - started,
      },
      `uploaded ${key} stored and queued for ingest`,
    );
    return { status: 'queued', md5: written.md5, size: written.size, ingestqueueId };
  } catch (e) {
    const msg = `hand-off to ingest failed: ${(e as Error).message}`;
    log.error(
      { filename: item.filename, path: item.path, err: (e as Error).stack },
      `${key}: ${msg}; staging file kept`,
    );
    await addNote(db, item.fileuploadlogId, msg, false).catch(() => {});
    throw e;
  }
}

/** Removes an upload's staging directory (the file and the path directories inside it). */
async function removeUpload(config: Config, id: number): Promise<void> {
  await rm(uploadDir(config, id), { recursive: true, force: true });
}

export interface LeftoverOptions {
  /** Skip uploads younger than this: the server may be handing them off right now. */
  minAgeSeconds?: number;
  /** Unfinished uploads (dot files) older than this are removed: their sender gave up. */
  abandonedSeconds?: number;
}

export interface LeftoverResult {
  queued: number;
  superseded: number;
  failed: number;
  skippedYoung: number;
  removedPartial: number;
}

/** The catch-up: hands off every complete upload left in staging, oldest first. */
export async function ingestLeftovers(
  deps: IngestUploadedDeps,
  opts: LeftoverOptions = {},
): Promise<LeftoverResult> {
  const root = deps.config.paths.upload_staging;
  const minAge = (opts.minAgeSeconds ?? 60) * 1000;
  const abandoned = (opts.abandonedSeconds ?? 86_400) * 1000;
  const result: LeftoverResult = { queued: 0, superseded: 0, failed: 0, skippedYoung: 0, removedPartial: 0 };
  let ids: number[];
  try {
    ids = [];
    for await (const ent of await opendir(root)) {
      if (ent.isDirectory() && /^\d+$/.test(ent.name)) ids.push(Number(ent.name));
    }
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return result;
    throw e;
  }
  ids.sort((a, b) => a - b);
  for (const id of ids) {
    const dir = uploadDir(deps.config, id);
    const files = await walk(dir);
    if (files.length === 0) {
      await rmdir(dir).catch(() => {});
      continue;
    }
    for (const f of files) {
      const st = await stat(f.full).catch(() => null);
      if (!st) continue;
      const age = Date.now() - st.mtimeMs;
      if (f.partial) {
        if (age > abandoned) {
          await unlink(f.full).catch(() => {});
          result.removedPartial++;
        }
        continue;
      }
      if (age < minAge) {
        result.skippedYoung++;
        continue;
      }
      try {
        const r = await ingestUploaded(deps, { fileuploadlogId: id, path: f.path, filename: f.filename });
        if (r.status === 'queued') result.queued++;
        else if (r.status === 'superseded') result.superseded++;
      } catch {
        result.failed++;
      }
    }
    if ((await walk(dir)).length === 0) await rm(dir, { recursive: true, force: true });
  }
  return result;
}

async function walk(
  dir: string,
  rel = '',
): Promise<{ full: string; path: string; filename: string; partial: boolean }[]> {
  const out: { full: string; path: string; filename: string; partial: boolean }[] = [];
  let d;
  try {
    d = await opendir(path.join(dir, rel));
  } catch {
    return out;
  }
  for await (const ent of d) {
    const r = rel ? `${rel}/${ent.name}` : ent.name;
    if (ent.isDirectory()) out.push(...(await walk(dir, r)));
    else if (ent.isFile())
      out.push({ full: path.join(dir, r), path: rel, filename: ent.name, partial: ent.name.startsWith('.') });
  }
  return out;
}
