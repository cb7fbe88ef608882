// Which database backups to keep: the runbooks' policy, as a pure function.
//   - every backup younger than 10 days;
//   - those taken on the 1st, 11th or 21st of a month, for 60 days;
//   - those taken on the 1st of a month, for a year.
// Dates are UTC days, as the archive counts them, and come from the file name (not the mtime,
// which a copy or restore of the directory would change).

// pg_dump archives end in .dump, physical copies of the embedded cluster in .cluster.tar.gz.
export const BACKUP_RE = /^fitsstore-(.+)-(\d{8})T(\d{6})Z\.(?:dump|cluster\.tar\.gz)$/;

export function backupName(database: string, at: Date, kind: 'dump' | 'cluster' = 'dump'): string {
  const iso = at.toISOString(); // 2025-01-02T03:04:05.678Z
  const stamp = `${iso.slice(0, 10).replace(/-/g, '')}T${iso.slice(11, 19).replace(/:/g, '')}Z`;
  return `fitsstore-${database.replace(/[^\w.-]/g, '_')}-${stamp}.${kind === 'dump' ? 'dump' : 'cluster.tar.gz'}`;
}

export function parseBackupName(name: string): { database: string; at: Date } | null {
  const m = BACKUP_RE.exec(name);
  if (!m) return null;
  const [d, t] = [m[2], m[3]];
  const at = new Date(
    `${d.slice(0, 4)}-${d.slice(4, 6)}-${d.slice(6, 8)}T${t.slice(0, 2)}:${t.slice(2, 4)}:${t.slice(4, 6)}Z`,
  );
  return Number.isNaN(at.getTime()) ? null : { database: m[1], at };
}

const DAY = 86_400_000;
const utcDay = (d: Date) => Math.floor(d.getTime() / DAY);

export function retain(at: Date, now: Date): { keep: boolean; reason: string } {
  const age = utcDay(now) - utcDay(at);
  const dom = at.getUTCDate();
  if (age < 10)
    return { keep: true, reason: age < 0 ? 'dated in the future (clock?)' : `${age} days old (< 10)` };
  if (age < 60 && (dom === 1 || dom === 11 || dom === 21))
    return { keep: true, reason: `taken on the ${dom}${dom === 11 ? 'th' : 'st'}, ${age} days old (< 60)` };
  if (age < 365 && dom === 1)
    return { keep: true, reason: `taken on the 1st of a month, ${age} days old (< 1 year)` };
  return { keep: false, reason: `${age} days old, taken on day ${dom}` };
}

export interface RetentionPlan {
  keep: { name: string; reason: string }[];
  remove: { name: string; reason: string }[];
}

/** Applies the policy to the backups of one database among the names in a directory. */
export function planRetention(names: string[], database: string, now: Date): RetentionPlan {
  const plan: RetentionPlan = { keep: [], remove: [] };
  for (const name of [...names].sort()) {
    const b = parseBackupName(name);
    if (!b || b.database !== database.replace(/[^\w.-]/g, '_')) continue;
    const r = retain(b.at, now);
    (r.keep ? plan.keep : plan.remove).push({ name, reason: r.reason });
  }
  return plan;
}
