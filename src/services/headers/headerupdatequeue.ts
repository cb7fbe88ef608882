// The header_update table: the web process records requests, the privileged worker claims them
// one at a time, applies them (services/headers/headerupdate.ts) and writes the outcome back, and the web
// process may wait a bounded time for those outcomes to answer synchronously. Every statement that
// touches header_update is in this file.

import os from 'node:os';
import { Waker } from '../../daemon/sleep.js';
import { listen } from '../../db/listen.js';
import type { Db, Queryable } from '../../db/pool.js';
import type { Logger } from '../../log/logger.js';
import type { Storage } from '../../storage/types.js';
import { applyHeaderUpdate, type HeaderUpdateItem } from './headerupdate.js';
import type { RewriteOptions } from './headerrewrite.js';

export const HEADER_UPDATE_CHANNEL = 'fitsstore_header_update';

/** A worker that has held a row this long without finishing is taken for dead. */
const ABANDONED_AFTER = '10 minutes';

export interface HeaderUpdateRow {
  id: number;
  filename: string | null;
  data_label: string | null;
  request_values: HeaderUpdateItem['values'];
  reject_new: boolean;
  result: boolean | null;
  error: string | null;
}

export interface ItemOutcome {
  result: boolean;
  id: string;
  error?: string;
}

/** Records requests (one statement) and wakes the worker. Returns the row ids in item order. */
export async function recordRequests(
  db: Queryable,
  items: HeaderUpdateItem[],
  source: string,
): Promise<number[]> {
  if (items.length === 0) return [];
  const r = await db.query(
    `WITH input AS (
       SELECT * FROM unnest($1::text[], $2::text[], $3::jsonb[], $4::boolean[]) WITH ORDINALITY
         AS t(filename, data_label, request_values, reject_new, n))
     , ins AS (
       INSERT INTO header_update (filename, data_label, request_values, reject_new, source)
       SELECT filename, data_label, request_values, reject_new, $5::text FROM input ORDER BY n
       RETURNING id)
     SELECT id FROM ins ORDER BY id`,
    [
      items.map((i) => i.filename ?? null),
      items.map((i) => i.data_label ?? null),
      items.map((i) => JSON.stringify(i.values)),
      items.map((i) => i.reject_new ?? false),
      source,
    ],
  );
  await db.query(`SELECT pg_notify($1::text, '')`, [HEADER_UPDATE_CHANNEL]);
  return r.rows.map((x) => Number(x.id));
}

/**
 * Claims the oldest pending request whose file no other worker is changing (two rewrites of one
 * file at once would lose one of them). `onlyId` claims that row only (the shell command).
 */
export async function claimRequest(
  db: Queryable,
  worker: string,
  onlyId?: number,
): Promise<HeaderUpdateRow | null> {
  const r = await db.query(
    `UPDATE header_update SET in_progress = true, worker = $1::text, started_at = now()
     WHERE id = (
       SELECT id FROM header_update u
       WHERE u.result IS NULL
         AND (NOT u.in_progress OR u.started_at < now() - interval '${ABANDONED_AFTER}')
         AND ($2::bigint IS NULL OR u.id = $2::bigint)
         AND NOT EXISTS (
           SELECT 1 FROM header_update o
           WHERE o.in_progress AND o.result IS NULL AND o.id <> u.id
             AND o.started_at >= now() - interval '${ABANDONED_AFTER}'
             AND (o.filename = u.filename OR o.data_label = u.data_label))
       ORDER BY u.id LIMIT 1 FOR UPDATE SKIP LOCKED)
     RETURNING id, filename, data_label, request_values, reject_new, result, error`,
    [worker, onlyId ?? null],
  );
  return r.rows[0] ?? null;
}

/** Writes the outcome; only the worker holding the row may. */
export async function finishRequest(
  db: Queryable,
  id: number,
  worker: string,
  outcome: { result: boolean; error?: string; path?: string; filename?: string; changes?: unknown },
): Promise<void> {
  await db.query(
    `UPDATE header_update SET in_progress = false, done_at = now(), result = $3::boolean, error = $4::text,
       path = $5::text, changed_filename = $6::text, changes = $7::jsonb
     WHERE id = $1::bigint AND worker = $2::text`,
    [
      id,
      worker,
      outcome.result,
      outcome.error ?? null,
      outcome.path ?? null,
      outcome.filename ?? null,
      outcome.changes === undefined ? null : JSON.stringify(outcome.changes),
    ],
  );
}

