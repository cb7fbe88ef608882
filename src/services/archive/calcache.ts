// service-queue calcache: one calcachequeue row (obs_hid = the frame's header id) → that frame's
// calcache rows recomputed and replaced in one transaction.

import { framePages, type FrameFilter } from '../../calcache/frames.js';
import { updateCalcache, type CalcacheResult } from '../../calcache/index.js';
import type { Db } from '../../db/pool.js';
import { sortkey } from '../../gemini/sortkey.js';
import type { Logger } from '../../log/logger.js';
import { enqueue, type EnqueueResult, type QueueRow } from '../../queues/engine.js';
import { QUEUES } from '../../queues/tables.js';
import type { Handler } from '../../queues/worker.js';

export interface CalcacheDeps {
  db: Db;
  log?: Logger;
}

class CalcacheError extends Error {
  override name = 'CalcacheError';
}

async function calcacheFrame(deps: CalcacheDeps, headerId: number, label?: string): Promise<CalcacheResult> {
  const r = await updateCalcache(deps.db, headerId);
  if (!r.found) throw new CalcacheError(`${label ?? 'frame'}: header ${headerId} not found`);
  deps.log?.debug({ obs_hid: headerId, associations: r.associations }, `calcache ${label ?? headerId}`);
  return r;
}

/** The calcachequeue handler: a missing header fails the row (recorded in queue_error). */
export function makeCalcacheHandler(deps: CalcacheDeps): Handler {
  return async (row: QueueRow) => {
    await calcacheFrame(deps, Number(row.obs_hid), (row.filename as string | null) ?? undefined);
  };
}

export interface AddToCalcacheQueueOptions extends FrameFilter {
  /** Also frames that already have calcache rows. */
  force?: boolean;
  onProgress?: (selected: number) => void;
}

/** add-to-calcache-queue: queue the canonical frames selected (those without calcache rows unless forced). */
export async function addToCalcacheQueue(
  db: Db,
  o: AddToCalcacheQueueOptions,
): Promise<EnqueueResult & { selected: number }> {
  const extra = o.force ? [] : ['NOT EXISTS (SELECT 1 FROM calcache c WHERE c.obs_hid = h.id)'];
  const total = { queued: 0, alreadyPending: 0, selected: 0 };
  for await (const page of framePages(db, o, extra)) {
    const r = await enqueue(
      db,
      QUEUES.calcache,
      page.map((x) => ({ obs_hid: x.header_id, filename: x.filename, sortkey: sortkey(x.filename) })),
    );
    total.selected += page.length;
    total.queued += r.queued;
    total.alreadyPending += r.alreadyPending;
    o.onProgress?.(total.selected);
  }
  return total;
}
