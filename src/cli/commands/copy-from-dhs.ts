import type { Command } from 'commander';
import { Waker } from '../../daemon/sleep.js';
import { DhsCopier } from '../../services/copyfromdhs.js';
import { commonOptions, daemonOptions, runCommand } from '../context.js';

export function register(program: Command) {
  const cmd = program
    .command('copy-from-dhs')
    .description(
      'Poll the DHS directory and copy complete, valid FITS files into the dataflow store, queueing ingest',
    )
    .option('--dryrun', 'report what would be copied; copy and queue nothing')
    .option('--once', 'one pass (after the settle time), then exit')
    .option('--dhs-dir <dir>', 'DHS directory (default: paths.dhs_dir from the configuration)');
  daemonOptions(commonOptions(cmd)).action(async (opts) => {
    await runCommand('copy-from-dhs', opts, async (ctx) => {
      const database = await ctx.database();
      const copier = new DhsCopier({
        db: database.db,
        dhsDir: opts.dhsDir ?? ctx.config.paths.dhs_dir,
        storage: await ctx.storage(),
        log: ctx.log,
        minAgeSeconds: ctx.config.dhs.min_age_seconds,
        badAfterSeconds: ctx.config.dhs.bad_after_seconds,
        dryrun: opts.dryrun,
      });
      const waker = new Waker();
      ctx.log.info(`watching ${opts.dhsDir ?? ctx.config.paths.dhs_dir}${opts.dryrun ? ' (dry run)' : ''}`);
      let passes = 0;
      while (!ctx.signal.aborted) {
        try {
          const r = await copier.pass();
          passes++;
          if (opts.once && passes > 1 && r.waiting.length === 0) break;
        } catch (e) {
          // An NFS hiccup must not kill the daemon: log and try again next poll.
          ctx.log.error({ err: (e as Error).message }, 'DHS pass failed; retrying');
        }
        await waker.sleep(
          opts.once ? (ctx.config.dhs.min_age_seconds * 1000) / 2 + 100 : ctx.config.dhs.poll_seconds * 1000,
          ctx.signal,
        );
      }
    });
  });
}
