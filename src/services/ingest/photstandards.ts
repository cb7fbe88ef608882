// The photometric standard stars the archive knows (table photstandard) and the question ingest
// asks of them: does one lie inside this file's footprint? The list is the archive's standards
// file (CSV: Name, Field, RA in hours, Dec in degrees, then magnitudes), loaded by
// `fitsstore photstandards load`.

import type { Queryable } from '../../db/pool.js';
import type { Corner } from '../../gemini/footprint.js';

export interface PhotStandard {
  name: string;
  field: string | null;
  /** Degrees. */
  ra: number;
  dec: number;
}

/** Parses the standards CSV; '#' lines are comments. Errors name the line and the reason. */
export function parsePhotStandards(text: string): PhotStandard[] {
  const out: PhotStandard[] = [];
  for (const [i, line] of text.split(/\r?\n/).entries()) {
    if (line.trim() === '' || line.trimStart().startsWith('#')) continue;
    const [name, field, ra, dec] = line.split(',').map((s) => s.trim());
    const hours = Number(ra);
    const deg = Number(dec);
    if (!name || ra === undefined || dec === undefined || !Number.isFinite(hours) || !Number.isFinite(deg)) {
      throw new Error(
        `line ${i + 1}: expected "name,field,RA (hours),Dec (degrees),...", got ${JSON.stringify(line)}`,
      );
    }
    if (hours < 0 || hours >= 24 || deg < -90 || deg > 90) {
      throw new Error(`line ${i + 1}: position out of range (RA ${hours} h, Dec ${deg}°)`);
    }
    out.push({ name, field: field || null, ra: hours * 15, dec: deg });
  }
  return out;
}

/** Adds or updates standards by name; returns how many were written. */
export async function loadPhotStandards(db: Queryable, stars: readonly PhotStandard[]): Promise<number> {
  if (stars.length === 0) return 0;
  await db.query(
    `INSERT INTO photstandard (name, field, ra, dec)
     SELECT * FROM unnest($1::text[], $2::text[], $3::float8[], $4::float8[])
     ON CONFLICT (name) DO UPDATE SET field = EXCLUDED.field, ra = EXCLUDED.ra, dec = EXCLUDED.dec`,
    [stars.map((s) => s.name), stars.map((s) => s.field), stars.map((s) => s.ra), stars.map((s) => s.dec)],
  );
  return stars.length;
}

/**
 * True when a known standard lies inside one of the footprints; null otherwise, as the archive
 * leaves the flag unset rather than false. Positions compare as plain (RA, Dec) polygons, as the
 * archive's do (no wrap at RA 0).
 */
export async function photStandardIn(db: Queryable, footprints: readonly Corner[][]): Promise<true | null> {
  for (const corners of footprints) {
    const polygon = `(${corners.map(([ra, dec]) => `(${ra},${dec})`).join(',')})`;
    const r = await db.query('SELECT 1 FROM photstandard WHERE point(ra, dec) <@ $1::polygon LIMIT 1', [
      polygon,
    ]);
    if (r.rowCount) return true;
  }
  return null;
}
