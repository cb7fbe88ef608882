import type { Config } from '../config/schema.js';
import { ensureDatabase, startEmbedded, type EmbeddedHandle } from './embedded.js';
import { migrate } from './migrate.js';
import { createPool, type Db } from './pool.js';

export interface Database {
  db: Db;
  url: string;
  close(): Promise<void>;
}

/** Connects to the configured database, or the embedded one; migrates unless told not to. */
export async function openDatabase(
  config: Config,
  opts: { migrate?: boolean; log?: (m: string) => void } = {},
): Promise<Database> {
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
