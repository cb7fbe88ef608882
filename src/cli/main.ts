import { Command } from 'commander';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { registerCommands } from './commands/index.js';

const pkg = JSON.parse(readFileSync(fileURLToPath(new URL('../../package.json', import.meta.url)), 'utf8'));

function buildProgram(): Command {
  const program = new Command('fitsstore')
    .description(
      'Dataflow of a FITS data archive: DHS copy, ingest, export, archive services and operator tools',
    )
    .version(pkg.version)
    .showHelpAfterError()
    .configureOutput({ outputError: (s, write) => write(s) })
    // Before the subcommands are added, so that they inherit it: usage errors exit 2 everywhere
    // (unknown options on subcommands used to exit 1), --help and --version exit 0.
    .exitOverride((err) => process.exit(err.exitCode === 0 ? 0 : 2));
  // Runbook spellings with underscores (--force_md5) are accepted as the dashed ones.
  registerCommands(program);
  return program;
}

/** The runbooks spell some options with underscores; commander wants dashes. */
export function normaliseArgv(argv: string[]): string[] {
  return argv.map((a) =>
    a.startsWith('--') && a.includes('_') ? a.replace(/^(--[^=]*)/, (m) => m.replace(/_/g, '-')) : a,
  );
}

const isMain =
  process.argv[1] &&
  fileURLToPath(import.meta.url).replace(/\.ts$/, '.js') === process.argv[1].replace(/\.ts$/, '.js');
if (isMain || process.env.FITSSTORE_CLI_MAIN === '1') {
  // `fitsstore fitsheader FILE | head`: a reader that went away ends the output, quietly.
  process.stdout.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code === 'EPIPE') process.exit(0);
    throw e;
  });
  buildProgram()
    .parseAsync(normaliseArgv(process.argv))
    .catch((e) => {
      process.stderr.write(`fitsstore: ${e instanceof Error ? e.message : e}\n`);
      process.exit(2);
    });
}
