import type { Command } from 'commander';
import type { SystemParameters } from '../../db/params.js';
import type { Handler } from '../../queues/worker.js';
import { exportHandler } from './service-queue-export.js';
import { commonOptions, daemonOptions, runCommand, UsageError, type CommandContext } from '../context.js';
import type { Database } from '../../db/connect.js';
import { wholeNumber } from '../numbers.js';

/** Handler factories per queue; archive-side queues register theirs here as they are built. */
export type HandlerFactory = (
  ctx: CommandContext,
  database: Database,
  params: () => SystemParameters,
  opts: { once?: boolean },
) => Promise<Handler>;

const HANDLERS: Record<string, HandlerFactory> = {
  // Each imports only its own service: an ingest daemon never loads sharp or the calibration rules.
  ingest: async (ctx, database, params) =>
    (await import('../../services/ingest/ingest.js')).makeIngestHandler({
      db: database.db,
      storage: await ctx.storage(),
      config: ctx.config,
      log: ctx.log,
      params,
    }),
  export: exportHandler,
  preview: async (ctx, database) =>
    (await import('../../services/archive/preview.js')).makePreviewHandler({
      db: database.db,
      storage: await ctx.storage(),
      log: ctx.log,
    }),
  calcache: async (ctx, database) =>
    (await import('../../services/archive/calcache.js')).makeCalcacheHandler({
      db: database.db,
      log: ctx.log,
    }),
};

export function register(program: Command) {
  const cmd = program
    .command('service-queue')
    .argument('<queue>', 'ingest | export | preview | calcache')
    .description('Service a queue: claim items newest first, process them, record failures in queue_error')
    .option('--empty', 'process until the queue is empty, then exit')
    .option('--once', 'same as --empty')
    .option('--workers <n>', 'parallel items in this process', wholeNumber(1, 64), 1);
  daemonOptions(commonOptions(cmd)).action(async (queueName: string, opts) => {
    await runCommand(`service-queue-${queueName}`, opts, async (ctx) => {
      const { getParams } = await import('../../db/params.js');
      const { queueByName } = await import('../../queues/tables.js');
      const { runWorker } = await import('../../queues/worker.js');
      const queue = (() => {
        try {
          return queueByName(queueName);
        } catch (e) {
          throw new UsageError((e as Error).message);
        }
      })();
      const factory = HANDLERS[queue.name];
      if (!factory) throw new UsageError(`the ${queue.name} queue service is not available in this build`);
      const database = await ctx.database();
      let params = await getParams(database.db);
      const refresh = setInterval(() => {
        getParams(database.db).then(
          (p) => (params = p),
          () => {},
        );
      }, 5000);
      try {
        const handler = await factory(ctx, database, () => params, {
          once: Boolean(opts.empty || opts.once),
        });
        const name = opts.name ?? `${queue.name}-${process.pid}`;
        ctx.log.info(`servicing ${queue.table} as ${name}${opts.empty || opts.once ? ' until empty' : ''}`);
        const stats = await runWorker({
          db: database.db,
          url: database.url,
          queue,
          name,
          handler,
          log: ctx.log,
          signal: ctx.signal,
          concurrency: opts.workers,
          once: Boolean(opts.empty || opts.once),
          onItem: (row, outcome) =>
            ctx.log.info({ id: row.id, outcome }, `${outcome}: ${row.filename ?? row.id}`),
        });
        ctx.log.info(
          stats,
          `stopped: ${stats.done} done, ${stats.failed} failed, ${stats.deferred} deferred`,
        );
        return stats.failed > 0 && (opts.empty || opts.once) ? 1 : 0;
      } finally {
        clearInterval(refresh);
      }
    });
  });
}
