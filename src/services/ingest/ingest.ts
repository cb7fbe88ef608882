import type { Readable } from 'node:stream';
import { finished } from 'node:stream/promises';
import { open } from 'node:fs/promises';
import type { Config } from '../../config/schema.js';
import { withTransaction, type Db, type DbClient } from '../../db/pool.js';
import type { SystemParameters } from '../../db/params.js';
import { readFits, type RandomAccessSource } from '../../fits/reader.js';
import { randomAccessFile } from '../../fits/streams.js';
import type { Header } from '../../fits/types.js';
import { footprints } from '../../gemini/footprint.js';
import { extractMetadata } from '../../gemini/metadata.js';
import { trimBz2 } from '../../gemini/filename.js';
import { sortkey } from '../../gemini/sortkey.js';
import type { Logger } from '../../log/logger.js';
import * as engine from '../../queues/engine.js';
import type { QueueRow } from '../../queues/engine.js';
import { QUEUES } from '../../queues/tables.js';
import type { Handler } from '../../queues/worker.js';
import { compressionOf, decompressStream } from '../../storage/decompress.js';
import { hashFd, threadHashingStream } from '../../storage/hashthread.js';
import { md5OfStored } from '../../storage/md5.js';
import { joinKey, type Storage } from '../../storage/types.js';
import * as diskfiles from './diskfile.js';
import { photStandardIn } from './photstandards.js';

// Ingest: one queue item → change detection → (maybe) a new diskfile version with its header row
// → follow-up queue rows (export on a summit, preview and calcache on an archive).

export interface IngestDeps {
  db: Db;
  storage: Storage;
  config: Config;
  log: Logger;
  params: () => SystemParameters;
  /** The clock a file's age is measured against (ms since the epoch); tests fix it. */
  now?: () => number;
}

export interface IngestRequest {
  filename: string;
  path: string;
  force?: boolean;
  force_md5?: boolean;
  /** Written into the store complete and verified by whoever queued it: never deferred for age. */
  verified?: boolean;
}

export type IngestOutcome =
  | { action: 'unchanged'; diskfileId: number }
  | { action: 'new' | 'updated'; diskfileId: number; headerId: number }
  | { action: 'deferred'; seconds: number };

class IngestError extends Error {
  override name = 'IngestError';
}

