// The CLI with the operator commands registered, as the lead's registerCommands will do it; run by
// test/ops/cli.test.ts in a child process (commands end with process.exit).
import { Command } from 'commander';
import * as db from '../../../src/cli/commands/db.js';
import { registerOps } from '../../../src/cli/commands/ops-index.js';
import * as queue from '../../../src/cli/commands/queue.js';

const program = new Command('fitsstore').exitOverride((err) => process.exit(err.exitCode === 0 ? 0 : 2));
registerOps(program, { queue: queue.register(program), db: db.register(program) });
await program.parseAsync(process.argv);
