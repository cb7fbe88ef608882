import type { Structure } from '../../fits/completeness.js';

// When a DHS file counts as complete (docs/operations.md, "When a DHS file is complete").
//
// The structure must be whole (fits/completeness.ts) and the file must not have changed while it
// was read (size and mtime the same before and after). With NEXTEND, the structure says whether
// all extensions are there, so a short quiet time (dhs.min_age_seconds) is enough. Without
// NEXTEND a file stopped at an HDU boundary is well-formed FITS too: a 5-HDU file whose writer
// paused at each boundary was once copied and ingested five times, four of them prefixes. Then
// only time tells: it must have stayed unchanged for dhs_settle_seconds (system_parameters).
//
// Quiet time is measured from the file's mtime, so a file that has been lying on the DHS since
// before a restart, or a single `--once` pass, is judged at once. When the mtime is in the future
// (the DHS clock ahead), or the file has been seen growing (a DHS clock behind would make its mtime
// look old), the time we ourselves have watched it unchanged counts instead.

export interface Look {
  size: number;
  mtimeMs: number;
}

export interface CompletenessInput {
  structure: Structure;
  /** stat before and after the structure was read. */
  before: Look;
  after: Look;
  now: number;
  /** When this size and mtime were first seen by this process. */
  firstSeen: number;
  /** Seen earlier with another size or mtime. */
  grew: boolean;
  minAgeMs: number;
  settleMs: number;
}

export type Completeness =
  | { complete: true; rule: 'nextend' | 'settled' }
  | { complete: false; reason: string; /** structure is whole: only waiting on time */ settling: boolean };

export function quietMs(look: Look, now: number, firstSeen: number, grew: boolean): number {
  const watched = now - firstSeen;
  if (look.mtimeMs > now) return watched;
  const sinceWrite = now - look.mtimeMs;
  return grew ? Math.min(sinceWrite, watched) : sinceWrite;
}

export function judgeCompleteness(i: CompletenessInput): Completeness {
  if (i.before.size !== i.after.size || i.before.mtimeMs !== i.after.mtimeMs) {
    return { complete: false, reason: 'changed while it was being read', settling: false };
  }
  if (!i.structure.whole)
    return { complete: false, reason: i.structure.reason ?? 'incomplete', settling: false };
  const quiet = quietMs(i.after, i.now, i.firstSeen, i.grew);
  if (i.structure.nextend !== undefined) {
    if (quiet >= i.minAgeMs) return { complete: true, rule: 'nextend' };
    return { complete: false, reason: `unchanged for only ${(quiet / 1000).toFixed(1)} s`, settling: true };
  }
  if (quiet >= i.settleMs) return { complete: true, rule: 'settled' };
  return {
    complete: false,
    reason:
      `no NEXTEND: ends at an HDU boundary after ${i.structure.extensions} extensions; waiting until it ` +
      `has been unchanged for dhs_settle_seconds (${i.settleMs / 1000} s, now ${(quiet / 1000).toFixed(1)} s)`,
    settling: true,
  };
}