export async function ingestFile(deps: IngestDeps, req: IngestRequest): Promise<IngestOutcome> {
  const { db, storage, log } = deps;
  const path = req.path ?? '';
  const key = joinKey(path, req.filename);
  const st = await storage.stat(key);
  if (!st) {
    const gone = await diskfiles.markNotPresent(db, req.filename, path);
    throw new IngestError(
      `${key}: file not found in the store${gone ? ' (its diskfile is now marked not present)' : ''}`,
    );
  }
  // A file modified moments ago may still be being written (NFS, header updates): come back later.
  const deferSeconds = deps.params().ingest_defer_seconds;
  const ageMs = (deps.now ?? Date.now)() - st.lastmod.getTime();
  if (!req.verified && storage.kind === 'local' && ageMs < deferSeconds * 1000 && ageMs > -60_000) {
    return { action: 'deferred', seconds: Math.max(0.5, deferSeconds - ageMs / 1000) };
  }
  const name = trimBz2(req.filename);
  // Present versions are one per file, so one found at this very place is the file's.
  const existing =
    (await diskfiles.presentAt(db, req.filename, path)) ?? (await diskfiles.presentDiskfile(db, name));
  if (existing && !req.force && existing.filename === req.filename && existing.path === path) {
    const sameLastmod =
      existing.lastmod?.getTime() === st.lastmod.getTime() && Number(existing.file_size) === st.size;
    // S3 lastmod is the upload time, not the file's: there the md5 decides.
    if (storage.kind === 'local' && sameLastmod && !req.force_md5) {
      return { action: 'unchanged', diskfileId: existing.id };
    }
    const md5 = st.md5 ?? (await md5OfStored(storage, key)).md5;
    if (md5 === existing.file_md5) {
      if (!sameLastmod) await diskfiles.touchLastmod(db, existing.id, st.lastmod);
      return { action: 'unchanged', diskfileId: existing.id };
    }
  }

  const compressed = compressionOf(req.filename) !== 'none';
  const parsed = await readAndHash(storage, key, compressed);
  if (parsed.changed) return { action: 'deferred', seconds: deferSeconds || 1 };
  const fatal = parsed.problems.filter((p) => p.fatal);
  if (fatal.length || !parsed.file || !parsed.data) {
    throw new IngestError(`${key}: not a valid FITS file: ${fatal.map((p) => p.message).join('; ')}`);
  }
  const headers = parsed.headers;
  // PostgreSQL text cannot hold NUL: say what is wrong with the file, not what the database said.
  if (headers.some((h) => h.cards.some((c) => c.raw.includes('\u0000')))) {
    throw new IngestError(`${key}: not a valid FITS file: a header contains NUL bytes`);
  }
  const row = extractMetadata(headers, { filename: req.filename });
  // A known photometric standard in the field (the extraction alone cannot know it).
  row.phot_standard = await photStandardIn(db, footprints(headers));
  // The commit need not wait for the WAL flush: the queue row is completed only after it, so any
  // crash that loses this commit loses that completion too (the WAL is a prefix), the row is swept
  // back and the file ingested again. Nothing is lost; at most the work is done twice.
  const result = await withTransaction(
    db,
    async (c) => {
      const ids = await diskfiles.insertVersion(c, {
        name,
        filename: req.filename,
        path,
        file_md5: parsed.file.md5,
        file_size: parsed.file.size,
        data_md5: parsed.data.md5,
        data_size: parsed.data.size,
        compressed,
        lastmod: st.lastmod,
        fvwarnings: parsed.problems.length,
        fverrors: 0,
        header: row,
        fulltext: fullText(headers),
      });
      await queueFollowUps(c, deps.config, req, ids);
      return ids;
    },
    { asyncCommit: true },
  );
  log.info(
    { filename: req.filename, path, diskfile_id: result.diskfileId, size: parsed.file.size },
    `ingested ${key}${existing ? ' (new version)' : ''}`,
  );
  return { action: existing ? 'updated' : 'new', ...result };
}

/** Summit: one export row per destination. Archive: a preview and a calibration job. */
async function queueFollowUps(
  c: DbClient,
  config: Config,
  req: IngestRequest,
  ids: { diskfileId: number; headerId: number },
) {
  const key = sortkey(req.filename);
  if (config.role === 'summit') {
    const rows = config.export.destinations.map((d) => ({
      filename: req.filename,
      path: req.path ?? '',
      destination: d.url,
      sortkey: key,
    }));
    if (rows.length) await engine.enqueue(c, QUEUES.export, rows);
  } else {
    await engine.enqueue(c, QUEUES.preview, [
      { diskfile_id: ids.diskfileId, filename: req.filename, sortkey: key },
    ]);
    await engine.enqueue(c, QUEUES.calcache, [
      { obs_hid: ids.headerId, filename: req.filename, sortkey: key },
    ]);
  }
}

/**
 * md5/size of the file as stored and of the decompressed data, in the same pass that reads the
 * headers; nothing is written to a temporary file. Hashing happens on the md5 thread.
 */
async function readAndHash(storage: Storage, key: string, compressed: boolean) {
  const local = storage.localPath(key);
  if (local && !compressed) return readLocalAndHash(local, key);
  const raw = await storage.read(key);
  const fileHash = threadHashingStream();
  raw.on('error', (e) => fileHash.destroy(e));
  let data: Readable = raw.pipe(fileHash);
  let dataHash = fileHash;
  if (compressed) {
    dataHash = threadHashingStream();
    const d = decompressStream(fileHash, key);
    d.on('error', (e) => dataHash.destroy(e));
    data = d.pipe(dataHash);
  }
  const result = await readOrExplain(data, key);
  if (result.problems.some((p) => p.fatal)) {
    // The reader may have stopped midway: the sums would never complete, and are not needed.
    raw.destroy();
    fileHash.destroy();
    dataHash.destroy();
    return { ...result, file: null, data: null, changed: false };
  }
  // Whatever the reader left unread (trailing bytes) still counts in the file's md5.
  await finished(data.resume());
  return { ...result, file: await fileHash.result(), data: await dataHash.result(), changed: false };
}

