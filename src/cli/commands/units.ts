import type { Command } from 'commander';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { commonOptions, runCommand } from '../context.js';

const SHIPPED = fileURLToPath(new URL('../../../systemd/', import.meta.url));

export function register(program: Command) {
  commonOptions(
    program
      .command('units')
      .description(
        "Write the systemd units with this configuration's paths (ReadWritePaths: logs, lock, store, var, staging)",
      )
      .requiredOption('--out <dir>', 'directory to write the fits-*.service files to')
      .option('--install-dir <dir>', 'where the package is installed', '/opt/fitsstore'),
  ).action(async (opts) => {
    await runCommand(
      'units',
      opts,
      async (ctx) => {
        const { renderUnit } = await import('../../ops/units.js');
        mkdirSync(opts.out, { recursive: true });
        const configFile = path.resolve(
          opts.config ?? process.env.FITSSTORE_CONFIG ?? '/etc/fitsstore/config.json',
        );
        for (const unit of readdirSync(SHIPPED).filter((f) => f.endsWith('.service'))) {
          const text = renderUnit(readFileSync(path.join(SHIPPED, unit), 'utf8'), unit, ctx.config, {
            configFile,
            installDir: opts.installDir,
          });
          writeFileSync(path.join(opts.out, unit), text);
          process.stdout.write(`${path.join(opts.out, unit)}\n`);
        }
      },
      { fileless: true },
    );
  });
}
