import type { Command } from 'commander';
import type { Config } from '../config/schema.js';
import type { Database } from '../db/connect.js';
import type { Logger } from '../log/logger.js';
import type { Storage } from '../storage/index.js';

// What every command gets: one resolved config, a logger named after the command, the database,
// the store, a lock when asked, and an abort signal wired to SIGTERM/SIGINT.
//
// Everything behind it (zod, pino, pg, the store) is imported when a command runs, not when the
// program is built: `fitsstore --help` and every cron line paid for all of it at start-up
// (issue 17: 0.38 s and 99 MB for --help). Command modules follow suit: their registration
// imports nothing heavy, their actions import what they use.

export interface CommonOptions {
  config?: string;
  debug?: boolean;
  demon?: boolean;
  lockfile?: boolean | string;
  name?: string;
  logsuffix?: string;
}

export interface CommandContext {
  config: Config;
  log: Logger;
  signal: AbortSignal;
  database(): Promise<Database>;
  storage(): Promise<Storage>;
}

export const EXIT = { OK: 0, PROBLEMS: 1, USAGE: 2 } as const;

/** Adds the daemon-style options every long-running command takes. */
export function daemonOptions(cmd: Command): Command {
  return cmd
    .option('--demon', 'run as a background daemon: no stdout, log file only')
    .option('--lockfile', 'refuse to start if another instance with the same --name is running')
    .option('--name <name>', 'instance name, used in the log and lock file names')
    .option('--debug', 'log at debug level');
}

export function commonOptions(cmd: Command): Command {
  return cmd.option(
    '--config <file>',
    'configuration file (JSON); default $FITSSTORE_CONFIG or /etc/fitsstore/config.json',
  );
}

/**
 * Runs a command body with its context and maps failures to exit codes: configuration and usage
 * errors → 2 with a one-line message, other errors → 1. Resources are closed afterwards.
 */
export async function runCommand(
  command: string,
  opts: CommonOptions,
  body: (ctx: CommandContext) => Promise<number | void>,
  extra: { overrides?: Record<string, any>; fileless?: boolean; allowEmbedded?: boolean } = {},
): Promise<never> {
  let db: Database | undefined;
  let code: number;
  let lock: { release(): void } | undefined;
  let log: Logger | undefined;
  const [
    { ConfigError, loadConfig },
    { acquireLock, LockHeldError, lockPath },
    { shutdownOnSignals },
    logging,
  ] = await Promise.all([
    import('../config/load.js'),
    import('../daemon/lockfile.js'),
    import('../daemon/signals.js'),
    import('../log/logger.js'),
  ]);
  try {
    const config = loadConfig({ file: opts.config, overrides: extra.overrides });
    log = logging.createLogger({
      logDir: config.paths.log_dir,
      command,
      name: opts.name,
      logsuffix: opts.logsuffix,
      debug: opts.debug,
      demon: opts.demon,
      fileless: extra.fileless,
    });
    if (opts.lockfile) {
      const file =
        typeof opts.lockfile === 'string'
          ? opts.lockfile
          : lockPath(config.paths.lock_dir, command, opts.name);
      lock = acquireLock(file);
    }
    const ac = shutdownOnSignals((sig) =>
      log?.info(`${sig} received: finishing the item in hand, then stopping`),
    );
    let storage: Storage | undefined;
    const ctx: CommandContext = {
      config,
      log,
      signal: ac.signal,
      database: async () =>
        (db ??= await (
          await import('../db/connect.js')
        ).openDatabase(config, { log: (m) => log!.info(m), allowEmbedded: extra.allowEmbedded })),
      storage: async () => (storage ??= await (await import('../storage/index.js')).openStorage(config)),
    };
    code = (await body(ctx)) ?? EXIT.OK;
  } catch (e) {
    // By name: the class lives with pg, which a command that never opened the database has not loaded.
    if (e instanceof Error && e.name === 'EmbeddedError') {
      process.stderr.write(`fitsstore ${command}: ${e.message}\n`);
      code = EXIT.PROBLEMS;
    } else if (e instanceof ConfigError || e instanceof LockHeldError || e instanceof UsageError) {
      process.stderr.write(`fitsstore ${command}: ${e.message}\n`);
      code = e instanceof LockHeldError ? EXIT.PROBLEMS : EXIT.USAGE;
    } else {
      log?.error({ err: e instanceof Error ? e.stack : String(e) }, `${command} failed`);
      process.stderr.write(`fitsstore ${command}: ${e instanceof Error ? e.message : String(e)}\n`);
      code = EXIT.PROBLEMS;
    }
  }
  await db?.close().catch(() => {});
  lock?.release();
  await flushLog(log);
  process.exit(code);
}

export class UsageError extends Error {
  override name = 'UsageError';
}

/** Flushes the async log file; a destination still opening has nothing to flush. */
function flushLog(log: Logger | undefined): Promise<void> {
  return new Promise((resolve) => {
    if (!log) return resolve();
    try {
      log.flush(() => resolve());
    } catch {
      setTimeout(resolve, 50);
    }
  });
}
