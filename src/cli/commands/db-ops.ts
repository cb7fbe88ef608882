import type { Command } from 'commander';
import path from 'node:path';
import type { OwnedCluster } from '../../ops/cluster-backup.js';
import type { Config } from '../../config/schema.js';
import { printJson, printTable } from '../output.js';
import { commonOptions, EXIT, runCommand, UsageError } from '../context.js';

// `fitsstore db backup|restore` and the `--rehearse` option of the lead's `db migrate`.

const asUsage = async (e: unknown) => {
  const { PgToolError } = await import('../../ops/pgtools.js');
  return e instanceof PgToolError ? new UsageError(e.message) : e;
};

/** The embedded cluster, when no database.url is configured: backed up by a physical copy. */
const ownedCluster = (config: Config): OwnedCluster | undefined =>
  config.database.url ? undefined : { varDir: config.paths.var_dir, port: config.database.embedded_port };

export function registerDbOps(db: Command): void {
  commonOptions(
    db
      .command('backup')
      .description(
        'pg_dump -Fc (a configured server) or a physical copy (the embedded cluster) into the backup directory (temp name, verified, renamed), then apply the retention policy',
      )
      .option('--dir <dir>', 'backup directory (default <var_dir>/backups)')
      .option('--pg-bindir <dir>', 'directory of pg_dump/pg_restore matching the server version')
      .option('--no-retention', 'keep every old backup this time')
      .option('--list', 'list the backups and what the retention policy keeps; make no backup')
      .option('--json', 'machine-readable output'),
  ).action(async (opts) => {
    await runCommand(
      'db-backup',
      opts,
      async (ctx) => {
        const { openDatabase } = await import('../../db/connect.js');
        const { migrate } = await import('../../db/migrate.js');
        const { backup, defaultBackupDir, listBackups } = await import('../../ops/backup.js');
        const dir = path.resolve(opts.dir ?? defaultBackupDir(ctx.config));
        // No migration as a side effect of a backup: the dump is of the database as it is.
        const database = await openDatabase(ctx.config, { migrate: false });
        try {
          if (opts.list) {
            const plan = await listBackups(dir, database.url);
            if (opts.json) return printJson(plan);
            printTable(
              ['backup', 'retention', 'why'],
              [
                ...plan.keep.map((k) => [k.name, 'keep', k.reason]),
                ...plan.remove.map((k) => [k.name, 'remove next run', k.reason]),
              ],
            );
            return;
          }
          const r = await backup({
            url: database.url,
            dir,
            binDir: opts.pgBindir,
            retention: opts.retention,
            cluster: ownedCluster(ctx.config),
          }).catch(async (e) => {
            throw await asUsage(e);
          });
          ctx.log.info(
            {
              file: r.file,
              size: r.size,
              seconds: r.seconds,
              removed: r.removed,
              method: r.method,
              pg_dump: r.tool?.path,
            },
            `backup written: ${r.file}`,
          );
          if (opts.json) printJson(r);
          else {
            process.stdout.write(
              `backup: ${r.file} (${r.size} bytes, ${r.seconds.toFixed(1)} s, ${r.method})\n`,
            );
            process.stdout.write(
              `retention: kept ${r.retention.keep.length}, removed ${r.removed.length}${r.removed.length ? ': ' + r.removed.join(', ') : ''}\n`,
            );
          }
        } finally {
          await database.close();
        }
      },
      { fileless: false },
    );
  });

  commonOptions(
    db
      .command('restore')
      .argument(
        '<file>',
        'a backup made by fitsstore db backup (.dump: pg_dump -Fc; .cluster.tar.gz: the embedded cluster)',
      )
      .description('Restore a backup into the configured database (one transaction); stop the daemons first')
      .option('--yes', 'really replace the database contents')
      .option('--force', 'restore even though queue workers look alive')
      .option('--pg-bindir <dir>', 'directory of a pg_restore matching the server version'),
  ).action(async (file: string, opts) => {
    const { backup } = await import('../../ops/backup.js');
    const { CLUSTER_SUFFIX } = await import('../../ops/cluster-backup.js');
    await runCommand('db-restore', opts, async (ctx) => {
      const { backup } = await import('../../ops/backup.js');
      const { CLUSTER_SUFFIX } = await import('../../ops/cluster-backup.js');
      const { openDatabase } = await import('../../db/connect.js');
      const { migrate } = await import('../../db/migrate.js');
      const { liveWorkers, restore } = await import('../../ops/backup.js');
      const database = await openDatabase(ctx.config, { migrate: false });
      const url = database.url;
      let closed = false;
      try {
        const target = new URL(url);
        const where = `database ${target.pathname.slice(1)} on ${target.hostname}:${target.port || 5432}`;
        if (!opts.yes) {
          throw new UsageError(
            `this replaces the contents of ${where} with ${file}; run again with --yes to do it`,
          );
        }
        const live = await liveWorkers(url);
        if (live.length && !opts.force) {
          process.stderr.write(
            `fitsstore db restore: queue workers are running (${live.join(', ')}): stop them first (sudo systemctl stop 'fits-*'), or --force\n`,
          );
          return EXIT.PROBLEMS;
        }
        const cluster = ownedCluster(ctx.config);
        // A physical restore stops the embedded server itself: let go of it first.
        if (cluster && file.endsWith(CLUSTER_SUFFIX)) {
          closed = true;
          await database.close();
        }
        const r = await restore({ url, file: path.resolve(file), binDir: opts.pgBindir, cluster }).catch(
          async (e) => {
            throw await asUsage(e);
          },
        );
        ctx.log.info({ file, seconds: r.seconds, previous: r.previous }, `restored ${file} into ${where}`);
        process.stdout.write(
          `restored ${file} into ${where} in ${r.seconds.toFixed(1)} s (${r.method}); now run: fitsstore db migrate\n`,
        );
        if (r.previous)
          process.stdout.write(`the cluster as it was is kept in ${r.previous}: delete it once satisfied\n`);
      } finally {
        if (!closed) await database.close();
      }
    });
  });

  addRehearsal(db);
}

