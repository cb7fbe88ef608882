import type { Queryable } from '../../db/pool.js';
import { HEADER_COLUMNS, type HeaderRow } from '../../gemini/headerrow.js';

// SQL for file, diskfile, header and fulltextheader: the tables ingest owns.

export interface DiskfileRow {
  id: number;
  file_id: number;
  filename: string;
  path: string;
  present: boolean;
  canonical: boolean;
  file_md5: string | null;
  file_size: number | null;
  data_md5: string | null;
  data_size: number | null;
  compressed: boolean;
  lastmod: Date | null;
  entrytime: Date;
}

export async function presentDiskfile(db: Queryable, name: string): Promise<DiskfileRow | null> {
  // Not a named statement on purpose: a prepared statement keeps a generic plan made from the
  // statistics of its time (an empty table: sequential scans), and this lookup must stay an index
  // probe while file and diskfile grow. Planned per call, it follows the table's real size.
  const r = await db.query(
    `SELECT df.* FROM diskfile df JOIN file f ON f.id = df.file_id WHERE f.name = $1 AND df.present`,
    [name],
  );
  return r.rows[0] ?? null;
}

/**
 * The present version stored under exactly this filename and path, if that is where it is: one
 * table, no join (the common case of a re-queued, unchanged file). Null says nothing about other
 * names of the same file: ask presentDiskfile then.
 */
export async function presentAt(db: Queryable, filename: string, path: string): Promise<DiskfileRow | null> {
  const r = await db.query('SELECT * FROM diskfile WHERE filename = $1 AND path = $2 AND present', [
    filename,
    path,
  ]);
  return r.rows[0] ?? null;
}

export async function touchLastmod(db: Queryable, id: number, lastmod: Date): Promise<void> {
  await db.query('UPDATE diskfile SET lastmod = $2 WHERE id = $1', [id, lastmod]);
}

/** A file gone from the store: its present version is no longer present (kept canonical). */
export async function markNotPresent(db: Queryable, filename: string, path: string): Promise<number> {
  const r = await db.query(
    'UPDATE diskfile SET present = false WHERE filename = $1 AND path = $2 AND present',
    [filename, path],
  );
  return r.rowCount ?? 0;
}

export interface NewVersion {
  name: string;
  filename: string;
  path: string;
  file_md5: string;
  file_size: number;
  data_md5: string;
  data_size: number;
  compressed: boolean;
  lastmod: Date;
  fvwarnings: number;
  fverrors: number;
  header: HeaderRow;
  fulltext: string;
}

// One statement for the whole version (one round trip). The old versions must stop being present
// and canonical before the new diskfile goes in (partial unique indexes): the INSERT reads a count
// over the UPDATE's output, so it cannot produce its row until that UPDATE has finished.
const DISKFILE_PARAMS = 12; // $1 name … $12 fulltext, then one per header column
const INSERT_VERSION_SQL = `
  WITH f AS (
    INSERT INTO file (name) VALUES ($1) ON CONFLICT (name) DO UPDATE SET name = EXCLUDED.name RETURNING id),
  old AS (
    UPDATE diskfile SET present = false, canonical = false
    WHERE file_id = (SELECT id FROM f) AND (present OR canonical) RETURNING id),
  d AS (
    INSERT INTO diskfile (file_id, filename, path, present, canonical, file_md5, file_size, data_md5, data_size,
      compressed, lastmod, isfits, fvwarnings, fverrors, mdready)
    SELECT f.id, $2, $3, true, true, $4, $5, $6, $7, $8, $9, true, $10, $11, true
    FROM f, (SELECT count(*) FROM old) AS retired
    RETURNING id),
  h AS (
    INSERT INTO header (diskfile_id, ${HEADER_COLUMNS.map(quoteIdent).join(', ')})
    VALUES ((SELECT id FROM d), ${HEADER_COLUMNS.map((_, i) => `$${DISKFILE_PARAMS + 1 + i}`).join(', ')})
    RETURNING id),
  ft AS (
    INSERT INTO fulltextheader (diskfile_id, fulltext) VALUES ((SELECT id FROM d), $12))
  SELECT (SELECT id FROM d) AS diskfile_id, (SELECT id FROM h) AS header_id`;

/**
 * Records a new version in the caller's transaction: older versions stop being present and
 * canonical, never deleted. Returns the new diskfile and header ids.
 */
export async function insertVersion(
  c: Queryable,
  v: NewVersion,
): Promise<{ diskfileId: number; headerId: number }> {
  const header = HEADER_COLUMNS.map((k) => (k === 'keywords' ? JSON.stringify(v.header[k]) : v.header[k]));
  const r = await c.query({
    name: 'insert-version',
    text: INSERT_VERSION_SQL,
    values: [
      v.name,
      v.filename,
      v.path,
      v.file_md5,
      v.file_size,
      v.data_md5,
      v.data_size,
      v.compressed,
      v.lastmod,
      v.fvwarnings,
      v.fverrors,
      v.fulltext,
      ...header,
    ],
  });
  return { diskfileId: r.rows[0].diskfile_id as number, headerId: r.rows[0].header_id as number };
}

// Column names come from HEADER_COLUMNS only; quoting covers reserved words like "dec" and "mode".
function quoteIdent(k: string): string {
  return `"${k}"`;
}
