import { createReadStream, createWriteStream, existsSync, realpathSync } from 'node:fs';
import { chown, lstat, mkdir, open, readdir, rename, rm, stat } from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { createGunzip, createGzip } from 'node:zlib';
import { connectClient } from '../db/pool.js';
import tar from 'tar-stream';

// Backups of the embedded PostgreSQL cluster that fitsstore itself owns (<var_dir>/pg), with
// nothing installed beyond npm ci: the embedded PostgreSQL 18 ships no pg_dump, and an older
// system pg_dump refuses a newer server. PostgreSQL's own online physical backup API does it:
//   1. a temporary physical replication slot pins the WAL from now on (so no segment the copy
//      needs is recycled while we read);
//   2. pg_backup_start (fast checkpoint) — writers go on;
//   3. the data directory is copied file by file into a .tar.gz (files changing under us are
//      fine: WAL replay from the backup's checkpoint repairs them, full-page writes are forced);
//   4. pg_backup_stop returns the backup_label, which goes into the archive, and the WAL from the
//      start segment to the stop segment (pg_backup_stop switched segments) is added as pg_wal/.
// Starting a server on the extracted directory replays that WAL to a consistent state, as with
// pg_basebackup -X fetch. The backup is of the whole cluster (every database in it), and a restore
// replaces the whole cluster: fine for the cluster fitsstore owns, wrong for a shared server, which
// keeps pg_dump (backup.ts).

export const CLUSTER_SUFFIX = '.cluster.tar.gz';

/** The embedded cluster: its data directory is <varDir>/pg, it listens on 127.0.0.1:port. */
export interface OwnedCluster {
  varDir: string;
  port: number;
}

/**
 * The cluster's real data directory. <varDir>/pg may be a link to it (src/db/embedded.ts keeps the
 * data where the postgres OS user can reach it when var_dir is under a closed directory): a
 * restore must swap the directory the link points at, not the link, or the new data would land
 * where postgres cannot reach it.
 */
export const dataDirOf = (c: OwnedCluster) => {
  const p = path.join(c.varDir, 'pg');
  return existsSync(p) ? realpathSync(p) : p;
};

/** Directories whose contents a backup leaves out (PostgreSQL's own list for base backups). */
const EMPTY_DIRS = new Set([
  'pg_wal',
  'pg_replslot',
  'pg_dynshmem',
  'pg_notify',
  'pg_serial',
  'pg_snapshots',
  'pg_stat_tmp',
  'pg_subtrans',
]);
const SKIP_FILES = new Set([
  'postmaster.pid',
  'postmaster.opts',
  'backup_label',
  'backup_label.old',
  'tablespace_map',
  'backup_manifest',
  'recovery.signal',
  'standby.signal',
]);
const WAL_SEGMENT = /^[0-9A-F]{24}$/;

/** tar-stream's entries are streamx Writables: the little of them used here. */
type Entry = NodeJS.EventEmitter & { write(chunk: Buffer): boolean; end(data?: unknown): unknown };

async function addFile(pack: tar.Pack, full: string, name: string): Promise<void> {
  let fh;
  try {
    fh = await open(full, 'r');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return; // dropped since the listing
    throw e;
  }
  try {
    const st = await fh.stat();
    const size = st.size;
    const entry: Entry = pack.entry({
      name,
      size,
      mode: st.mode & 0o7777,
      mtime: st.mtime,
      type: 'file',
    });
    // Read exactly the size announced in the tar header: a file that grew meanwhile is cut (WAL
    // replay writes the rest), one that shrank is padded with zeros (replay truncates it).
    // Each chunk is read into a buffer of its own, sized to what is left (most files of a cluster
    // are 8 kB): tar-stream keeps the chunk, and a 1 MiB buffer per file made GC a third of the
    // backup's CPU.
    let done = 0;
    while (done < size) {
      const want = Math.min(1 << 20, size - done);
      const buf = Buffer.allocUnsafe(want);
      const { bytesRead } = await fh.read(buf, 0, want, done);
      const chunk = bytesRead > 0 ? buf.subarray(0, bytesRead) : buf.fill(0);
      done += chunk.length;
      if (!entry.write(chunk)) await new Promise((r) => entry.once('drain', r));
    }
    entry.end();
    await new Promise<void>((resolve, reject) => {
      entry.once('finish', resolve);
      entry.once('error', reject);
    });
  } finally {
    await fh.close();
  }
}

async function addTree(pack: tar.Pack, root: string, rel: string): Promise<void> {
  const here = path.join(root, rel);
  for (const d of await readdir(here, { withFileTypes: true }).catch(() => [])) {
    const name = rel ? `${rel}/${d.name}` : d.name;
    if (!rel && SKIP_FILES.has(d.name)) continue;
    if (d.name.startsWith('pgsql_tmp')) continue;
    if (d.isDirectory()) {
      pack.entry({ name, type: 'directory', mode: 0o700 });
      if (!(rel === '' && EMPTY_DIRS.has(d.name))) await addTree(pack, root, name);
    } else if (d.isFile()) await addFile(pack, path.join(root, name), name);
    // Symlinks would be tablespaces (pg_tblspc), which the embedded cluster does not use.
  }
}

export interface ClusterBackup {
  startLsn: string;
  stopLsn: string;
  walSegments: number;
}

