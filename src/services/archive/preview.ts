// service-queue preview: one previewqueue row (diskfile_id) → read the stored file (decompressed
// on the fly) → render a grey JPEG → store it beside the data under a predictable key → upsert the
// `preview` row. A file that cannot be previewed throws an error naming it; the worker records it.

import { createReadStream } from 'node:fs';
import { Readable } from 'node:stream';
import { framePages, type FrameFilter } from '../../calcache/frames.js';
import type { Db } from '../../db/pool.js';
import { sortkey } from '../../gemini/sortkey.js';
import type { Logger } from '../../log/logger.js';
import { previewFits, type PreviewResult, type RenderOptions } from '../../preview/index.js';
import { enqueue, type EnqueueResult, type QueueRow } from '../../queues/engine.js';
import { QUEUES } from '../../queues/tables.js';
import type { Handler } from '../../queues/worker.js';
import { compressionOf, decompressStream } from '../../storage/decompress.js';
import { joinKey, type Storage } from '../../storage/types.js';

export interface PreviewDeps {
  db: Db;
  storage: Storage;
  log?: Logger;
  render?: RenderOptions;
}

class PreviewError extends Error {
  override name = 'PreviewError';
}

/** Directory, next to the data, that holds the previews of the files in it. */
const PREVIEW_DIR = 'previews';

/** 'N20200101S0001.fits.bz2' in 'sub' → 'sub/previews/N20200101S0001_preview.jpg'. */
export function previewKey(path: string, filename: string): string {
  const stem = filename.replace(/\.(bz2|gz)$/i, '').replace(/\.fits?$/i, '');
  return joinKey(path, `${PREVIEW_DIR}/${stem}_preview.jpg`);
}

interface DiskfileInfo {
  id: number;
  filename: string;
  path: string;
  present: boolean;
}

async function diskfileInfo(db: Db, id: number): Promise<DiskfileInfo | null> {
  const r = await db.query('SELECT id, filename, path, present FROM diskfile WHERE id = $1::bigint', [id]);
  return (r.rows[0] as DiskfileInfo) ?? null;
}

async function hasPreview(db: Db, diskfileId: number, key: string): Promise<boolean> {
  const r = await db.query('SELECT 1 FROM preview WHERE diskfile_id = $1::bigint AND filename = $2::text', [
    diskfileId,
    key,
  ]);
  return (r.rowCount ?? 0) > 0;
}

/** Records the preview of a diskfile; the preview of an earlier render under the same key is kept as one row. */
async function upsertPreview(db: Db, diskfileId: number, key: string): Promise<void> {
  await db.query(
    `INSERT INTO preview (diskfile_id, filename) VALUES ($1::bigint, $2::text)
     ON CONFLICT (diskfile_id, filename) DO UPDATE SET created = now()`,
    [diskfileId, key],
  );
}

/**
 * What previewFits reads: a plain local file by path (positioned reads, no stream), else the
 * store's stream (S3, or compressed files), decompressed on the way.
 */
async function openData(storage: Storage, key: string, filename: string): Promise<Readable | string> {
  const local = storage.localPath(key);
  if (local && compressionOf(filename) === 'none') return local;
  const raw = local ? createReadStream(local, { highWaterMark: 1 << 20 }) : await storage.read(key);
  return compressionOf(filename) === 'none' ? raw : decompressStream(raw, key);
}

export type PreviewOutcome =
  { action: 'made'; key: string; result: PreviewResult; ms: number } | { action: 'exists'; key: string };

export async function makePreview(
  deps: PreviewDeps,
  req: { diskfileId: number; force?: boolean },
): Promise<PreviewOutcome> {
  const df = await diskfileInfo(deps.db, req.diskfileId);
  if (!df) throw new PreviewError(`diskfile ${req.diskfileId} not found`);
  const dataKey = joinKey(df.path, df.filename);
  const key = previewKey(df.path, df.filename);
  if (!req.force && (await hasPreview(deps.db, df.id, key)) && (await deps.storage.stat(key))) {
    return { action: 'exists', key };
  }
  if (!(await deps.storage.stat(dataKey))) throw new PreviewError(`${dataKey}: file not found in the store`);
  const started = performance.now();
  let result: PreviewResult;
  try {
    result = await previewFits(await openData(deps.storage, dataKey, df.filename), dataKey, deps.render);
  } catch (e) {
    // Messages from the reader already name the file; others get its name in front.
    const msg = (e as Error).message;
    throw new PreviewError(msg.startsWith(dataKey) ? msg : `${dataKey}: ${msg}`, { cause: e });
  }
  await deps.storage.write(key, Readable.from([result.jpeg]));
  await upsertPreview(deps.db, df.id, key);
  const ms = performance.now() - started;
  deps.log?.debug(
    { diskfile_id: df.id, key, ms: Math.round(ms), bytes: result.jpeg.length },
    `preview of ${dataKey}`,
  );
  return { action: 'made', key, result, ms };
}

/** The previewqueue handler: errors propagate, so the worker fails the row and records them. */
export function makePreviewHandler(deps: PreviewDeps): Handler {
  return async (row: QueueRow) => {
    await makePreview(deps, { diskfileId: Number(row.diskfile_id), force: Boolean(row.force) });
  };
}

export interface AddToPreviewQueueOptions extends FrameFilter {
  /** Re-render frames that already have a preview. */
  force?: boolean;
  onProgress?: (queued: number) => void;
}

/** add-to-preview-queue: queue the present, canonical files selected (without a preview unless forced). */
export async function addToPreviewQueue(
  db: Db,
  o: AddToPreviewQueueOptions,
): Promise<EnqueueResult & { selected: number }> {
  const extra = ['df.present'];
  if (!o.force) extra.push('NOT EXISTS (SELECT 1 FROM preview p WHERE p.diskfile_id = df.id)');
  const total = { queued: 0, alreadyPending: 0, selected: 0 };
  for await (const page of framePages(db, o, extra)) {
    const r = await enqueue(
      db,
      QUEUES.preview,
      page.map((x) => ({
        diskfile_id: x.diskfile_id,
        filename: x.filename,
        force: Boolean(o.force),
        sortkey: sortkey(x.filename),
      })),
    );
    total.selected += page.length;
    total.queued += r.queued;
    total.alreadyPending += r.alreadyPending;
    o.onProgress?.(total.selected);
  }
  return total;
}
