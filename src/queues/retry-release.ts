import os from 'node:os';
import { holderState } from './holders.js';
import type { Candidate, PlannedItem, VerbOptions } from './verbs.js';

// `queue retry` (failed → pending) and `queue release` (held → pending): what each does per row.

export function decideRetry(rows: Candidate[], _o: VerbOptions, out: PlannedItem[]): void {
  // Of several failed rows of one key, the newest selected one is retried.
  const newestSelected = new Map<string, number>();
  for (const row of rows) newestSelected.set(row.key, Math.max(row.id, newestSelected.get(row.key) ?? 0));
  for (const { has_pending, newer_failed: _n, older_in_progress: _o2, ...item } of rows) {
    // Un-failing next to a pending row would break the one-pending-row-per-key index: the
    // pending row already covers the file, so the failed one is simply dropped.
    if (has_pending) out.push({ ...item, action: 'delete', reason: 'a pending row for the same key exists' });
    else if (newestSelected.get(item.key) !== item.id)
      out.push({
        ...item,
        action: 'delete',
        reason: 'a newer failed row for the same key is retried instead',
      });
    else out.push({ ...item, action: 'unfail', reason: 'failed → pending' });
  }
}

export function decideRelease(rows: Candidate[], o: VerbOptions, out: PlannedItem[]): void {
  for (const { has_pending: _p, newer_failed: _n, older_in_progress: _i, ...item } of rows) {
    const h = holderState(item, o.deadSeconds ?? 30, Date.now(), os.hostname(), o.pidAlive);
    if (!h.alive) out.push({ ...item, action: 'release', reason: h.reason });
    else if (o.force)
      out.push({ ...item, action: 'release', reason: `--force (holder looks alive: ${h.reason})` });
    else out.push({ ...item, action: 'refuse', reason: `holder looks alive: ${h.reason}` });
  }
}
