import { constants, existsSync } from 'node:fs';
import { access, readdir, readFile, stat, statfs } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Config } from '../config/schema.js';
import { pidAlive } from '../daemon/lockfile.js';

// Doctor checks that look at this machine rather than the database: disk space, lock files and
// configuration sanity. Each returns lines; the runner (doctor.ts) orders and prints them.

export type Level = 'OK' | 'WARN' | 'FAIL';
export interface DoctorLine {
  check: string;
  level: Level;
  detail: string;
  fix?: string;
}

export interface DiskThresholds {
  /** Below this percentage free (space or inodes): WARN. */
  warnFreePct: number;
  /** Below this: FAIL. */
  failFreePct: number;
}

/** The configured paths worth watching, per role (the runbook's /, /data and /sci/dataflow). */
export function watchedPaths(config: Config, extra: string[] = []): { label: string; dir: string }[] {
  const p = config.paths;
  const out = [
    ...(config.storage.type === 'local' ? [{ label: 'store', dir: p.storage_root }] : []),
    ...(config.role === 'summit'
      ? [{ label: 'dhs', dir: p.dhs_dir }]
      : [{ label: 'upload_staging', dir: p.upload_staging }]),
    { label: 'logs', dir: p.log_dir },
    { label: 'var', dir: p.var_dir },
    ...extra.map((dir) => ({ label: 'backups', dir })),
    { label: 'tmp', dir: os.tmpdir() },
    { label: '/', dir: '/' },
  ];
  return out;
}

/** One line per filesystem (paths on the same device are reported together). */
export async function diskSpace(
  paths: { label: string; dir: string }[],
  t: DiskThresholds,
): Promise<DoctorLine[]> {
  const byDev = new Map<number, { labels: string[]; dir: string }>();
  for (const { label, dir } of paths) {
    let dev: number;
    try {
      dev = (await stat(dir)).dev;
    } catch {
      continue; // a missing path is the config check's business
    }
    const seen = byDev.get(dev);
    if (seen) seen.labels.push(label);
    else byDev.set(dev, { labels: [label], dir });
  }
  const lines: DoctorLine[] = [];
  for (const { labels, dir } of byDev.values()) {
    const s = await statfs(dir);
    // As df computes it: what an unprivileged writer can still use.
    const usable = Number(s.blocks) - Number(s.bfree) + Number(s.bavail);
    const freePct = usable > 0 ? (100 * Number(s.bavail)) / usable : 100;
    const inodePct = Number(s.files) > 0 ? (100 * Number(s.ffree)) / Number(s.files) : 100;
    const worst = Math.min(freePct, inodePct);
    const level: Level = worst < t.failFreePct ? 'FAIL' : worst < t.warnFreePct ? 'WARN' : 'OK';
    const gib = (Number(s.bavail) * Number(s.bsize)) / 2 ** 30;
    lines.push({
      check: `disk ${labels.join(',')}`,
      level,
      detail: `${dir}: ${gib.toFixed(1)} GiB free (${freePct.toFixed(1)}%), inodes ${inodePct.toFixed(1)}% free`,
      fix:
        level === 'OK'
          ? undefined
          : 'free space (old logs, staging leftovers, backups); beware snapshot folders that keep deleted files',
    });
  }
  return lines;
}