/** An online physical backup of the cluster at `dataDir` (superuser `url`) into `file`. */
export async function backupCluster(url: string, dataDir: string, file: string): Promise<ClusterBackup> {
  const c = await connectClient(url);
  const pack = tar.pack();
  const written = pipeline(pack, createGzip({ level: 6 }), createWriteStream(file));
  written.catch(() => {}); // awaited below; an early failure must not be unhandled meanwhile
  let started = false;
  try {
    const slot = `fitsstore_backup_${process.pid}_${Date.now().toString(36)}`;
    await c.query('SELECT pg_create_physical_replication_slot($1, true, true)', [slot]);
    const s = (
      await c.query(`SELECT lsn::text, pg_walfile_name(lsn) AS wal FROM pg_backup_start($1, true) AS lsn`, [
        `fitsstore ${path.basename(file)}`,
      ])
    ).rows[0];
    started = true;
    await addTree(pack, dataDir, '');
    const e = (
      await c.query(
        `SELECT lsn::text, labelfile, spcmapfile, pg_walfile_name(lsn) AS wal FROM pg_backup_stop(true)`,
      )
    ).rows[0];
    started = false;
    pack.entry({ name: 'backup_label', mode: 0o600 }, e.labelfile);
    if (e.spcmapfile) pack.entry({ name: 'tablespace_map', mode: 0o600 }, e.spcmapfile);
    // The WAL the copy needs: segments from the start to the stop segment, same timeline.
    const tli = String(s.wal).slice(0, 8);
    const wal = (await readdir(path.join(dataDir, 'pg_wal')))
      .filter((n) => WAL_SEGMENT.test(n) && n.startsWith(tli) && n >= s.wal && n <= e.wal)
      .sort();
    if (!wal.includes(e.wal))
      throw new Error(`WAL segment ${e.wal} (the backup's end) is missing from pg_wal`);
    for (const n of wal) await addFile(pack, path.join(dataDir, 'pg_wal', n), `pg_wal/${n}`);
    await c.query('SELECT pg_drop_replication_slot($1)', [slot]);
    pack.finalize();
    await written;
    return { startLsn: s.lsn, stopLsn: e.lsn, walSegments: wal.length };
  } catch (err) {
    pack.destroy(err as Error);
    await written.catch(() => {});
    if (started) await c.query('SELECT pg_backup_stop(false)').catch(() => {});
    throw err;
  } finally {
    await c.end().catch(() => {});
  }
}

/** Names of the entries of a cluster backup, read back whole (a truncated .gz fails here). */
export async function listClusterBackup(file: string): Promise<string[]> {
  const names: string[] = [];
  const extract = tar.extract();
  extract.on('entry', (h, s, next) => {
    names.push(h.name);
    s.on('end', next);
    s.resume();
  });
  await pipeline(createReadStream(file), createGunzip(), extract);
  return names;
}

/** Unpacks a cluster backup into `dir` (created 0700), owned by uid/gid when running as root. */
export async function extractClusterBackup(
  file: string,
  dir: string,
  owner: { uid: number; gid: number },
): Promise<void> {
  await mkdir(dir, { mode: 0o700 });
  const asRoot = process.getuid?.() === 0;
  const extract = tar.extract();
  extract.on('entry', (h, s, next) => {
    const target = path.join(dir, h.name);
    if (!target.startsWith(dir + path.sep)) {
      s.resume();
      return next(new Error(`${file}: entry ${h.name} points outside the data directory`));
    }
    const own = () => (asRoot ? chown(target, owner.uid, owner.gid) : Promise.resolve());
    if (h.type === 'directory') {
      s.resume();
      mkdir(target, { recursive: true, mode: 0o700 })
        .then(own)
        .then(() => next(), next);
      return;
    }
    pipeline(s, createWriteStream(target, { mode: (h.mode ?? 0o600) & 0o700 }))
      .then(own)
      .then(() => next(), next);
  });
  await pipeline(createReadStream(file), createGunzip(), extract);
  if (asRoot) await chown(dir, owner.uid, owner.gid);
}

/** The owner of an existing data directory (postgres runs as that user). */
export async function ownerOf(dataDir: string): Promise<{ uid: number; gid: number }> {
  const st = await stat(dataDir);
  return { uid: st.uid, gid: st.gid };
}

/** Stops the postmaster running on `dataDir` (fast shutdown) and waits for it to be gone. */
export async function stopCluster(dataDir: string, timeoutMs = 60_000): Promise<void> {
  const pidFile = path.join(dataDir, 'postmaster.pid');
  let pid: number;
  try {
    const fh = await open(pidFile, 'r');
    pid = Number((await fh.readFile('utf8')).split('\n')[0]);
    await fh.close();
  } catch {
    return; // not running
  }
  try {
    process.kill(pid, 'SIGINT');
  } catch {
    return;
  }
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    if (!(await lstat(pidFile).catch(() => null))) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`PostgreSQL (pid ${pid}) on ${dataDir} did not stop within ${timeoutMs / 1000} s`);
}

/** Replaces the data directory with a backup; the old one is kept beside it, and returned. */
export async function replaceDataDir(file: string, dataDir: string, stamp: string): Promise<string> {
  const owner = await ownerOf(dataDir);
  const fresh = `${dataDir}.restoring`;
  await rm(fresh, { recursive: true, force: true });
  await extractClusterBackup(file, fresh, owner);
  const old = `${dataDir}.before-restore-${stamp}`;
  await rename(dataDir, old);
  await rename(fresh, dataDir);
  return old;
}

/** A TCP port free on 127.0.0.1 right now (for a scratch server). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}
