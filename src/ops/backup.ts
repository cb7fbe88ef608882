import { chmod, mkdir, mkdtemp, open, readdir, rename, rm, stat, unlink } from 'node:fs/promises';
import path from 'node:path';
import { connectClient } from '../db/pool.js';
import type { Config } from '../config/schema.js';
import type { Migration } from '../db/migrate.js';
import { startEmbedded } from '../db/embedded.js';
import { getParams } from '../db/params.js';
import { liveWorkerNames } from '../queues/workers.js';
import { backupName, planRetention, type RetentionPlan } from './backup-retention.js';
import {
  backupCluster,
  CLUSTER_SUFFIX,
  dataDirOf,
  extractClusterBackup,
  freePort,
  listClusterBackup,
  ownerOf,
  replaceDataDir,
  stopCluster,
  type OwnedCluster,
} from './cluster-backup.js';
import { findPgTool, pgEnv, PgToolError, run, waitFor, withDatabase, type PgTool } from './pgtools.js';

// `fitsstore db backup|restore` and `db migrate --rehearse`, two ways:
// - a configured server (database.url): PostgreSQL's pg_dump/pg_restore. pg_dump reads one
//   consistent snapshot and takes only ACCESS SHARE locks: the queues keep claiming and completing
//   while it runs (only DDL waits), and nothing is excluded, so a restore gives back users, logs,
//   queues and parameters too. A missing or too-old pg_dump is one line naming the version needed.
// - the embedded cluster fitsstore owns (`cluster` given): an online physical copy of the whole
//   cluster (cluster-backup.ts), which needs no client program at all. See docs/operations.md.

export function defaultBackupDir(config: Config): string {
  return path.join(config.paths.var_dir, 'backups');
}

export async function serverMajor(url: string): Promise<number> {
  const c = await connectClient({ connectionString: url, connectionTimeoutMillis: 10_000 });
  try {
    const r = await c.query('SHOW server_version_num');
    return Math.floor(Number(r.rows[0].server_version_num) / 10000);
  } finally {
    await c.end();
  }
}

export interface BackupResult {
  file: string;
  size: number;
  seconds: number;
  /** pg_dump, or null for a physical copy of the embedded cluster. */
  tool: PgTool | null;
  /** How it was made, in words for the operator. */
  method: string;
  retention: RetentionPlan;
  removed: string[];
}

