import { ConfigError, configSource } from '../config/load.js';
import type { Config } from '../config/schema.js';
import { ensureDatabase, startEmbedded, type EmbeddedHandle } from './embedded.js';
import { migrate } from './migrate.js';
import { createPool, type Db } from './pool.js';

export interface Database {
  db: Db;
  url: string;
  close(): Promise<void>;
}

/**
 * Throws a ConfigError naming where the configuration was looked for when there is no database
 * to use: an operator with a typo in FITSSTORE_CONFIG once got a new, empty embedded PostgreSQL
 * and saw "0 files".
 */
export function requireDatabase(config: Config, allowEmbedded = false): void {
  if (config.database.url || config.database.embedded || allowEmbedded) return;
  throw new ConfigError(
    `no database configured: ${configSource(config)} gives no database.url, and FITSSTORE_DATABASE_URL ` +
      `is not set. Give --config FILE (or FITSSTORE_CONFIG) with database.url, or set ` +
      `FITSSTORE_DATABASE_URL; only \`fitsstore up\` (or database.embedded: true) uses the embedded PostgreSQL`,
  );
}

/**
 * Connects to the configured database, or the embedded one when allowed; migrates unless told
 * not to.
 */
export async function openDatabase(
  config: Config,
  opts: { migrate?: boolean; log?: (m: string) => void; allowEmbedded?: boolean } = {},
): Promise<Database> {
  requireDatabase(config, opts.allowEmbedded);
  let embedded: EmbeddedHandle | undefined;
  let url = config.database.url;
  if (!url) {
    embedded = await startEmbedded(config.paths.var_dir, config.database.embedded_port);
    url = embedded.url;
    opts.log?.(
      `using the embedded PostgreSQL at ${config.paths.var_dir}/pg (port ${config.database.embedded_port})`,
    );
  }
  if (opts.migrate !== false) await migrate(url, opts.log);
  const db = createPool(url, config.database.pool_size);
  return {
    db,
    url,
    close: async () => {
      await db.end();
      await embedded?.stop();
    },
  };
}

/**
 * Another database on the same server as `base` (`up` gives the archive its own): created when
 * missing, migrated, with its own pool. Closing it leaves the server running.
 */
export async function openSiblingDatabase(
  base: Database,
  dbName: string,
  opts: { poolSize?: number; log?: (m: string) => void } = {},
): Promise<Database> {
  const u = new URL(base.url);
  const admin = new URL(base.url);
  admin.pathname = '/postgres';
  await ensureDatabase(admin.toString(), dbName);
  u.pathname = `/${dbName}`;
  const url = u.toString();
  await migrate(url, opts.log);
  const db = createPool(url, opts.poolSize ?? 10);
  return { db, url, close: () => db.end() };
}
