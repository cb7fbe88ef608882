// service-queue calcache: one calcachequeue row (obs_hid = the frame's header id) → that frame's
// calcache rows recomputed and replaced in one transaction.

import type { Db } from '../db/pool.js';
import type { Logger } from '../log/logger.js';
import { updateCalcache, type CalcacheResult } from '../calcache/index.js';
import type { QueueRow } from '../queues/engine.js';
import type { Handler } from '../queues/worker.js';

export interface CalcacheDeps {
  db: Db;
  log?: Logger;
}

export class CalcacheError extends Error {
  override name = 'CalcacheError';
}

export async function calcacheFrame(deps: CalcacheDeps, headerId: number, label?: string): Promise<CalcacheResult> {
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