/**
 * `db migrate --rehearse`: the migrate command belongs to db.ts; the rehearsal runs as its
 * preAction hook, so the live migration (db.ts's action) only starts once the scratch copy took
 * every pending migration. A failed rehearsal exits 1 before the live database is touched.
 */
function addRehearsal(db: Command) {
  let migrateCmd = db.commands.find((c) => c.name() === 'migrate');
  if (!migrateCmd) {
    migrateCmd = commonOptions(
      db.command('migrate').description('Apply pending numbered SQL migrations'),
    ).action(async (opts) => {
      await runCommand(
        'db-migrate',
        opts,
        async (ctx) => {
          const { openDatabase } = await import('../../db/connect.js');
          const { migrate } = await import('../../db/migrate.js');
          const database = await openDatabase(ctx.config, { migrate: true, log: (m) => ctx.log.info(m) });
          await database.close();
        },
        { fileless: true },
      );
    });
  }
  if (migrateCmd.options.some((o) => o.long === '--rehearse')) return;
  migrateCmd
    .option(
      '--rehearse',
      'first apply the pending migrations to a scratch copy of the live database (data included), then to the live one',
    )
    .option(
      '--pg-bindir <dir>',
      'with --rehearse: directory of pg_dump/pg_restore matching the server version',
    )
    .option('--keep-scratch', 'with --rehearse: keep the scratch database for inspection');
  migrateCmd.hook('preAction', async (cmd) => {
    const opts = cmd.opts();
    if (!opts.rehearse || opts.status) return;
    const say = (m: string) => process.stderr.write(`db migrate --rehearse: ${m}\n`);
    const { ConfigError, loadConfig } = await import('../../config/load.js');
    const { openDatabase } = await import('../../db/connect.js');
    const { migrate, pendingMigrations } = await import('../../db/migrate.js');
    const { rehearse } = await import('../../ops/backup.js');
    let config;
    try {
      config = loadConfig({ file: opts.config });
    } catch (e) {
      if (e instanceof ConfigError) {
        process.stderr.write(`fitsstore db: ${e.message}\n`);
        process.exit(EXIT.USAGE);
      }
      throw e;
    }
    const database = await openDatabase(config, { migrate: false });
    let failed: string | null = null;
    try {
      const pending = await pendingMigrations(database.db);
      if (!pending.length) say('no pending migrations: nothing to rehearse');
      else {
        say(`rehearsing ${pending.length} pending migrations: ${pending.map((m) => m.name).join(', ')}`);
        const r = await rehearse({
          url: database.url,
          binDir: opts.pgBindir,
          keep: opts.keepScratch,
          cluster: ownedCluster(config),
          migrate: (u) => migrate(u, say),
          log: say,
        });
        say(
          `passed on ${r.scratch} in ${r.seconds.toFixed(1)} s${r.kept ? ' (kept)' : ' (dropped)'}; applying to the live database`,
        );
      }
    } catch (e) {
      failed = (e as Error).message;
    } finally {
      await database.close();
    }
    if (failed) {
      process.stderr.write(`fitsstore db migrate: ${failed}\n`);
      process.exit(failed.includes('pg_dump') && failed.includes('--pg-bindir') ? EXIT.USAGE : EXIT.PROBLEMS);
    }
  });
}
