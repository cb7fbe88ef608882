import type { Command } from 'commander';
import { printJson, printTable } from '../output.js';
import { commonOptions, EXIT, runCommand, UsageError } from '../context.js';
import { decimalNumber } from '../numbers.js';

export function register(program: Command): Command {
  return commonOptions(
    program
      .command('check')
      .description(
        'Database vs store consistency: missing files, orphans, size (and with --md5, checksum) mismatches. Reports; repairs only with --fix',
      )
      .option(
        '--fix',
        'mark missing files not present; queue orphans and changed files for ingest (md5 mismatches are only reported)',
      )
      .option(
        '--force',
        'with --fix: mark files missing even when most of the store looks missing (unmounted store?)',
      )
      .option('--path <dir>', 'only this directory of the store')
      .option('--no-orphans', 'skip listing the store for files without a diskfile')
      .option(
        '--md5',
        'also verify checksums (reads the files): a rolling scrub that continues where the last run stopped',
      )
      .option(
        '--byte-budget <bytes>',
        'with --md5: stop after reading this much (e.g. 200G); the next run continues',
      )
      .option(
        '--settle <seconds>',
        'ignore files modified this recently (being written or ingested)',
        decimalNumber(0),
        60,
      )
      .option('--json', 'machine-readable output'),
  ).action(async (opts) => {
    await runCommand(
      'check',
      { ...opts, demon: true },
      async (ctx) => {
        const { check, parseBytes } = await import('../../ops/check.js');
        let byteBudget: number | undefined;
        if (opts.byteBudget !== undefined) {
          if (!opts.md5) throw new UsageError('--byte-budget only applies with --md5');
          try {
            byteBudget = parseBytes(opts.byteBudget);
          } catch (e) {
            throw new UsageError(`--byte-budget: ${(e as Error).message}`);
          }
        }
        const tty = process.stderr.isTTY === true;
        const r = await check({
          db: (await ctx.database()).db,
          storage: await ctx.storage(),
          fix: opts.fix,
          force: opts.force,
          prefix: opts.path,
          orphans: opts.orphans,
          md5: opts.md5,
          byteBudget,
          settleSeconds: opts.settle,
          onProgress: tty
            ? (phase, done, total) =>
                process.stderr.write(`\r\x1b[Kchecking ${phase}: ${done}${total ? ` of ${total}` : ''}`)
            : undefined,
        });
        if (tty) process.stderr.write('\r\x1b[K');
        if (opts.json) printJson(r);
        else {
          if (r.problems.length) {
            printTable(
              ['problem', 'key', 'diskfile', 'detail', 'fixed'],
              r.problems.map((p) => [p.kind, p.key, p.diskfileId, p.detail, p.fixed ?? '']),
            );
          }
          const c = r.checked;
          const by = (k: string) => r.problems.filter((p) => p.kind === k).length;
          process.stdout.write(
            `checked ${c.diskfiles} present diskfiles and ${c.storeFiles} store files (${c.ignored} ignored names)` +
              (opts.md5 ? `, md5 of ${c.md5Files} files (${c.md5Bytes} bytes)` : '') +
              `: ${by('missing')} missing, ${by('orphan')} orphans, ${by('size')} size mismatches` +
              (opts.md5 ? `, ${by('md5')} md5 mismatches` : '') +
              '\n',
          );
          if (r.scrub) {
            process.stdout.write(
              `md5 scrub: diskfile ids ${r.scrub.fromId} → ${r.scrub.toId}${r.scrub.wrapped ? ' (a full pass completed)' : ''}; ${r.scrub.passesCompleted} full passes so far\n`,
            );
          }
          if (opts.fix)
            process.stdout.write(
              `fixed: ${r.fixed.markedNotPresent} marked not present, ${r.fixed.queued} queued for ingest\n`,
            );
          else if (r.problems.some((p) => p.kind !== 'md5'))
            process.stdout.write('report only: run again with --fix to repair\n');
          if (r.refused) process.stdout.write(`REFUSED: ${r.refused}\n`);
        }
        // Repairs are kept in the log file (the table above already told the operator).
        if (opts.fix)
          ctx.log.info({ checked: r.checked, fixed: r.fixed, problems: r.problems }, 'check --fix finished');
        return r.problems.length || r.refused ? EXIT.PROBLEMS : EXIT.OK;
      },
      { fileless: !opts.fix },
    );
  });
}
