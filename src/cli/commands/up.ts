import type { Command } from 'commander';
import { commonOptions, runCommand } from '../context.js';
import { wholeNumber } from '../numbers.js';

export function register(program: Command) {
  commonOptions(
    program
      .command('up')
      .description(
        'Run the whole path in one process on the embedded PostgreSQL: sample DHS files, the summit (copy-from-dhs, ingest, export) and an archive (its own database and store, upload, ingest, previews, calibrations)',
      )
      .option('--samples <n>', 'sample files to generate into the DHS directory', wholeNumber(0), 24)
      .option('--exit', 'exit once the samples are searchable on the archive')
      .option('--debug', 'log at debug level'),
  ).action(async (opts) => {
    await runCommand(
      'up',
      opts,
      async (ctx) => {
        const { up } = await import('../up/up.js');
        const database = await ctx.database();
        const storage = await ctx.storage();
        const s = await up({
          config: ctx.config,
          database,
          storage,
          log: ctx.log,
          signal: ctx.signal,
          samples: opts.samples,
          exitWhenDone: opts.exit,
          onReady: (s) => {
            const date = new Date().toISOString().slice(0, 10).replace(/-/g, '');
            const lines = [
              '',
              `fitsstore is up: ${s.archived} of ${s.generated.length} sample files copied from the DHS, ingested at the summit, exported over HTTP and searchable on the archive${s.failed ? `; ${s.failed} failed` : ''}.`,
              `  search them:     ${s.archiveUrl}summary/${date}   (with previews)`,
              `                   ${s.archiveUrl}jsonsummary/${date}   ${s.archiveUrl}searchform`,
              `  DHS directory:   ${s.dhsDir}   (drop more .fits files here: they appear on the archive within seconds)`,
              `  summit:          store ${s.storeDir}, database ${database.url}${s.url ? `, web ${s.url}` : ''}`,
              `  archive:         store ${s.archiveStoreDir}, database ${s.archiveDatabaseUrl}`,
              `  logs:            ${ctx.config.paths.log_dir}`,
              `  try:             node bin/fitsstore queue status`,
              opts.exit ? '' : 'Still watching the DHS directory; Ctrl-C stops.',
              '',
            ];
            process.stdout.write(lines.join('\n') + '\n');
          },
        });
        return s.failed ? 1 : 0;
      },
      { allowEmbedded: true },
    );
  });
}
