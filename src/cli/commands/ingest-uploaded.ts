import type { Command } from 'commander';
import { commonOptions, runCommand, UsageError } from '../context.js';
import { decimalNumber } from '../numbers.js';

// ingest-uploaded: the catch-up for uploads whose hand-off to the store and ingest queue did not
// happen (server crash, store down): every complete upload left in upload staging is stored,
// queued for ingest and removed from staging. Safe to run from cron while the server runs.
export function register(program: Command) {
  const cmd = program
    .command('ingest-uploaded')
    .description('Store and queue for ingest any uploaded files left in upload staging')
    .option(
      '--min-age <seconds>',
      'leave uploads younger than this to the server (default 60)',
      decimalNumber(0),
      60,
    )
    .option(
      '--abandoned <seconds>',
      'remove unfinished uploads older than this (default 86400)',
      decimalNumber(0),
      86_400,
    )
    .option('--demon', 'no stdout; log file only')
    .option('--debug', 'log at debug level');
  commonOptions(cmd).action(async (opts) => {
    await runCommand('ingest-uploaded', opts, async (ctx) => {
      const { ingestLeftovers } = await import('../../services/archive/ingestuploaded.js');
      if (!(opts.minAge >= 0)) throw new UsageError('--min-age: expected a number of seconds');
      if (!(opts.abandoned > 0)) throw new UsageError('--abandoned: expected a number of seconds');
      const database = await ctx.database();
      const storage = await ctx.storage();
      const r = await ingestLeftovers(
        { config: ctx.config, db: database.db, storage, log: ctx.log },
        { minAgeSeconds: opts.minAge, abandonedSeconds: opts.abandoned },
      );
      ctx.log.info(
        r,
        `ingest-uploaded: ${r.queued} queued for ingest, ${r.superseded} superseded, ${r.failed} failed, ` +
          `${r.skippedYoung} too recent, ${r.removedPartial} abandoned partial upload(s) removed`,
      );
      return r.failed > 0 ? 1 : 0;
    });
  });
}