async function fsyncPath(p: string, flags = 'r') {
  const fh = await open(p, flags);
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

/**
 * A backup to a temporary name, verified (pg_restore --list, or the copy read back whole), then
 * renamed; then retention. pg_dump -Fc for a configured server, a physical copy for the cluster.
 */
export async function backup(o: {
  url: string;
  dir: string;
  binDir?: string;
  now?: Date;
  retention?: boolean;
  /** The embedded cluster behind `url`: backed up by a physical copy, no pg_dump needed. */
  cluster?: OwnedCluster;
}): Promise<BackupResult> {
  const t0 = Date.now();
  const now = o.now ?? new Date();
  const { env, database } = pgEnv(o.url);
  await mkdir(o.dir, { recursive: true });
  const name = backupName(database, now, o.cluster ? 'cluster' : 'dump');
  const final = path.join(o.dir, name);
  const tmp = path.join(o.dir, `.${name}.partial`);
  let dump: PgTool | null = null;
  let method: string;
  try {
    if (o.cluster) {
      const r = await backupCluster(o.url, dataDirOf(o.cluster), tmp);
      method = `physical copy of the embedded cluster (WAL ${r.startLsn} to ${r.stopLsn})`;
      await fsyncPath(tmp);
      // Read back whole: a copy whose archive does not list, or lacks its label, is not a backup.
      const names = new Set(await listClusterBackup(tmp));
      for (const need of ['backup_label', 'PG_VERSION', 'global/pg_control'])
        if (!names.has(need)) throw new Error(`${tmp}: ${need} missing from the copy`);
    } else {
      const major = await serverMajor(o.url);
      dump = findPgTool('pg_dump', major, o.binDir);
      const restore = findPgTool('pg_restore', major, o.binDir);
      method = `pg_dump ${dump.version}`;
      await dumpTo(dump, restore, env, tmp);
    }
    await rename(tmp, final);
    await fsyncPath(o.dir);
  } catch (e) {
    await unlink(tmp).catch(() => {});
    throw e;
  }
  const size = (await stat(final)).size;
  const plan = planRetention(await readdir(o.dir), database, now);
  const removed: string[] = [];
  if (o.retention !== false) {
    for (const r of plan.remove) {
      if (r.name === name) continue; // never the one just made (a clock far off could say so)
      await unlink(path.join(o.dir, r.name));
      removed.push(r.name);
    }
  }
  return {
    file: final,
    size,
    seconds: (Date.now() - t0) / 1000,
    tool: dump,
    method,
    retention: plan,
    removed,
  };
}

async function dumpTo(dump: PgTool, restore: PgTool, env: NodeJS.ProcessEnv, tmp: string): Promise<void> {
  // A migration holding an exclusive lock must not make the nightly backup hang forever.
  await waitFor(
    run(dump, ['-Fc', '--lock-wait-timeout=300000', '-f', tmp], env),
    `${dump.path} (${dump.version})`,
  );
  await fsyncPath(tmp);
  // A dump pg_restore cannot list is not a backup.
  await waitFor(
    run(restore, ['--list', tmp], env, ['ignore', 'ignore', 'pipe']),
    `verifying ${tmp} with pg_restore --list`,
  );
}

/** What retention would do in a directory now (`db backup --list`). */
export async function listBackups(dir: string, url: string, now = new Date()): Promise<RetentionPlan> {
  const names = await readdir(dir).catch(() => [] as string[]);
  return planRetention(names, pgEnv(url).database, now);
}

/**
 * pg_restore into the configured database, in one transaction (all or nothing), replacing the
 * objects the dump holds. Objects newer than the dump (later migrations) are left in place: for a
 * clean slate restore into an empty database.
 */
export async function restore(o: {
  url: string;
  file: string;
  binDir?: string;
  cluster?: OwnedCluster;
}): Promise<{ seconds: number; tool: PgTool | null; method: string; previous?: string }> {
  const t0 = Date.now();
  await stat(o.file);
  if (o.file.endsWith(CLUSTER_SUFFIX)) {
    if (!o.cluster)
      throw new PgToolError(
        `${o.file} is a copy of an embedded cluster: restore it with the embedded configuration (no database.url)`,
      );
    const previous = await restoreCluster(o.file, o.cluster, pgEnv(o.url).database);
    return { seconds: (Date.now() - t0) / 1000, tool: null, method: 'physical copy', previous };
  }
  const major = await serverMajor(o.url);
  const tool = findPgTool('pg_restore', major, o.binDir);
  const { env, database } = pgEnv(o.url);
  await waitFor(
    run(
      tool,
      [
        '--clean',
        '--if-exists',
        '--no-owner',
        '--single-transaction',
        '--exit-on-error',
        '-d',
        database,
        o.file,
      ],
      env,
    ),
    `${tool.path} (${tool.version})`,
  );
  return { seconds: (Date.now() - t0) / 1000, tool, method: `pg_restore ${tool.version}` };
}

/**
 * Replaces the embedded cluster with a physical copy: stops its server (whoever started it), swaps
 * the data directory (the old one is kept beside it and returned), and starts it once so the
 * copy's WAL is replayed and checked, then stops it again. The whole cluster goes back in time.
 */
async function restoreCluster(file: string, cluster: OwnedCluster, database: string): Promise<string> {
  const dataDir = dataDirOf(cluster);
  await stopCluster(dataDir);
  const stamp = new Date().toISOString().replace(/[-:.]/g, '');
  const previous = await replaceDataDir(file, dataDir, stamp);
  try {
    const server = await startEmbedded(cluster.varDir, cluster.port, database);
    await server.stop();
  } catch (e) {
    // A copy that does not start is no restore: put the cluster back as it was.
    await stopCluster(dataDir).catch(() => {});
    await rename(dataDir, `${dataDir}.failed-restore-${stamp}`);
    await rename(previous, dataDir);
    throw new Error(
      `${file} did not start as a cluster (${(e as Error).message}); the previous cluster is back in place, the failed copy is in ${dataDir}.failed-restore-${stamp}`,
      { cause: e },
    );
  }
  return previous;
}

/** Live workers (queues/workers.ts judges): a restore under running daemons is refused. */
export async function liveWorkers(url: string): Promise<string[]> {
  const c = await connectClient(url);
  try {
    const params = await getParams(c);
    return await liveWorkerNames(c, { deadSeconds: params.dead_worker_seconds });
  } catch {
    return []; // an empty or foreign database has no workers table
  } finally {
    await c.end();
  }
}

export interface RehearsalResult {
  scratch: string;
  applied: string[];
  seconds: number;
  kept: boolean;
}

/**
 * Applies pending migrations to a scratch copy of the live database (data included) and drops it.
 * `CREATE DATABASE … TEMPLATE live` would need the live database to have no other sessions (the
 * daemons), so the copy is pg_dump | pg_restore, which runs beside them.
 */
export async function rehearse(o: {
  url: string;
  binDir?: string;
  migrate: (url: string) => Promise<Migration[]>;
  keep?: boolean;
  log?: (m: string) => void;
  cluster?: OwnedCluster;
}): Promise<RehearsalResult> {
  if (o.cluster) return rehearseOnCopy({ ...o, cluster: o.cluster });
  const t0 = Date.now();
  const major = await serverMajor(o.url);
  const dump = findPgTool('pg_dump', major, o.binDir);
  const restore = findPgTool('pg_restore', major, o.binDir);
  const { env, database } = pgEnv(o.url);
  const scratch = `${database}_rehearse_${Date.now().toString(36)}`
    .toLowerCase()
    .replace(/[^a-z0-9_]/g, '_')
    .slice(0, 63);
  const admin = await connectClient(o.url);
  let kept = false;
  try {
    await admin.query(`CREATE DATABASE "${scratch}"`);
    o.log?.(`copying ${database} into ${scratch} (pg_dump | pg_restore, ${dump.version})`);
    const d = run(dump, ['-Fc'], env, ['ignore', 'pipe', 'pipe']);
    const r = run(restore, ['--no-owner', '--exit-on-error', '-d', scratch], env, ['pipe', 'ignore', 'pipe']);
    // pg_restore stopping early (an error) closes its stdin: pg_dump then gets EPIPE, not us.
    r.stdin!.on('error', () => {});
    d.stdout!.pipe(r.stdin!);
    await Promise.all([waitFor(d, 'pg_dump of the live database'), waitFor(r, `pg_restore into ${scratch}`)]);
    o.log?.(`applying pending migrations to ${scratch}`);
    const applied = await o.migrate(withDatabase(o.url, scratch));
    kept = Boolean(o.keep);
    return { scratch, applied: applied.map((m) => m.name), seconds: (Date.now() - t0) / 1000, kept };
  } catch (e) {
    kept = Boolean(o.keep);
    throw rehearsalFailed(scratch, e);
  } finally {
    if (!kept) await admin.query(`DROP DATABASE IF EXISTS "${scratch}" WITH (FORCE)`).catch(() => {});
    await admin.end();
  }
}

/** Both rehearsals' failure: the scratch copy named, and the promise that matters to an operator. */
function rehearsalFailed(scratch: string, e: unknown): Error {
  return new Error(
    `rehearsal on ${scratch} failed; the live database was not touched: ${(e as Error).message}`,
    { cause: e },
  );
}

/**
 * The rehearsal for the embedded cluster: a physical copy of it (as `db backup` makes) is started
 * as a second, scratch server on a free port, the migrations run there, and it is stopped and
 * removed. The live cluster only sees an online backup.
 */
async function rehearseOnCopy(o: {
  url: string;
  cluster: OwnedCluster;
  migrate: (url: string) => Promise<Migration[]>;
  keep?: boolean;
  log?: (m: string) => void;
}): Promise<RehearsalResult> {
  const t0 = Date.now();
  const { database } = pgEnv(o.url);
  // Beside the live data directory (not necessarily in var_dir: see dataDirOf), where the postgres
  // OS user can reach the copy.
  const live = dataDirOf(o.cluster);
  const scratch = await mkdtemp(path.join(path.dirname(live), 'rehearse-'));
  // mkdtemp makes it 0700: the postgres OS user (when we run as root) must traverse it, not list it.
  await chmod(scratch, 0o711);
  const copy = path.join(scratch, `copy${CLUSTER_SUFFIX}`);
  let kept = false;
  let server: { url: string; stop(): Promise<void> } | undefined;
  try {
    o.log?.(`copying the embedded cluster into ${scratch} (online physical copy)`);
    await backupCluster(o.url, live, copy);
    await extractClusterBackup(copy, dataDirOf({ varDir: scratch, port: 0 }), await ownerOf(live));
    await unlink(copy);
    server = await startEmbedded(scratch, await freePort(), database);
    o.log?.(`applying pending migrations to the copy (${new URL(server.url).host})`);
    const applied = await o.migrate(server.url);
    kept = Boolean(o.keep);
    return { scratch, applied: applied.map((m) => m.name), seconds: (Date.now() - t0) / 1000, kept };
  } catch (e) {
    kept = Boolean(o.keep);
    throw rehearsalFailed(scratch, e);
  } finally {
    await server?.stop().catch(() => {});
    if (!kept) await rm(scratch, { recursive: true, force: true });
  }
}
