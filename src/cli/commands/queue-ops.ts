import type { Command } from 'commander';
import type { parseFilter, parseQueues } from '../../ops/filters.js';
import type { QueueItem } from '../../queues/items.js';
import type { PlannedItem, Verb } from '../../queues/verbs.js';
import { age, printJson, printTable } from '../output.js';
import { commonOptions, EXIT, runCommand, UsageError, type CommandContext } from '../context.js';
import { wholeNumber, decimalNumber } from '../numbers.js';

// `fitsstore queue list|errors|retry|release|dedupe|purge`: the support notes' manual SQL on the
// queues as filtered, dry-runnable verbs. The queue command itself (and `status`) is queue.ts.

const collect = (v: string, prev: string[] = []) => [...prev, v];

function filterOptions(cmd: Command): Command {
  return commonOptions(cmd)
    .option(
      '--queue <name>',
      'ingest, export, preview or calcache (repeatable, or comma-separated; default all)',
      collect,
    )
    .option('--status <state>', 'pending, in_progress, failed or deferred')
    .option('--filename <regex>', 'PostgreSQL regular expression on the file name, e.g. "^N20200804S0091"')
    .option('--since <when>', 'added at or after: ISO date/time or an age such as 12h, 7d')
    .option('--until <when>', 'added before: ISO date/time or an age such as 1h')
    .option('--json', 'machine-readable output');
}

/** Options → typed filters, with bad values and bad regular expressions reported as usage errors. */
async function withFilters<T>(
  opts: any,
  fn: (f: ReturnType<typeof parseFilter>, qs: ReturnType<typeof parseQueues>) => Promise<T>,
) {
  const { FilterError, isBadRegex, parseFilter, parseQueues } = await import('../../ops/filters.js');
  let f, qs;
  try {
    f = parseFilter(opts);
    qs = parseQueues(opts.queue);
  } catch (e) {
    if (e instanceof FilterError) throw new UsageError(e.message);
    throw e;
  }
  try {
    return await fn(f, qs);
  } catch (e) {
    if (isBadRegex(e))
      throw new UsageError(`--filename: invalid regular expression: ${(e as Error).message}`);
    throw e;
  }
}

const firstLine = (s: string | null | undefined, n = 70) => {
  const l = (s ?? '').split('\n')[0];
  return l.length > n ? l.slice(0, n - 1) + '…' : l;
};
const where = (x: QueueItem) => [x.path, x.destination].filter(Boolean).join(' → ');

export function registerQueueOps(queue: Command): void {
  filterOptions(queue.command('list').description('Queue rows, newest first (all states unless --status)'))
    .option('--limit <n>', 'rows per queue', wholeNumber(1), 200)
    .action(async (opts) => {
      await runCommand(
        'queue',
        opts,
        async (ctx) => {
          const { listItems } = await import('../../queues/items.js');
          const { db } = await ctx.database();
          const rows = await withFilters(opts, async (f, qs) => {
            const all: QueueItem[] = [];
            for (const q of qs) all.push(...(await listItems(db, q, f, opts.limit)));
            return all;
          });
          if (opts.json) return printJson(rows);
          printTable(
            [
              'queue',
              'id',
              'filename',
              'path / destination',
              'state',
              'added',
              'tries',
              'worker',
              'heartbeat',
              'error',
            ],
            rows.map((r) => [
              r.queue,
              r.id,
              r.filename,
              where(r),
              r.state,
              age(r.added),
              r.attempts,
              r.worker,
              r.heartbeat_at ? age(r.heartbeat_at) + ' ago' : '',
              firstLine(r.error, 50),
            ]),
          );
          process.stdout.write(`${rows.length} rows\n`);
        },
        { fileless: true },
      );
    });

  filterOptions(queue.command('errors').description('queue_error messages, newest first'))
    .option('--limit <n>', 'rows', wholeNumber(1), 20)
    .option('--full', 'print whole error texts (stack traces) instead of a table')
    .action(async (opts) => {
      await runCommand(
        'queue',
        opts,
        async (ctx) => {
          const { listErrors } = await import('../../queues/items.js');
          const { db } = await ctx.database();
          const rows = await withFilters(opts, (f, qs) => listErrors(db, qs, f, opts.limit));
          if (opts.json) return printJson(rows);
          if (opts.full) {
            for (const r of rows) {
              process.stdout.write(
                `--- ${r.queue} ${r.filename ?? ''} ${r.path ? '(' + r.path + ') ' : ''}${r.added.toISOString()}\n${r.error}\n`,
              );
            }
          } else {
            printTable(
              ['queue', 'added', 'filename', 'path', 'error'],
              rows.map((r) => [r.queue, age(r.added) + ' ago', r.filename, r.path, firstLine(r.error)]),
            );
          }
          process.stdout.write(`${rows.length} errors\n`);
        },
        { fileless: true },
      );
    });

  const verb = (name: Verb, description: string, extra: (c: Command) => Command = (c) => c) =>
    extra(filterOptions(queue.command(name).description(description)))
      .option('--dry-run', 'print what would change, and how much, without changing anything')
      // The log file records who changed what; stdout already tells the operator, so no stderr copy.
      .action(async (opts) =>
        runCommand('queue', { ...opts, demon: true }, (ctx) => runVerbCommand(ctx, name, opts)),
      );

  verb(
    'retry',
    'Un-fail failed rows so they are processed again (a failed row whose file is already pending is deleted instead)',
  );
  verb(
    'release',
    'Return rows held by dead workers to the queue; rows of live workers are refused unless --force',
    (c) => c.option('--force', 'also release rows whose worker still looks alive (stop the daemons first)'),
  );
  verb(
    'dedupe',
    "Delete stuck (failed or dead in-progress) duplicates of a queued file: the runbook's duplicate-entry case",
    (c) => c.option('--force', 'also delete in-progress duplicates whose worker still looks alive'),
  );
  verb('purge', 'Delete failed rows older than --days days (queue_error keeps the messages)', (c) =>
    c.option('--days <n>', 'age in days', decimalNumber(0), 30),
  );
}

