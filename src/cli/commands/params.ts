import type { Command } from 'commander';
import os from 'node:os';
import { printJson, printTable } from '../output.js';
import { commonOptions, runCommand, UsageError } from '../context.js';
import { wholeNumber } from '../numbers.js';

export function register(program: Command) {
  const p = program
    .command('params')
    .description('Live system parameters (re-read by running daemons each poll)');
  commonOptions(p.command('get').option('--json', 'machine-readable output')).action(async (opts) => {
    await runCommand(
      'params',
      opts,
      async (ctx) => {
        const { getParams } = await import('../../db/params.js');
        const v = await getParams((await ctx.database()).db);
        if (opts.json) return printJson(v);
        printTable(
          ['parameter', 'value'],
          Object.entries(v)
            .filter(([k]) => k !== 'id')
            .map(([k, x]) => [k, x]),
        );
      },
      { fileless: true },
    );
  });
  commonOptions(p.command('set').argument('<name>').argument('<value>')).action(async (name, value, opts) => {
    await runCommand(
      'params',
      opts,
      async (ctx) => {
        const { setParam } = await import('../../db/params.js');
        try {
          const v = await setParam(
            (await ctx.database()).db,
            name,
            value,
            `${os.userInfo().username}@${os.hostname()}`,
          );
          process.stdout.write(`${name} = ${(v as any)[name]}\n`);
        } catch (e) {
          throw new UsageError((e as Error).message);
        }
      },
      { fileless: true },
    );
  });
  commonOptions(p.command('history').option('--limit <n>', 'rows', wholeNumber(1), 20)).action(
    async (opts) => {
      await runCommand(
        'params',
        opts,
        async (ctx) => {
          const { paramHistory } = await import('../../db/params.js');
          const rows = await paramHistory((await ctx.database()).db, opts.limit);
          printTable(
            ['when', 'changed'],
            rows.map((r) => [
              r.changed_at,
              Object.keys(r.new)
                .filter((k) => k !== 'updated_at' && JSON.stringify(r.new[k]) !== JSON.stringify(r.old?.[k]))
                .map((k) => `${k}: ${r.old?.[k]} → ${r.new[k]}`)
                .join(', '),
            ]),
          );
        },
        { fileless: true },
      );
    },
  );
}
