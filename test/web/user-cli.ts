// `fitsstore user …` as its own process, for tests, until the command is registered in
// src/cli/commands/index.ts (then `fitsstore user` runs the same code).
import { Command } from 'commander';
import { register } from '../../src/cli/commands/user.js';

const program = new Command('fitsstore');
register(program);
await program.parseAsync(process.argv);
