import type { Database } from '../../db/connect.js';
import type { SystemParameters } from '../../db/params.js';
import type { ExportHandler } from '../../services/export/export.js';
import type { CommandContext } from '../context.js';

// The export queue's handler for `service-queue export` (a HandlerFactory for service-queue.ts
// HANDLERS). The handler carries its per-destination back-off and the timer that retries failed
// rows after export_retry_seconds; the timer stops when the command's signal aborts. With
// { once: true } (--empty/--once) failed rows are not retried, so the drain ends.
export async function exportHandler(
  ctx: CommandContext,
  database: Database,
  params: () => SystemParameters,
  opts: { once?: boolean } = {},
): Promise<ExportHandler> {
  const { makeExportHandler } = await import('../../services/export/export.js');
  return makeExportHandler({
    config: ctx.config,
    db: database.db,
    storage: await ctx.storage(),
    log: ctx.log,
    params,
    signal: ctx.signal,
    autoRetry: !opts.once,
  });
}
