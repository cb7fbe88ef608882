import os from 'node:os';
import { holderState } from './holders.js';
import type { Candidate, PlannedItem, VerbOptions } from './verbs.js';

// `queue dedupe` (stuck duplicates of one key) and `queue purge` (old failed rows): what each
// deletes per row.

export function decidePurge(rows: Candidate[], o: VerbOptions, out: PlannedItem[]): void {
  for (const { has_pending: _p, newer_failed: _n, older_in_progress: _i, ...item } of rows)
    out.push({
      ...item,
      action: 'delete',
      reason: `failed, added more than ${o.olderThanDays ?? 30} days ago`,
    });
}

/**
 * The runbook's "stuck entry next to a clean one". A live in-progress row next to a pending one
 * is normal (re-added while being processed) and is left alone.
 */
export function decideDedupe(rows: Candidate[], o: VerbOptions, out: PlannedItem[]): void {
  for (const { has_pending, newer_failed, older_in_progress, ...item } of rows) {
    const decide = (action: 'delete' | 'refuse', reason: string) => out.push({ ...item, action, reason });
    if (item.state === 'failed') {
      if (has_pending) decide('delete', 'stuck failed duplicate of a pending row');
      else if (newer_failed) decide('delete', 'older failed duplicate of a newer failed row');
      continue;
    }
    if (!has_pending && !older_in_progress) continue;
    const h = holderState(item, o.deadSeconds ?? 30, Date.now(), os.hostname(), o.pidAlive);
    const why = has_pending
      ? 'a pending row for the same key exists'
      : 'another in-progress row for the same key';
    if (!h.alive) decide('delete', `stuck in progress (${h.reason}); ${why}`);
    else if (o.force) decide('delete', `--force (holder looks alive: ${h.reason}); ${why}`);
    else decide('refuse', `holder looks alive (${h.reason}); ${why}`);
  }
}