async function runVerbCommand(ctx: CommandContext, name: Verb, opts: any): Promise<number> {
  if (name === 'purge' && !(opts.days >= 0)) throw new UsageError('--days: expected a number of days');
  const { getParams } = await import('../../db/params.js');
  const { runVerb } = await import('../../queues/verbs.js');
  const { db } = await ctx.database();
  const params = await getParams(db);
  const results = await withFilters(opts, async (f, qs) => {
    const out: {
      queue: string;
      plan: PlannedItem[];
      done: { deleted: number; unfailed: number; released: number };
      refused: number;
    }[] = [];
    for (const q of qs) {
      const r = await runVerb(db, q, name, f, {
        dryRun: opts.dryRun,
        force: opts.force,
        deadSeconds: params.dead_worker_seconds,
        olderThanDays: opts.days,
      });
      out.push({ queue: q.name, ...r });
    }
    return out;
  });
  const plan = results.flatMap((r) => r.plan);
  const count = (a: string) => plan.filter((x) => x.action === a).length;
  const sum = (k: 'deleted' | 'unfailed' | 'released') => results.reduce((n, r) => n + r.done[k], 0);
  const refused = count('refuse');
  if (opts.json) {
    printJson({
      dryRun: Boolean(opts.dryRun),
      plan,
      done: { deleted: sum('deleted'), unfailed: sum('unfailed'), released: sum('released') },
      refused,
    });
    return refused ? EXIT.PROBLEMS : EXIT.OK;
  }
  const intent =
    `delete ${count('delete')}, un-fail ${count('unfail')}, release ${count('release')}` +
    (refused ? `; refuse ${refused} held by live workers (use --force after stopping the daemons)` : '');
  if (opts.dryRun) process.stdout.write(`dry run: would ${intent}\n`);
  if (plan.length) {
    printTable(
      ['queue', 'id', 'filename', 'path / destination', 'state', 'added', 'worker', 'action', 'why'],
      plan.map((x) => [
        x.queue,
        x.id,
        x.filename,
        where(x),
        x.state,
        age(x.added),
        x.worker,
        x.action,
        x.reason,
      ]),
    );
  }
  if (opts.dryRun) return refused ? EXIT.PROBLEMS : EXIT.OK;
  const done =
    `deleted ${sum('deleted')}, un-failed ${sum('unfailed')}, released ${sum('released')}` +
    (refused ? `; refused ${refused} held by live workers (use --force after stopping the daemons)` : '');
  process.stdout.write(`${name}: ${done}\n`);
  // Operators' changes to the queues are kept in the log file, with the rows touched.
  ctx.log.info(
    {
      verb: name,
      rows: plan
        .filter((x) => x.action !== 'refuse')
        .map((x) => ({ queue: x.queue, id: x.id, filename: x.filename, action: x.action })),
    },
    `queue ${name}: ${done}`,
  );
  return refused ? EXIT.PROBLEMS : EXIT.OK;
}
