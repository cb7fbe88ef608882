import type { Command } from 'commander';
import { age, printJson, printTable } from '../output.js';
import { commonOptions, EXIT, runCommand } from '../context.js';

/** `fitsstore queue <verb>`: status here; operator verbs register on the same command. */
export function register(program: Command): Command {
  const queue = program
    .command('queue')
    .description('Inspect and repair the ingest, export, preview and calcache queues');
  commonOptions(
    queue
      .command('status')
      .description('Counts per queue (pending, in progress, failed, oldest) and live workers')
      .option('--json', 'machine-readable output'),
  ).action(async (opts) => {
    await runCommand(
      'queue',
      opts,
      async (ctx) => {
        const { queueStatus } = await import('../../queues/status.js');
        const { db } = await ctx.database();
        const s = await queueStatus(db);
        if (opts.json) return printJson(s);
        printTable(
          ['queue', 'pending', 'deferred', 'in progress', 'failed', 'oldest'],
          s.queues.map((q) => [q.queue, q.pending, q.deferred, q.in_progress, q.failed, age(q.oldest)]),
        );
        if (s.workers.length) {
          printTable(
            ['worker', 'queue', 'host', 'pid', 'heartbeat', 'alive'],
            s.workers.map((w) => [
              w.name,
              w.queue,
              w.host,
              w.pid,
              age(w.heartbeat_at) + ' ago',
              w.alive ? 'yes' : `NO: ${w.reason}`,
            ]),
          );
          const dead = s.workers.filter((w) => !w.alive).length;
          if (dead) process.stdout.write(`${dead} dead workers: fitsstore queue forget-worker clears them\n`);
        } else process.stdout.write('no workers registered\n');
      },
      { fileless: true },
    );
  });
  commonOptions(
    queue
      .command('forget-worker')
      .argument('[names...]', 'workers to forget (siq1, or siq1@host:pid); default every dead one')
      .description(
        'Release the items held by dead workers (process gone on this host, or heartbeat stale) and remove them from the worker list',
      )
      .option('--dry-run', 'print which workers would be forgotten')
      .option('--json', 'machine-readable output'),
  ).action(async (names: string[], opts) => {
    // The log file records who changed what; stdout already tells the operator.
    await runCommand('queue', { ...opts, demon: true }, async (ctx) => {
      const { getParams } = await import('../../db/params.js');
      const { forgetDeadWorkers } = await import('../../queues/workers.js');
      const { db } = await ctx.database();
      const params = await getParams(db);
      const r = await forgetDeadWorkers(db, {
        deadSeconds: params.dead_worker_seconds,
        names,
        dryRun: opts.dryRun,
      });
      if (opts.json) printJson(r);
      else {
        for (const w of r.forgotten)
          process.stdout.write(
            `${opts.dryRun ? 'would forget' : 'forgot'} ${w.name} (${w.queue}): ${w.reason}\n`,
          );
        for (const w of r.refused) process.stdout.write(`left ${w.name}: alive (${w.reason})\n`);
        process.stdout.write(
          opts.dryRun
            ? `dry run: would forget ${r.forgotten.length} dead workers\n`
            : `forget-worker: forgot ${r.forgotten.length} dead workers, released ${r.released} items they held\n`,
        );
      }
      ctx.log.info(
        { forgotten: r.forgotten.map((w) => w.name), released: r.released, dryRun: Boolean(opts.dryRun) },
        'queue forget-worker',
      );
      return r.refused.length ? EXIT.PROBLEMS : EXIT.OK;
    });
  });
  return queue;
}
