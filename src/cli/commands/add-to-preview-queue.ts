import { InvalidArgumentError, type Command } from 'commander';
import { printJson } from '../output.js';
import { commonOptions, runCommand, UsageError } from '../context.js';

// add-to-preview-queue: queue files for (re)building their previews.

export function days(v: string): number {
  const n = Number(v);
  if (!(n > 0)) throw new InvalidArgumentError('expected a positive number of days');
  return n;
}

export function register(program: Command) {
  const cmd = program
    .command('add-to-preview-queue')
    .description('Queue present files for preview building (those without a preview unless --force)')
    .option('--file-pre <prefix>', 'files whose name starts with this (N2025, S20250101 ...)')
    .option('--lastdays <n>', 'files observed in the last N days', days)
    .option('--instrument <name>', 'files of one instrument (GMOS-N, F2 ...)')
    .option('--all', 'every present file (required when no other selection is given)')
    .option('--force', 'rebuild previews that already exist')
    .option('--json', 'print the counts as JSON')
    .option('--debug', 'log at debug level');
  commonOptions(cmd).action(async (opts) => {
    await runCommand('add-to-preview-queue', opts, async (ctx) => {
      const { FrameFilterError } = await import('../../calcache/frames.js');
      const { addToPreviewQueue } = await import('../../services/archive/preview.js');
      const database = await ctx.database();
      let r;
      try {
        r = await addToPreviewQueue(database.db, {
          filePre: opts.filePre,
          lastdays: opts.lastdays,
          instrument: opts.instrument,
          all: opts.all,
          force: opts.force,
          onProgress: (n) => ctx.log.debug(`${n} files selected...`),
        });
      } catch (e) {
        if (e instanceof FrameFilterError) throw new UsageError(e.message);
        throw e;
      }
      if (opts.json) printJson(r);
      ctx.log.info(
        r,
        `queued ${r.queued} files for previews, ${r.alreadyPending} already pending, of ${r.selected} selected`,
      );
    });
  });
}
