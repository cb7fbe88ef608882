import { makeExportHandler } from '../../services/export.js';
import type { HandlerFactory } from './service-queue.js';

// The export queue's handler for `service-queue export` (registered in service-queue.ts HANDLERS).
// The handler carries its per-destination back-off and the timer that retries failed rows; the
// timer stops when the command's signal aborts.
export const exportHandler: HandlerFactory = async (ctx, database, params) =>
  makeExportHandler({
    config: ctx.config,
    db: database.db,
    storage: await ctx.storage(),
    log: ctx.log,
    params,
    signal: ctx.signal,
  });
