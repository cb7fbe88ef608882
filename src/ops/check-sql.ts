import type { Queryable } from '../db/pool.js';

// The statements `fitsstore check` runs on diskfile and ops_scrub_state.

export interface PresentRow {
  id: number;
  filename: string;
  path: string;
  file_size: number | null;
  file_md5: string | null;
  lastmod: Date | null;
}

/** Diskfiles under a store directory: path equal to it or below it ('' = everything). */
function underPrefix(prefix: string, values: unknown[]): string {
  if (!prefix) return 'true';
  values.push(prefix, prefix.replace(/[\\%_]/g, '\\$&') + '/%');
  return `(path = $${values.length - 1} OR path LIKE $${values.length})`;
}

export async function countPresent(db: Queryable, prefix: string): Promise<number> {
  const values: unknown[] = [];
  const r = await db.query(
    `SELECT count(*) AS n FROM diskfile WHERE present AND ${underPrefix(prefix, values)}`,
    values,
  );
  return Number(r.rows[0].n);
}

/** Present diskfiles with id > afterId, in id order, fetched a batch at a time (keyset paging). */
export async function* presentDiskfiles(
  db: Queryable,
  prefix: string,
  afterId: number,
  batch: number,
): AsyncGenerator<PresentRow> {
  let last = afterId;
  for (;;) {
    const values: unknown[] = [last, batch];
    const r = await db.query(
      `SELECT id, filename, path, file_size, file_md5, lastmod FROM diskfile
       WHERE present AND id > $1 AND ${underPrefix(prefix, values)} ORDER BY id LIMIT $2`,
      values,
    );
    for (const row of r.rows) yield row as PresentRow;
    if (r.rows.length < batch) return;
    last = r.rows[r.rows.length - 1].id;
  }
}

/** Which of these (path, filename) keys have a present diskfile. */
export async function presentKeys(
  db: Queryable,
  keys: { path: string; filename: string }[],
): Promise<Set<string>> {
  if (!keys.length) return new Set();
  const r = await db.query(
    `SELECT DISTINCT d.path, d.filename FROM diskfile d
     JOIN unnest($1::text[], $2::text[]) AS k(path, filename) ON d.path = k.path AND d.filename = k.filename
     WHERE d.present`,
    [keys.map((k) => k.path), keys.map((k) => k.filename)],
  );
  return new Set(r.rows.map((x) => `${x.path}\u0000${x.filename}`));
}

export interface ScrubState {
  name: string;
  last_diskfile_id: number;
  pass_started_at: Date;
  passes_completed: number;
  bytes_this_pass: number;
  updated_at: Date;
}

export async function loadScrub(db: Queryable, name: string): Promise<ScrubState> {
  const r = await db.query(
    `INSERT INTO ops_scrub_state (name) VALUES ($1) ON CONFLICT (name) DO UPDATE SET name = EXCLUDED.name RETURNING *`,
    [name],
  );
  return r.rows[0];
}

export async function saveScrub(
  db: Queryable,
  name: string,
  s: { last: number; passes: number; bytesThisPass: number; newPass: boolean },
): Promise<void> {
  await db.query(
    `UPDATE ops_scrub_state SET last_diskfile_id = $2, passes_completed = $3, bytes_this_pass = $4, updated_at = now(),
       pass_started_at = CASE WHEN $5::boolean THEN now() ELSE pass_started_at END
     WHERE name = $1`,
    [name, s.last, s.passes, s.bytesThisPass, s.newPass],
  );
}
