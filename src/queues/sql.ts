import { COLUMN_DEFAULTS, type QueueTable } from './tables.js';

// The words every queue statement is built from, defined once: claim, status, triage, the web
// status page and the operator verbs all say "pending" with the same text, and match rows of one
// key with the same helper, so they cannot drift apart.

const col = (alias: string | undefined, c: string) => (alias ? `${alias}.${c}` : c);

/**
 * A pending row: waiting for a worker, neither held nor failed (deferred rows included). The
 * one-row-per-key unique index is partial on exactly this predicate, and enqueue's ON CONFLICT
 * names it, so the text must stay `NOT in_progress AND NOT failed`.
 */
export function pending(alias?: string): string {
  return `NOT ${col(alias, 'in_progress')} AND NOT ${col(alias, 'failed')}`;
}

/** A pending row that may be claimed now: not deferred into the future. */
export function claimable(alias?: string): string {
  return `${pending(alias)} AND (${col(alias, 'after')} IS NULL OR ${col(alias, 'after')} <= now())`;
}

/** A pending row deferred into the future (a young file, a destination backing off). */
export function deferred(alias?: string): string {
  return `${pending(alias)} AND ${col(alias, 'after')} > now()`;
}

/**
 * SQL: row `a` has the same key as `b`, where `b` is another alias or `{ param: n }` for the key's
 * values as consecutive parameters $n, $n+1, … (cast to the columns' types).
 */
export function keyMatch(q: QueueTable, a: string, b: string | { param: number }): string {
  return q.key
    .map((k, i) =>
      typeof b === 'string' ? `${a}.${k} = ${b}.${k}` : `${a}.${k} = $${b.param + i}::${q.columns[k]}`,
    )
    .join(' AND ');
}

/** SQL: the key of row `a` as one text, for display and grouping. */
export function keyText(q: QueueTable, a: string): string {
  return q.key.map((k) => `coalesce(${a}.${k}::text, '')`).join(` || ' ' || `);
}

/** The key of an item as a JavaScript string, for de-duplicating and set lookups. */
export function keyOf(q: QueueTable, item: Record<string, unknown>): string {
  return q.key.map((k) => String(item[k] ?? COLUMN_DEFAULTS[k])).join('\u0000');
}

/** The key's values in column order, for `keyMatch(q, a, { param })`. */
export function keyValues(q: QueueTable, item: Record<string, unknown>): unknown[] {
  return q.key.map((k) => item[k] ?? COLUMN_DEFAULTS[k] ?? null);
}

/**
 * SQL: true while the file named by `name` (an SQL expression giving file.name) waits in the
 * ingest queue or an upload of it is being handed to ingest. One expression for every caller, so
 * /jsonfilelist, the search's pending_ingest column and the placeholder check cannot disagree.
 */
export function pendingIngestSql(name: string): string {
  return `(EXISTS (SELECT 1 FROM ingestqueue q WHERE NOT q.failed AND q.filename IN (${name}, ${name} || '.bz2'))
    OR EXISTS (SELECT 1 FROM fileuploadlog u
               WHERE u.processed_cleanly IS NULL AND u.ut_transfer_complete IS NOT NULL
                 AND u.ut_transfer_start > now() - interval '1 day'
                 AND (u.filename IN (${name}, ${name} || '.bz2')
                      OR u.filename LIKE '%/' || ${name} OR u.filename LIKE '%/' || ${name} || '.bz2')))`;
}
