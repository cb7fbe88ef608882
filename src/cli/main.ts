import { Command } from 'commander';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { registerCommands } from './commands/index.js';

const pkg = JSON.parse(readFileSync(fileURLToPath(new URL('../../package.json', import.meta.url)), 'utf8'));

export function buildProgram(): Command {
  const program = new Command('fitsstore')
    .description(
      'Dataflow of a FITS data archive: DHS copy, ingest, export, archive services and operator tools',
    )
    .version(pkg.version)
    .showHelpAfterError()
    .configureOutput({ outputError: (s, write) => write(s) });
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
  const program = buildProgram();
  // Usage errors (a bad option value included) exit 2, from every subcommand: commander's
  // settings reach only commands created after them, so each one is told.
  const usageExit = (c: Command): void => {
    c.exitOverride((err) => process.exit(err.exitCode === 0 ? 0 : 2));
    c.commands.forEach(usageExit);
  };
  usageExit(program);
  program
    .parseAsync(normaliseArgv(process.argv))
    .catch((e) => {
      process.stderr.write(`fitsstore: ${e instanceof Error ? e.message : e}\n`);
      process.exit(2);
    });
}
