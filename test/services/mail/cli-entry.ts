import { Command } from 'commander';
import { normaliseArgv } from '../../../src/cli/main.js';

// node --import tsx test/services/mail/cli-entry.ts <command module> <fitsstore arguments...>
const [module, ...args] = process.argv.slice(2);
const mod = (await import(`../../../src/cli/commands/${module}.js`)) as { register(p: Command): void };
const program = new Command('fitsstore').exitOverride((err) => process.exit(err.exitCode === 0 ? 0 : 2));
mod.register(program);
await program.parseAsync(normaliseArgv(['node', 'fitsstore', ...args]));
