import { randomBytes } from 'node:crypto';
import { mkdirSync, utimesSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import type { Queryable } from '../../src/db/pool.js';
import { bzip2, sampleFits, sampleName, type SampleSpec } from '../../src/gemini/samples.js';
import { QUEUES, type QueueName } from '../../src/queues/tables.js';
import { ingestFile, type IngestDeps, type IngestOutcome } from '../../src/services/ingest/ingest.js';
import type { Storage } from '../../src/storage/types.js';

// The one home of test fixtures: FITS files (the Gemini-like samples of src/gemini/samples.ts, as
// the DHS writes them, stored, or ingested) and database rows (queue items, queue errors, workers,
// files, diskfiles and headers) put in place directly, for states the code under test must meet
// but that are slow or impossible to reach through it (a row failed an hour ago, a dead worker).

/** A sample file: its name, its FITS bytes, and the bytes on disk (bzip2 when spec.bz2). */
export interface SampleFile {
  name: string;
  raw: Buffer;
  bytes: Buffer;
}

export function sampleFile(spec: SampleSpec): SampleFile {
  const raw = sampleFits(spec);
  return { name: sampleName(spec), raw, bytes: spec.bz2 ? bzip2(raw) : raw };
}

/** A sample followed by `filler` random bytes: an upload of a chosen size with a real header. */
export function paddedSample(spec: SampleSpec, filler: number): Buffer {
  return Buffer.concat([sampleFits(spec), randomBytes(filler)]);
}

/** An hour before now: a file this old has settled (ingest and copy-from-dhs wait for younger ones). */
export const anHourAgo = () => new Date(Date.now() - 3600_000);

/** Writes a file, making its directory, dated `mtime` (by default settled, an hour ago). */
export function putFile(file: string, bytes: Buffer | string, mtime: Date = anHourAgo()): string {
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, bytes);
  utimesSync(file, mtime, mtime);
  return file;
}

/** A sample file written into a store at its top level, as copy-from-dhs leaves it. */
export async function storeSample(storage: Storage, spec: SampleSpec): Promise<SampleFile> {
  const f = sampleFile(spec);
  await storage.write(f.name, Readable.from([f.bytes]));
  return f;
}

/** A sample file stored and ingested; the outcome says whether it was ingested as new. */
export async function ingestSample(
  deps: IngestDeps,
  spec: SampleSpec,
): Promise<SampleFile & { outcome: IngestOutcome }> {
  const f = await storeSample(deps.storage, spec);
  return { ...f, outcome: await ingestFile(deps, { filename: f.name, path: '' }) };
}

/** A timestamp that far before the database's now(): an interval such as '1 hour'. */
export class Ago {
  constructor(readonly interval: string) {}
}
export const ago = (interval: string) => new Ago(interval);
/** The database's now(). */
export const NOW = ago('0 seconds');

type Row = Record<string, unknown>;

/**
 * Inserts rows (all with the same columns) in one statement and returns them. Objects other than
 * dates and arrays go in as JSON (header.keywords); `ago(...)` is measured by the database clock.
 */
export async function insertRows(db: Queryable, table: string, rows: Row | Row[]): Promise<Row[]> {
  const all = Array.isArray(rows) ? rows : [rows];
  const cols = Object.keys(all[0]);
  const params: unknown[] = [];
  const tuples = all.map((row) => {
    const cells = cols.map((c) => {
      const v = row[c];
      if (v instanceof Ago) {
        params.push(v.interval);
        return `now() - $${params.length}::interval`;
      }
      params.push(
        v !== null && typeof v === 'object' && !(v instanceof Date) && !Array.isArray(v)
          ? JSON.stringify(v)
          : v,
      );
      return `$${params.length}`;
    });
    return `(${cells.join(', ')})`;
  });
  const r = await db.query(
    `INSERT INTO ${table} (${cols.map((c) => `"${c}"`).join(', ')}) VALUES ${tuples.join(', ')} RETURNING *`,
    params,
  );
  return r.rows;
}

/** Queue items as rows of the queue's table (sortkey 'z' unless given); columns as the table's. */
export function queueRows(db: Queryable, queue: QueueName, rows: Row | Row[]): Promise<Row[]> {
  const all = (Array.isArray(rows) ? rows : [rows]).map((r) => ({ ...r, sortkey: r.sortkey ?? 'z' }));
  return insertRows(db, QUEUES[queue].table, all);
}

/** A queue_error row of the queue (its error name, INGEST and so on, filled in). */
export function queueError(db: Queryable, queue: QueueName, row: Row): Promise<Row[]> {
  return insertRows(db, 'queue_error', { queue: QUEUES[queue].errorName, ...row });
}

/** queue_worker rows: workers registered as serving a queue. */
export function workerRow(db: Queryable, row: Row | Row[]): Promise<Row[]> {
  return insertRows(db, 'queue_worker', row);
}

/** A worker registered by this very process, so that liveness checks (host and pid) find it alive. */
export function liveWorker(db: Queryable, queue: QueueName, name: string): Promise<Row[]> {
  return workerRow(db, { name, queue, host: os.hostname(), pid: process.pid });
}

/** A file row and, for each version given (oldest first), a diskfile row; returns their ids. */
export async function fileRows(
  db: Queryable,
  name: string,
  ...diskfiles: Row[]
): Promise<{ fileId: number; diskfileIds: number[] }> {
  const [f] = await insertRows(db, 'file', { name });
  const diskfileIds: number[] = [];
  for (const d of diskfiles) {
    const [row] = await insertRows(db, 'diskfile', { file_id: f.id, ...d });
    diskfileIds.push(row.id as number);
  }
  return { fileId: f.id as number, diskfileIds };
}

/** A header row for a diskfile; returns its id. */
export async function headerRow(db: Queryable, diskfileId: number, row: Row): Promise<number> {
  const [h] = await insertRows(db, 'header', { diskfile_id: diskfileId, ...row });
  return h.id as number;
}
