import type { Command } from 'commander';
import { stat } from 'node:fs/promises';
import type { SystemParameters } from '../../db/params.js';
import type { PassResult } from '../../services/summit/copyfromdhs.js';
import { commonOptions, daemonOptions, EXIT, runCommand } from '../context.js';

export function register(program: Command) {
  const cmd = program
    .command('copy-from-dhs')
    .description(
      'Watch the DHS directory and copy complete, valid FITS files into the dataflow store, queueing ingest',
    )
    .option('--dryrun', 'report what would be copied; copy and queue nothing')
    .option('--once', 'one pass over the DHS directory, then exit')
    .option('--dhs-dir <dir>', 'DHS directory (default: paths.dhs_dir from the configuration)');
  daemonOptions(commonOptions(cmd)).action(async (opts) => {
    await runCommand('copy-from-dhs', opts, async (ctx) => {
      const { getParams } = await import('../../db/params.js');
      const { DhsCopier } = await import('../../services/summit/copyfromdhs.js');
      const { DhsWatcher, runDhsLoop } = await import('../../services/summit/dhswatch.js');
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
      const watcher = await new DhsWatcher(dhsDir, ctx.log).start(ctx.config.dhs.watch);
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
          // The live settle interval, re-read after every pass.
          onPass: () => {
            getParams(database.db).then(
              (p) => (params = p),
              () => {},
            );
          },
        });
      } finally {
        watcher.close();
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