/** Outcomes of the given rows (result null while pending). */
export async function requestOutcomes(db: Queryable, ids: number[]): Promise<HeaderUpdateRow[]> {
  const r = await db.query(
    `SELECT id, filename, data_label, request_values, reject_new, result, error FROM header_update
     WHERE id = ANY($1::bigint[]) ORDER BY id`,
    [ids],
  );
  return r.rows.map((x) => ({ ...x, id: Number(x.id) }));
}

/** Polls until every row has an outcome or `timeoutMs` has passed; returns what is known. */
export async function waitForOutcomes(
  db: Queryable,
  ids: number[],
  timeoutMs: number,
  signal?: AbortSignal,
): Promise<HeaderUpdateRow[]> {
  const end = Date.now() + timeoutMs;
  const waker = new Waker();
  for (;;) {
    const rows = await requestOutcomes(db, ids);
    if (rows.every((r) => r.result !== null) || Date.now() >= end || signal?.aborted) return rows;
    await waker.sleep(Math.min(100, Math.max(0, end - Date.now())), signal);
  }
}

export interface ProcessDeps {
  db: Db;
  storage: Storage;
  log: Logger;
  /** Injected failure point for tests (see rewriteHeader). */
  beforeRename?: RewriteOptions['beforeRename'];
}

/** Applies one claimed row and records its outcome. Never throws for a bad request. */
export async function processRequest(
  deps: ProcessDeps,
  row: HeaderUpdateRow,
  worker: string,
): Promise<ItemOutcome> {
  const id = row.filename ?? row.data_label ?? String(row.id);
  const item: HeaderUpdateItem = {
    filename: row.filename ?? undefined,
    data_label: row.data_label ?? undefined,
    values: row.request_values,
    reject_new: row.reject_new,
  };
  try {
    const done = await applyHeaderUpdate(deps, item, { beforeRename: deps.beforeRename });
    await finishRequest(deps.db, row.id, worker, {
      result: true,
      path: done.file.path,
      filename: done.file.filename,
      changes: done.changes,
    });
    deps.log.info(
      {
        request: row.id,
        filename: done.file.filename,
        path: done.file.path,
        changes: done.changes,
        inPlace: done.inPlace,
      },
      done.unchanged ? `header update of ${id}: already as asked` : `updated the header of ${id}`,
    );
    return { result: true, id };
  } catch (e) {
    const error = e instanceof Error ? e.message : String(e);
    deps.log.warn({ request: row.id, err: error }, `header update of ${id} failed`);
    await finishRequest(deps.db, row.id, worker, { result: false, error });
    return { result: false, id, error };
  }
}

export interface ServiceOptions extends ProcessDeps {
  /** Connection string for the LISTEN connection (wake-up on new requests). */
  url: string;
  name?: string;
  signal: AbortSignal;
  /** Drain the pending requests, then return. */
  once?: boolean;
  /** Safety-net poll interval when no NOTIFY arrives. */
  pollMs?: number;
}

export function workerName(name?: string): string {
  return `${name ?? 'header-updates'}@${os.hostname()}:${process.pid}`;
}

/** The worker loop: claim, apply, record; sleep until NOTIFY or the poll interval. */
export async function serviceHeaderUpdates(o: ServiceOptions): Promise<{ done: number; failed: number }> {
  const worker = workerName(o.name);
  const stats = { done: 0, failed: 0 };
  const waker = new Waker();
  // Listening again after a lost connection, look for requests recorded meanwhile.
  const listener = o.once
    ? null
    : listen({
        connection: o.url,
        channels: [HEADER_UPDATE_CHANNEL],
        onNotification: () => waker.wake(),
        onListening: () => waker.wake(),
      });
  try {
    while (!o.signal.aborted) {
      const row = await claimRequest(o.db, worker);
      if (row) {
        const out = await processRequest(o, row, worker);
        if (out.result) stats.done++;
        else stats.failed++;
        continue;
      }
      if (o.once) break;
      await waker.sleep(o.pollMs ?? 5000, o.signal);
    }
  } finally {
    await listener?.stop();
  }
  return stats;
}
