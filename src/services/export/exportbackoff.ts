import type { Db } from '../../db/pool.js';
import { QUEUES } from '../../queues/tables.js';

// Per-destination back-off: after a destination fails (down, 5xx, timeout, wrong md5 echoed), its
// files wait export_retry_seconds while exports to other destinations carry on. Failed rows come
// back by themselves once their last error is that old (retryFailedExports).

export interface BackoffState {
  failures: number;
  until: number;
  lastError: string;
}

export class DestinationBackoff {
  private readonly state = new Map<string, BackoffState>();

  constructor(private readonly now: () => number = Date.now) {}

  /** Seconds left before `destination` may be tried again; 0 when it may be tried now. */
  remaining(destination: string): number {
    const s = this.state.get(destination);
    if (!s) return 0;
    return Math.max(0, (s.until - this.now()) / 1000);
  }

  failed(destination: string, seconds: number, error: string): BackoffState {
    const prev = this.state.get(destination);
    const s = { failures: (prev?.failures ?? 0) + 1, until: this.now() + seconds * 1000, lastError: error };
    this.state.set(destination, s);
    return s;
  }

  succeeded(destination: string): boolean {
    return this.state.delete(destination);
  }

  snapshot(): Record<string, BackoffState> {
    return Object.fromEntries(this.state);
  }
}

/** Pending rows of a failing destination wait out its back-off instead of being claimed to no end. */
export async function deferDestination(db: Db, destination: string, seconds: number): Promise<number> {
  const r = await db.query(
    `UPDATE exportqueue SET after = greatest(coalesce(after, now()), now() + make_interval(secs => $2::double precision))
     WHERE destination = $1 AND NOT in_progress AND NOT failed AND NOT operator_retry`,
    [destination, seconds],
  );
  return r.rowCount ?? 0;
}

/**
 * Failed export rows whose last recorded error is at least `retrySeconds` old go back to the
 * queue (one per file and destination; a failed row already covered by a pending one is dropped).
 */
export async function retryFailedExports(
  db: Db,
  retrySeconds: number,
): Promise<{ retried: number; dropped: number }> {
  const r = await db.query(
    `WITH cand AS (
       SELECT e.* FROM exportqueue e
       WHERE e.id IN (
         SELECT DISTINCT ON (x.filename, x.path, x.destination) x.id FROM exportqueue x
         WHERE x.failed AND NOT x.in_progress
           AND NOT EXISTS (SELECT 1 FROM queue_error qe WHERE qe.queue = 'EXPORT' AND qe.filename = x.filename
                             AND qe.path = x.path AND qe.added > now() - make_interval(secs => $1::double precision))
         ORDER BY x.filename, x.path, x.destination, x.id DESC)
       FOR UPDATE SKIP LOCKED),
     dropped AS (
       DELETE FROM exportqueue t USING cand
       WHERE t.id = cand.id AND EXISTS (
         SELECT 1 FROM exportqueue p WHERE NOT p.in_progress AND NOT p.failed
           AND p.filename = cand.filename AND p.path = cand.path AND p.destination = cand.destination)
       RETURNING t.id),
     back AS (
       UPDATE exportqueue t SET failed = false, error = NULL, attempts = 0, after = NULL, worker = NULL
       FROM cand WHERE t.id = cand.id AND t.id NOT IN (SELECT id FROM dropped)
       RETURNING t.id)
     SELECT (SELECT count(*) FROM back) AS retried, (SELECT count(*) FROM dropped) AS dropped`,
    [retrySeconds],
  );
  const retried = Number(r.rows[0].retried);
  if (retried > 0) await db.query('SELECT pg_notify($1, $2)', [QUEUES.export.channel, 'retry']);
  return { retried, dropped: Number(r.rows[0].dropped) };
}
