import type { Command } from 'commander';
import { stat } from 'node:fs/promises';
import { getParams, type SystemParameters } from '../../db/params.js';
import { Waker } from '../../daemon/sleep.js';
import { DhsCopier, type PassResult } from '../../services/copyfromdhs.js';
import { commonOptions, daemonOptions, EXIT, runCommand } from '../context.js';

export function register(program: Command) {
  const cmd = program
    .command('copy-from-dhs')
    .description(
      'Poll the DHS directory and copy complete, valid FITS files into the dataflow store, queueing ingest',
    )
    .option('--dryrun', 'report what would be copied; copy and queue nothing')
    .option('--once', 'one pass over the DHS directory, then exit')
    .option('--dhs-dir <dir>', 'DHS directory (default: paths.dhs_dir from the configuration)');
  daemonOptions(commonOptions(cmd)).action(async (opts) => {
    await runCommand('copy-from-dhs', opts, async (ctx) => {
      const dhsDir: string = opts.dhsDir ?? ctx.config.paths.dhs_dir;
      // A missing DHS directory is a set-up error, not something to wait out.
      const dir = await stat(dhsDir).catch((e: NodeJS.ErrnoException) => e);
      if (dir instanceof Error || !dir.isDirectory()) {
        const why =
          dir instanceof Error
            ? dir.code === 'ENOENT'
              ? 'does not exist'
              : dir.message
            : 'is not a directory';
        process.stderr.write(`fitsstore copy-from-dhs: DHS directory ${dhsDir} ${why}\n`);
        return EXIT.PROBLEMS;
      }
      const database = await ctx.database();
      let params: SystemParameters = await getParams(database.db);
      const copier = new DhsCopier({
        db: database.db,
        dhsDir,
        storage: await ctx.storage(),
        log: ctx.log,
        minAgeSeconds: ctx.config.dhs.min_age_seconds,
        badAfterSeconds: ctx.config.dhs.bad_after_seconds,
        settleSeconds: () => params.dhs_settle_seconds,
        dryrun: opts.dryrun,
      });
      if (opts.once) {
        const r = await copier.pass();
        ctx.log.info(onceSummary(r));
        return r.bad.length ? EXIT.PROBLEMS : EXIT.OK;
      }
      const waker = new Waker();
      ctx.log.info(`watching ${dhsDir}${opts.dryrun ? ' (dry run)' : ''}`);
      while (!ctx.signal.aborted) {
        try {
          params = await getParams(database.db).catch(() => params);
          await copier.pass();
        } catch (e) {
          // An NFS hiccup must not kill the daemon: log and try again next poll.
          ctx.log.error({ err: (e as Error).message }, 'DHS pass failed; retrying');
        }
        await waker.sleep(ctx.config.dhs.poll_seconds * 1000, ctx.signal);
      }
    });
  });
}

function onceSummary(r: PassResult): string {
  return (
    `one pass: copied ${r.copied.length}, waiting ${r.waiting.length} (incomplete or settling), ` +
    `bad ${r.bad.length}, skipped ${r.skipped.length} (unsupported FITS names), ignored ${r.ignored}`
  );
}
