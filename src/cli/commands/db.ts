import type { Command } from 'commander';
import { commonOptions, runCommand } from '../context.js';

export function register(program: Command): Command {
  const db = program
    .command('db')
    .description('Database maintenance: migrations (backup and restore: see docs/operations.md)');
  commonOptions(
    db
      .command('migrate')
      .description('Apply pending numbered SQL migrations')
      .option('--status', 'list migrations and whether each is applied'),
  ).action(async (opts) => {
    await runCommand(
      'db',
      opts,
      async (ctx) => {
        const { openDatabase } = await import('../../db/connect.js');
        const { appliedMigrations, listMigrations } = await import('../../db/migrate.js');
        if (opts.status) {
          const database = await openDatabase(ctx.config, { migrate: false });
          try {
            const done = new Set(await appliedMigrations(database.db));
            for (const m of listMigrations())
              process.stdout.write(`${done.has(m.number) ? 'applied ' : 'PENDING '} ${m.name}\n`);
          } finally {
            await database.close();
          }
          return;
        }
        const database = await openDatabase(ctx.config, { migrate: true, log: (m) => ctx.log.info(m) });
        await database.close();
        ctx.log.info('database is up to date');
      },
      { fileless: true },
    );
  });
  return db;
}
