import type { Command } from 'commander';
import { age, printJson, printTable } from '../output.js';
import { commonOptions, runCommand } from '../context.js';

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
        const { queueStatus } = await import('../../ops/queuestatus.js');
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
              w.alive ? 'yes' : 'NO',
            ]),
          );
        } else process.stdout.write('no live workers\n');
      },
      { fileless: true },
    );
  });
  return queue;
}
