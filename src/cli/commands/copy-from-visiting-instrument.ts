import path from 'node:path';
import type { Command } from 'commander';
import type { VisitingInstrument } from '../../services/visiting/visiting.js';
import { commonOptions, daemonOptions, EXIT, runCommand, UsageError } from '../context.js';
import { printJson } from '../output.js';
import { decimalNumber } from '../numbers.js';

// `copy-from-visiting-instrument --alopeke|--zorro|--igrins|--maroonx [--dryrun]`: one pass over
// the staging areas; with --demon, a pass every --poll-seconds (300 s, as FitsStorage did) until
// stopped. Exit 1 when a file could not be copied.

export function register(program: Command) {
  const cmd = program
    .command('copy-from-visiting-instrument')
    .description(
      "Copy visiting instruments' files from their staging areas into <store>/<instrument>/<YYYYMMDD>/, repairing headers, and queue them for ingest",
    )
    .option('--alopeke', "'Alopeke (Gemini-North speckle camera)")
    .option('--zorro', 'Zorro (Gemini-South speckle camera)')
    .option('--igrins', 'IGRINS')
    .option('--maroonx', 'MAROON-X')
    .option(
      '--source <dir>',
      'staging area (one instrument only); default <paths.var_dir>/visiting/<instrument>',
    )
    .option('--dryrun', 'say what would be copied and repaired; write and queue nothing')
    .option('--poll-seconds <s>', 'with --demon: seconds between passes', decimalNumber(0, false), 300)
    .option('--json', 'print each pass as JSON');
  daemonOptions(commonOptions(cmd)).action(async (opts) => {
    await runCommand('copy-from-visiting-instrument', opts, async (ctx) => {
      const { sleep } = await import('../../daemon/sleep.js');
      const { copyFromVisitingInstrument, VISITING_INSTRUMENTS } =
        await import('../../services/visiting/visiting.js');
      const chosen = VISITING_INSTRUMENTS.filter((i) => opts[i]);
      if (chosen.length === 0)
        throw new UsageError('name an instrument: --alopeke, --zorro, --igrins or --maroonx');
      if (opts.source && chosen.length > 1)
        throw new UsageError('--source applies to one instrument at a time');
      if (!(opts.pollSeconds > 0)) throw new UsageError('--poll-seconds: expected a positive number');
      const source = (i: VisitingInstrument) =>
        opts.source ?? path.join(ctx.config.paths.var_dir, 'visiting', i);
      const database = await ctx.database();
      const storage = await ctx.storage();
      let failed = false;
      do {
        for (const instrument of chosen) {
          const r = await copyFromVisitingInstrument(
            { db: database.db, storage, log: ctx.log },
            { instrument, source: source(instrument), dryrun: opts.dryrun },
          );
          if (opts.json) printJson({ instrument, ...r });
          ctx.log.info(
            `${instrument}: ${opts.dryrun ? `${r.wouldCopy.length} would be copied` : `${r.copied.length} copied`}, ` +
              `${r.requeued.length} re-queued, ${r.skipped.length} skipped, ${r.errors.length} errors`,
          );
          failed ||= r.errors.length > 0;
        }
        if (opts.demon) await sleep(opts.pollSeconds * 1000, ctx.signal);
      } while (opts.demon && !ctx.signal.aborted);
      return failed ? EXIT.PROBLEMS : EXIT.OK;
    });
  });
}
