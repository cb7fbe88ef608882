import type { Queryable } from '../../db/pool.js';
import { escapeLike } from '../../gemini/selection/index.js';

// Reading the usage log back: /usagereport's filtered list (newest first) and /usagedetails' one
// row with its query and download logs. Filters arrive as text from a form; each becomes a
// parameter, and a value that makes no sense is reported back instead of silently ignored.

export interface UsageFilter {
  from?: string;
  to?: string;
  username?: string;
  ip?: string;
  feature?: string;
  status?: string;
}

export interface UsageRow {
  id: number;
  utdatetime: Date;
  username: string | null;
  ip_address: string | null;
  method: string | null;
  uri: string | null;
  this: string | null;
  status: number | null;
  bytes: number | null;
  has_notes: boolean;
}

const USAGE_PAGE = 200;

const DAY_RE = /^\d{4}-\d{2}-\d{2}$/;

function day(s: string): Date | null {
  if (!DAY_RE.test(s)) return null;
  const d = new Date(`${s}T00:00:00Z`);
  return Number.isNaN(d.getTime()) ? null : d;
}

export async function usageReport(
  db: Queryable,
  f: UsageFilter,
  page = 0,
): Promise<{ rows: UsageRow[]; problems: string[]; more: boolean }> {
  const where: string[] = [];
  const values: unknown[] = [];
  const problems: string[] = [];
  const p = (v: unknown, cast: string) => {
    values.push(v);
    return `$${values.length}::${cast}`;
  };
  if (f.from) {
    const d = day(f.from);
    if (d) where.push(`u.utdatetime >= ${p(d.toISOString(), 'timestamptz')}`);
    else problems.push(`"From" must be a date (YYYY-MM-DD), not "${f.from}": ignored.`);
  }
  if (f.to) {
    const d = day(f.to);
    // The "to" day is included: everything before the start of the next one.
    if (d) where.push(`u.utdatetime < ${p(new Date(d.getTime() + 86_400_000).toISOString(), 'timestamptz')}`);
    else problems.push(`"To" must be a date (YYYY-MM-DD), not "${f.to}": ignored.`);
  }
  if (f.username) where.push(`a.username = ${p(f.username, 'text')}`);
  if (f.ip) {
    if (f.ip.endsWith('*')) where.push(`u.ip_address LIKE ${p(escapeLike(f.ip.slice(0, -1)) + '%', 'text')}`);
    else where.push(`u.ip_address = ${p(f.ip, 'text')}`);
  }
  if (f.feature) where.push(`u.this = ${p(f.feature.replace(/^\//, ''), 'text')}`);
  if (f.status) {
    const s = f.status.trim().toLowerCase();
    if (/^\d{3}$/.test(s)) where.push(`u.status = ${p(Number(s), 'int')}`);
    else if (/^[1-5]xx$/.test(s)) {
      const lo = Number(s[0]) * 100;
      where.push(`u.status >= ${p(lo, 'int')} AND u.status < ${p(lo + 100, 'int')}`);
    } else
      problems.push(
        `"Status" must be a code such as 500 or a class such as 5xx, not "${f.status}": ignored.`,
      );
  }
  const r = await db.query(
    `SELECT u.id, u.utdatetime, a.username, u.ip_address, u.method, u.uri, u.this, u.status, u.bytes,
            u.notes IS NOT NULL AS has_notes
     FROM usagelog u LEFT JOIN archiveuser a ON a.id = u.user_id
     ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
     ORDER BY u.utdatetime DESC, u.id DESC
     LIMIT ${p(USAGE_PAGE + 1, 'int')} OFFSET ${p(Math.max(0, page) * USAGE_PAGE, 'int')}`,
    values,
  );
  return { rows: r.rows.slice(0, USAGE_PAGE), problems, more: r.rows.length > USAGE_PAGE };
}

export interface UsageDetails {
  row: Record<string, unknown> & { id: number; notes: string | null; username: string | null };
  queries: Record<string, unknown>[];
  downloads: Record<string, unknown>[];
}

export async function usageDetails(db: Queryable, id: number): Promise<UsageDetails | null> {
  const r = await db.query(
    `SELECT u.*, a.username FROM usagelog u LEFT JOIN archiveuser a ON a.id = u.user_id WHERE u.id = $1::bigint`,
    [id],
  );
  if (!r.rows[0]) return null;
  const [q, d] = await Promise.all([
    db.query(
      `SELECT id, summarytype, selection, numresults, query_started, query_completed,
              extract(epoch FROM query_completed - query_started) * 1000 AS ms, notes
       FROM querylog WHERE usagelog_id = $1::bigint ORDER BY id`,
      [id],
    ),
    db.query(
      `SELECT id, selection, numresults, sending_files, numdenied, download_started, download_completed, notes
       FROM downloadlog WHERE usagelog_id = $1::bigint ORDER BY id`,
      [id],
    ),
  ]);
  return { row: r.rows[0], queries: q.rows, downloads: d.rows };
}
