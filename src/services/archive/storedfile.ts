// The present version of a file, by name, as the archive serves it: where it is stored, and the
// header facts the access decision is made from (release, engineering, program, observation,
// PROP_MD). /file, /fullheader, /preview and /download all start here, so that a file is found,
// and judged, the same way whichever door it is asked through.

import type { Readable } from 'node:stream';
import type { Queryable } from '../../db/pool.js';
import { joinKey, type Storage, type StoredFile } from '../../storage/types.js';

export interface PresentFile {
  diskfile_id: number;
  /** file.name (without .bz2). */
  name: string;
  /** The stored name (with .bz2 when stored compressed). */
  filename: string;
  path: string;
  /** The store key: path and filename. */
  key: string;
  file_md5: string | null;
  /** Uncompressed size, when ingest recorded it. */
  data_size: number | null;
  // What access depends on (server/access.ts's AccessRow).
  /** false: no header row (not a FITS data file), so nothing to protect. */
  has_header: boolean;
  /** YYYY-MM-DD, or null. */
  release: string | null;
  engineering: boolean | null;
  program_id: string | null;
  observation_id: string | null;
  /** PROP_MD: target name and position are as proprietary as the data. */
  proprietary_coordinates: boolean | null;
}

const PRESENT = `SELECT df.id AS diskfile_id, f.name, df.filename, df.path, df.file_md5, df.data_size,
    h.id IS NOT NULL AS has_header, h.release::text AS release, h.engineering, h.program_id,
    h.observation_id, h.proprietary_coordinates
  FROM file f JOIN diskfile df ON df.file_id = f.id AND df.present
  LEFT JOIN header h ON h.diskfile_id = df.id`;

const withKey = (row: Omit<PresentFile, 'key'>): PresentFile => ({
  ...row,
  key: joinKey(row.path, row.filename),
});

/** The present version of the file `name` (file.name, no .bz2), or null. */
export async function presentFile(db: Queryable, name: string): Promise<PresentFile | null> {
  const r = await db.query(`${PRESENT} WHERE f.name = $1::text`, [name]);
  return r.rows[0] ? withKey(r.rows[0]) : null;
}

/** The present versions of the files named that the archive has, by name. */
export async function presentFiles(db: Queryable, names: readonly string[]): Promise<PresentFile[]> {
  const r = await db.query(`${PRESENT} WHERE f.name = ANY($1::text[]) ORDER BY f.name`, [[...names]]);
  return r.rows.map(withKey);
}

/** A stored object that is there: its metadata, and its bytes (or a range of them) on demand. */
export interface OpenedFile extends StoredFile {
  read(range?: { start: number; end: number }): Promise<Readable>;
}

/**
 * The stored object under `key`, or null when the store does not have it (a present diskfile
 * missing from the store: the caller reports it).
 */
export async function openStored(storage: Storage, key: string): Promise<OpenedFile | null> {
  const st = await storage.stat(key);
  if (!st) return null;
  return { ...st, read: (range) => storage.read(key, range) };
}

/** Every HDU's header as ingest stored it ("--- HDU n ---" then the cards), or null. */
export async function fullHeaderText(db: Queryable, diskfileId: number): Promise<string | null> {
  const r = await db.query('SELECT fulltext FROM fulltextheader WHERE diskfile_id = $1::bigint LIMIT 1', [
    diskfileId,
  ]);
  return (r.rows[0]?.fulltext as string | undefined) ?? null;
}

/** The store key of a diskfile's newest preview (null: none yet), and how many it has. */
export async function previewsOf(
  db: Queryable,
  diskfileId: number,
): Promise<{ latest: string | null; count: number }> {
  const r = await db.query(
    `SELECT (SELECT p.filename FROM preview p WHERE p.diskfile_id = $1::bigint ORDER BY p.created DESC LIMIT 1) AS latest,
            (SELECT count(*)::int FROM preview p WHERE p.diskfile_id = $1::bigint) AS count`,
    [diskfileId],
  );
  return { latest: r.rows[0].latest, count: r.rows[0].count };
}