/**
 * A plain local file: the md5 thread hashes it through the open descriptor while this thread
 * reads only its header blocks (data units are skipped, not read). Both see the same file, even
 * if it is renamed meanwhile; `changed` means its size moved while it was being read.
 */
async function readLocalAndHash(file: string, key: string) {
  const fh = await open(file, 'r');
  const sum = hashFd(fh.fd);
  sum.catch(() => {}); // awaited below in every case
  try {
    const size = (await fh.stat()).size;
    const result = await readOrExplain(randomAccessFile(fh, size), key);
    const file = await sum;
    if (result.problems.some((p) => p.fatal)) return { ...result, file: null, data: null, changed: false };
    return { ...result, file, data: file, changed: file.size !== size };
  } finally {
    // The md5 thread reads through this descriptor: close it only once that is over.
    await sum.catch(() => {});
    await fh.close();
  }
}

async function readOrExplain(source: Readable | RandomAccessSource, key: string) {
  try {
    const r = await readFits(source, { wantData: () => false });
    return { headers: r.hdus.map((h) => h.header) as Header[], problems: r.problems };
  } catch (e) {
    throw new IngestError(`${key}: cannot read: ${(e as Error).message}`, { cause: e });
  }
}

function fullText(headers: Header[]): string {
  return headers
    .map(
      (h, i) =>
        `--- HDU ${i} ---\n` + h.cards.map((c) => c.raw.match(/.{1,80}/g)?.join('\n') ?? '').join('\n'),
    )
    .join('\n');
}

/**
 * Of many queued files, those certainly unchanged since their present version was recorded: the
 * same name and path, size and mtime (local store), not forced, and not so fresh that ingest
 * would defer them. One query for all of them and a stat each, instead of a lookup per file: the
 * nightly re-queue of everything is bounded by this (issue 17: 2,065 files/s one by one).
 */
async function unchangedIds(deps: IngestDeps, rows: QueueRow[]): Promise<Set<number>> {
  const out = new Set<number>();
  if (deps.storage.kind !== 'local') return out; // S3 lastmod is the upload time: md5 decides there
  const cand = rows.filter((r) => !r.force && !r.force_md5);
  if (!cand.length) return out;
  const r = await deps.db.query(
    `SELECT d.filename, d.path, d.lastmod, d.file_size FROM diskfile d
     JOIN unnest($1::text[], $2::text[]) AS k(filename, path) ON d.filename = k.filename AND d.path = k.path
     WHERE d.present`,
    [cand.map((x) => x.filename as string), cand.map((x) => (x.path as string) ?? '')],
  );
  const known = new Map(r.rows.map((d) => [joinKey(d.path, d.filename), d]));
  const deferMs = deps.params().ingest_defer_seconds * 1000;
  await Promise.all(
    cand.map(async (row) => {
      const key = joinKey((row.path as string) ?? '', row.filename as string);
      const d = known.get(key);
      if (!d) return;
      const st = await deps.storage.stat(key).catch(() => null);
      if (!st || st.size !== Number(d.file_size) || st.lastmod.getTime() !== d.lastmod?.getTime()) return;
      const age = Date.now() - st.lastmod.getTime();
      if (!row.verified && age < deferMs && age > -60_000) return; // ingestFile decides (defers)
      out.add(row.id);
    }),
  );
  return out;
}

/** The ingest queue handler: deferral and errors map to the worker's outcomes. */
export function makeIngestHandler(deps: IngestDeps): Handler {
  const handler: Handler = async (row: QueueRow) => {
    const out = await ingestFile(deps, {
      filename: row.filename as string,
      path: (row.path as string) ?? '',
      force: row.force as boolean,
      force_md5: row.force_md5 as boolean,
      verified: row.verified === true,
    });
    if (out.action === 'deferred') return { defer: out.seconds, reason: 'modified in the last seconds' };
    if (out.action === 'unchanged') return { settled: true };
  };
  handler.settle = (rows) => unchangedIds(deps, rows);
  return handler;
}
