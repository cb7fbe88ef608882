// Which frames a rebuild command (add-to-preview-queue, add-to-calcache-queue) selects, and the
// keyset-paged walk over them: a million frames are queued 5,000 at a time, never held at once.

import type { Queryable } from '../db/pool.js';
import { canonicalInstrument } from '../gemini/instruments/generic.js';

export interface FrameFilter {
  /** file.name starts with this (N2025, S20250101 ...). */
  filePre?: string;
  /** Observed in the last N days (header.ut_datetime). */
  lastdays?: number;
  instrument?: string;
  /** Everything: required when no other filter is given, so a typo cannot start a full rebuild. */
  all?: boolean;
  now?: Date;
}

export class FrameFilterError extends Error {
  override name = 'FrameFilterError';
}

export interface FrameRow {
  header_id: number;
  diskfile_id: number;
  filename: string;
}

/** SQL conditions (over f, df, h) and their values, numbered from $2 ($1 is the paging key). */
function frameConditions(o: FrameFilter): { where: string[]; values: unknown[] } {
  const where: string[] = [];
  const values: unknown[] = [];
  const param = (v: unknown, type: string) => {
    values.push(v);
    return `$${values.length + 1}::${type}`;
  };
  if (o.filePre !== undefined) {
    if (!o.filePre) throw new FrameFilterError('--file-pre: empty prefix');
    where.push(`f.name LIKE ${param(o.filePre.replace(/[\\%_]/g, (c) => '\\' + c) + '%', 'text')}`);
  }
  if (o.lastdays !== undefined) {
    if (!(o.lastdays > 0))
      throw new FrameFilterError(`--lastdays: expected a positive number of days, got ${o.lastdays}`);
    const since = new Date((o.now ?? new Date()).getTime() - o.lastdays * 86_400_000);
    where.push(`h.ut_datetime >= ${param(since, 'timestamptz')}`);
  }
  if (o.instrument !== undefined)
    where.push(`h.instrument = ${param(canonicalInstrument(o.instrument), 'text')}`);
  if (where.length === 0 && !o.all) {
    throw new FrameFilterError(
      'say which frames: --file-pre, --lastdays, --instrument, or --all for every frame',
    );
  }
  return { where, values };
}

/**
 * Pages through the canonical frames matching the filter (and `extra` conditions), in header id
 * order, `batch` at a time.
 */
export async function* framePages(
  db: Queryable,
  o: FrameFilter,
  extra: string[] = [],
  batch = 5000,
): AsyncGenerator<FrameRow[]> {
  const { where, values } = frameConditions(o);
  const cond = ['h.id > $1::bigint', 'df.canonical', ...where, ...extra].join(' AND ');
  let last = 0;
  for (;;) {
    const r = await db.query(
      `SELECT h.id AS header_id, df.id AS diskfile_id, df.filename
       FROM header h JOIN diskfile df ON df.id = h.diskfile_id JOIN file f ON f.id = df.file_id
       WHERE ${cond} ORDER BY h.id LIMIT ${Math.trunc(batch)}`,
      [last, ...values],
    );
    if (r.rows.length === 0) return;
    yield r.rows as FrameRow[];
    last = Number(r.rows[r.rows.length - 1].header_id);
  }
}
