import type { Db } from '../../db/pool.js';
import { deferPendingWhere, retryQuietFailures } from '../../queues/backoff.js';
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
export function deferDestination(db: Db, destination: string, seconds: number): Promise<number> {
  return deferPendingWhere(db, QUEUES.export, 'destination', destination, seconds);
}

/**
 * Failed export rows whose last recorded error is at least `retrySeconds` old go back to the
 * queue (one per file and destination; a failed row already covered by a pending one is dropped).
 */
export function retryFailedExports(
  db: Db,
  retrySeconds: number,
): Promise<{ retried: number; dropped: number }> {
  return retryQuietFailures(db, QUEUES.export, retrySeconds);
}
