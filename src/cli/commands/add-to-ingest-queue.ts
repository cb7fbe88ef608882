import type { Command } from 'commander';
import { commonOptions, EXIT, runCommand, UsageError } from '../context.js';
import { decimalNumber } from '../numbers.js';

export function register(program: Command) {
  const cmd = program
    .command('add-to-ingest-queue')
    .description('Queue files in the store for (re-)ingestion')
    .option(
      '--file-re <re>',
      'regular expression selecting file names; special values today, twoday, fourday, tenday, twentyday select files from the last 1/2/4/10/20 UTC days',
    )
    .option('--path <path>', 'directory relative to the storage root', '')
    .option('--force', 'force re-ingestion even when the file appears unchanged')
    .option('--force-md5', 'detect changes by md5, not just the last modification time')
    .option('--after <datetime>', 'ingest only after this date/time (ISO 8601)')
    .option('--newfiles <days>', 'only queue files modified in the last N days', decimalNumber(0, false))
    .option('--filename <name...>', 'queue these file names (in --path) without listing the directory')
    .option('--listfile <file>', 'queue the file names listed in this file, one per line')
    .option('--logsuffix <suffix>', 'write to add-to-ingest-queue-<suffix>.log')
    .option('--demon', 'no stdout; log file only')
    .option('--debug', 'log at debug level');
  commonOptions(cmd).action(async (opts) => {
    const { MissingPathError } = await import('../../services/summit/addtoingest.js');
    await runCommand('add-to-ingest-queue', opts, async (ctx) => {
      const { MissingPathError } = await import('../../services/summit/addtoingest.js');
      const { addToIngestQueue } = await import('../../services/summit/addtoingest.js');
      let after: Date | undefined;
      if (opts.after) {
        after = new Date(opts.after);
        if (Number.isNaN(after.getTime())) throw new UsageError(`--after: not a date/time: "${opts.after}"`);
      }
      if (opts.newfiles !== undefined && !(opts.newfiles >= 0))
        throw new UsageError('--newfiles: expected a number of days');
      const database = await ctx.database();
      const storage = await ctx.storage();
      let r;
      try {
        r = await addToIngestQueue(database.db, storage, {
          path: opts.path,
          fileRe: opts.fileRe,
          filename: opts.filename,
          listfile: opts.listfile,
          force: opts.force,
          force_md5: opts.forceMd5,
          after,
          newfiles: opts.newfiles,
          onProgress: (n) => ctx.log.info(`${n} files listed...`),
        });
      } catch (e) {
        if (/--file-re/.test((e as Error).message)) throw new UsageError((e as Error).message);
        if (e instanceof MissingPathError) {
          ctx.log.error(e.message);
          return EXIT.PROBLEMS;
        }
        throw e;
      }
      if (r.wholeDirectory)
        ctx.log.warn(
          `no --file-re: queued every file in ${opts.path ? `${opts.path}/ of the store` : 'the top directory of the store'}`,
        );
      for (const n of r.missing)
        ctx.log.error(`${n}: not in the store${opts.path ? ` under ${opts.path}/` : ''}; not queued`);
      ctx.log.info(
        { ...r, missing: r.missing.length },
        `queued ${r.queued} files for ingest, ${r.alreadyPending} already pending, ${r.skipped} skipped of ${r.considered}` +
          (r.missing.length ? `, ${r.missing.length} not found` : ''),
      );
      return r.missing.length ? EXIT.PROBLEMS : EXIT.OK;
    });
  });
}
