import type { Command } from 'commander';
import { printJson } from '../output.js';
import { commonOptions, runCommand, UsageError } from '../context.js';
import { days } from './add-to-preview-queue.js';

// add-to-calcache-queue: queue frames for (re)computing their calibration associations.

export function register(program: Command) {
  const cmd = program
    .command('add-to-calcache-queue')
    .description('Queue frames for calibration association (those without calcache rows unless --force)')
    .option('--file-pre <prefix>', 'frames whose file name starts with this (N2025, S20250101 ...)')
    .option('--lastdays <n>', 'frames observed in the last N days', days)
    .option('--instrument <name>', 'frames of one instrument (GMOS-N, F2 ...)')
    .option('--all', 'every canonical frame (required when no other selection is given)')
    .option(
      '--force',
      'also frames that already have associations (after a rules change, new calibrations ...)',
    )
    .option('--json', 'print the counts as JSON')
    .option('--debug', 'log at debug level');
  commonOptions(cmd).action(async (opts) => {
    await runCommand('add-to-calcache-queue', opts, async (ctx) => {
      const { FrameFilterError } = await import('../../calcache/frames.js');
      const { addToCalcacheQueue } = await import('../../services/archive/calcache.js');
      const database = await ctx.database();
      let r;
      try {
        r = await addToCalcacheQueue(database.db, {
          filePre: opts.filePre,
          lastdays: opts.lastdays,
          instrument: opts.instrument,
          all: opts.all,
          force: opts.force,
          onProgress: (n) => ctx.log.debug(`${n} frames selected...`),
        });
      } catch (e) {
        if (e instanceof FrameFilterError) throw new UsageError(e.message);
        throw e;
      }
      if (opts.json) printJson(r);
      ctx.log.info(
        r,
        `queued ${r.queued} frames for calibration association, ${r.alreadyPending} already pending, of ${r.selected} selected`,
      );
    });
  });
}
