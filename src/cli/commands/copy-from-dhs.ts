import type { Command } from 'commander';
import { commonOptions, daemonOptions, runCommand } from '../context.js';

export function register(program: Command) {
  const cmd = program
    .command('copy-from-dhs')
    .description(
      'Watch the DHS directory and copy complete, valid FITS files into the dataflow store, queueing ingest',
    )
    .option('--dryrun', 'report what would be copied; copy and queue nothing')
    .option('--once', 'one pass (after the settle time), then exit')
    .option('--dhs-dir <dir>', 'DHS directory (default: paths.dhs_dir from the configuration)');
  daemonOptions(commonOptions(cmd)).action(async (opts) => {
    await runCommand('copy-from-dhs', opts, async (ctx) => {
      const { DhsCopier } = await import('../../services/copyfromdhs.js');
      const { DhsWatcher, runDhsLoop } = await import('../../services/dhswatch.js');
      const database = await ctx.database();
      const dhsDir = opts.dhsDir ?? ctx.config.paths.dhs_dir;
      const copier = new DhsCopier({
        db: database.db,
        dhsDir,
        storage: await ctx.storage(),
        log: ctx.log,
        minAgeSeconds: ctx.config.dhs.min_age_seconds,
        badAfterSeconds: ctx.config.dhs.bad_after_seconds,
        dryrun: opts.dryrun,
      });
      const watcher = await new DhsWatcher(dhsDir, ctx.log).start(opts.once ? 'poll' : ctx.config.dhs.watch);
      ctx.log.info(
        `watching ${dhsDir}${opts.dryrun ? ' (dry run)' : ''}: ${
          watcher.mode === 'events'
            ? `inotify events, full scan every ${ctx.config.dhs.poll_seconds} s`
            : `full scan every ${ctx.config.dhs.poll_seconds} s (${watcher.reason})`
        }`,
      );
      try {
        await runDhsLoop({
          copier,
          watcher,
          pollSeconds: ctx.config.dhs.poll_seconds,
          signal: ctx.signal,
          log: ctx.log,
          once: opts.once,
        });
      } finally {
        watcher.close();
      }
    });
  });
}