/** Lock files of daemons started with --lockfile: a live pid is a running daemon. */
export async function lockFiles(lockDir: string): Promise<{ lines: DoctorLine[]; live: string[] }> {
  let names: string[];
  try {
    names = (await readdir(lockDir)).filter((n) => n.endsWith('.lock'));
  } catch {
    return {
      live: [],
      lines: [
        {
          check: 'lock files',
          level: 'WARN',
          detail: `${lockDir} does not exist: no daemon has started with --lockfile`,
        },
      ],
    };
  }
  if (!names.length)
    return {
      live: [],
      lines: [
        {
          check: 'lock files',
          level: 'WARN',
          detail: `no lock files in ${lockDir}: no daemon running with --lockfile`,
        },
      ],
    };
  const live: string[] = [];
  const stale: string[] = [];
  for (const n of names.sort()) {
    const pid = parseInt(await readFile(path.join(lockDir, n), 'utf8').catch(() => ''), 10);
    (pidAlive(pid) ? live : stale).push(
      `${n.replace(/\.lock$/, '')}${Number.isFinite(pid) ? ` (pid ${pid})` : ''}`,
    );
  }
  const lines: DoctorLine[] = [];
  if (live.length) lines.push({ check: 'lock files', level: 'OK', detail: `running: ${live.join(', ')}` });
  if (stale.length) {
    lines.push({
      check: 'lock files',
      level: 'WARN',
      detail: `stale (process gone; it crashed or was killed): ${stale.join(', ')}`,
      fix: 'sudo systemctl status fits-*   (a restarted daemon takes its stale lock over by itself)',
    });
  }
  return { lines, live };
}

const writable = async (dir: string) =>
  access(dir, constants.W_OK).then(
    () => true,
    () => false,
  );
const readable = async (dir: string) =>
  access(dir, constants.R_OK | constants.X_OK).then(
    () => true,
    () => false,
  );

/** The archive server's warning when it has no public_url (also logged when the server starts). */
export function publicUrlWarning(config: Config): string | null {
  if (config.server.public_url) return null;
  const hosts = config.server.allowed_hosts.length
    ? config.server.allowed_hosts.join(', ')
    : 'localhost, 127.0.0.1 and [::1] only';
  return `server.public_url is not set: URLs the server writes (calibration manager) take the request's Host, which must be one of server.allowed_hosts (${hosts})`;
}

export async function configSanity(config: Config): Promise<DoctorLine[]> {
  const lines: DoctorLine[] = [];
  const add = (level: Level, detail: string, fix?: string) =>
    lines.push({ check: 'config', level, detail, fix });
  const p = config.paths;
  if (config.storage.type === 'local') {
    if (!existsSync(p.storage_root))
      add(
        'FAIL',
        `paths.storage_root ${p.storage_root} does not exist (not mounted?)`,
        'mount the dataflow filesystem or fix paths.storage_root',
      );
    else if (!(await writable(p.storage_root)))
      add('FAIL', `paths.storage_root ${p.storage_root} is not writable by ${os.userInfo().username}`);
  }
  if (config.role === 'summit') {
    if (!existsSync(p.dhs_dir)) add('WARN', `paths.dhs_dir ${p.dhs_dir} does not exist (automount down?)`);
    else if (!(await readable(p.dhs_dir))) add('FAIL', `paths.dhs_dir ${p.dhs_dir} is not readable`);
    if (!config.export.destinations.length)
      add('WARN', 'export.destinations is empty: ingested files are not sent to any archive');
    for (const d of config.export.destinations)
      if (!d.upload_auth)
        add('WARN', `export destination ${d.url} has no upload_auth: uploads will be refused (403)`);
  } else {
    if (!config.server.upload_auth && !config.server.upload_open)
      add('WARN', 'server.upload_auth is empty and upload_open is false: every upload is refused');
    const warning = publicUrlWarning(config);
    if (warning) add('WARN', warning, 'set server.public_url to the address users reach the archive at');
  }
  if (existsSync(p.log_dir) && !(await writable(p.log_dir)))
    add('FAIL', `paths.log_dir ${p.log_dir} is not writable`);
  if (!config.mail.admin)
    add('WARN', 'mail.admin is not set: doctor --email and failure mails have nobody to go to');
  if (!config.database.url)
    add(
      'WARN',
      'database.url is not set: using the embedded PostgreSQL (fine for trials, not for operations)',
    );
  if (!lines.length)
    add(
      'OK',
      `role ${config.role}, ${config.storage.type} store, ${config.export.destinations.length} export destinations`,
    );
  return lines;
}
