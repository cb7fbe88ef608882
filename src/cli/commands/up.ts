import type { Command } from 'commander';
import { up } from '../../services/up.js';
import { commonOptions, runCommand } from '../context.js';
import { wholeNumber } from '../numbers.js';

export function register(program: Command) {
  commonOptions(
    program
      .command('up')
      .description(
        'Run the summit pipeline in one process on the embedded PostgreSQL: sample DHS files, copy-from-dhs, two ingest workers',
      )
      .option('--samples <n>', 'sample files to generate into the DHS directory', wholeNumber(0), 24)
      .option('--exit', 'exit once the samples are ingested')
      .option('--debug', 'log at debug level'),
  ).action(async (opts) => {
    await runCommand(
      'up',
      opts,
      async (ctx) => {
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
            const lines = [
              '',
              `fitsstore is up: ${s.ingested} of ${s.generated.length} sample files ingested into PostgreSQL${s.failed ? `, ${s.failed} failed` : ''}.`,
              `  DHS directory:   ${s.dhsDir}   (drop more .fits files here)`,
              `  dataflow store:  ${s.storeDir}`,
              `  database:        ${database.url}`,
              `  logs:            ${ctx.config.paths.log_dir}`,
              s.url
                ? `  web:             ${s.url}searchform   ${s.url}jsonsummary/today`
                : '  web:             (not started: port busy)',
              `  try:             node bin/fitsstore queue status`,
              `                   psql ${database.url} -c "select filename, present, canonical from diskfile"`,
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
