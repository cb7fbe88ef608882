import { readdir, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import nodemailer from 'nodemailer';
import type { Config } from '../config/schema.js';
import type { Queryable } from '../db/pool.js';
import { getParams } from '../db/params.js';
import { pendingMigrations } from '../db/migrate.js';
import { queueHealth, recentErrorCounts } from '../queues/health.js';
import { holderState } from '../queues/holders.js';
import { QUEUES, type QueueName } from '../queues/tables.js';
import { listWorkers } from '../queues/workers.js';
import { BACKUP_RE } from './backup-retention.js';
import { probePresent } from './destinations.js';
import {
  configSanity,
  diskSpace,
  lockFiles,
  watchedPaths,
  type DoctorLine,
  type Level,
} from './doctor-host.js';

// `fitsstore doctor`: one line per check (OK/WARN/FAIL) over everything the support notes tell an
// operator to look at: disks, database, daemons, queues, errors, destinations, config, backups.

export type { DoctorLine, Level };

export interface DoctorOptions {
  config: Config;
  /** Opens the database without migrating; may throw (reported as FAIL). */
  connect: () => Promise<{ db: Queryable; close(): Promise<void> }>;
  warnFreePct?: number;
  failFreePct?: number;
  /** A pending item older than this is a backlog worth a WARN. */
  backlogSeconds?: number;
  backupDir?: string;
  timeoutMs?: number;
  now?: Date;
  /** Tests: liveness of pids on this host. */
  pidAlive?: (pid: number) => boolean;
}

export interface DoctorReport {
  host: string;
  at: Date;
  lines: DoctorLine[];
  worst: Level;
}

const RANK: Record<Level, number> = { OK: 0, WARN: 1, FAIL: 2 };

const SERVICE: Record<QueueName, string> = {
  ingest: 'fits-service_ingest_queue1 fits-service_ingest_queue2',
  export: 'fits-service_export_queue1 fits-service_export_queue2',
  preview: 'fits-service_preview_queue',
  calcache: 'fits-service_calcache_queue',
};

export async function doctor(o: DoctorOptions): Promise<DoctorReport> {
  const { config } = o;
  const now = o.now ?? new Date();
  const lines: DoctorLine[] = [];
  const add = (check: string, level: Level, detail: string, fix?: string) =>
    lines.push({ check, level, detail, fix });

  lines.push(...(await configSanity(config)));
  lines.push(
    ...(await diskSpace(watchedPaths(config, o.backupDir ? [o.backupDir] : []), {
      warnFreePct: o.warnFreePct ?? 10,
      failFreePct: o.failFreePct ?? 5,
    })),
  );
  const locks = await lockFiles(config.paths.lock_dir);
  lines.push(...locks.lines);
  if (config.role === 'summit' && !locks.live.some((n) => n.startsWith('copy-from-dhs'))) {
    add(
      'copy-from-dhs',
      'WARN',
      'no live copy-from-dhs lock file: the DHS copy daemon is not running (or runs without --lockfile)',
      'sudo systemctl restart fits-copy_from_dhs',
    );
  }

  let database: Awaited<ReturnType<DoctorOptions['connect']>> | null = null;
  try {
    const t0 = Date.now();
    database = await withTimeout(o.connect(), o.timeoutMs ?? 10_000, 'connecting to the database');
    const v = await withTimeout(
      database.db.query('SHOW server_version'),
      o.timeoutMs ?? 10_000,
      'querying the database',
    );
    add('database', 'OK', `reachable (PostgreSQL ${v.rows[0].server_version}, ${Date.now() - t0} ms)`);
  } catch (e) {
    add(
      'database',
      'FAIL',
      `unreachable: ${(e as Error).message}`,
      'sudo systemctl status postgresql; check database.url',
    );
  }
  if (database) {
    try {
      await databaseChecks(database.db, o, now, add);
    } catch (e) {
      add('database', 'FAIL', `checks failed: ${(e as Error).message}`);
    } finally {
      await database.close().catch(() => {});
    }
  }

  if (config.role === 'summit') {
    for (const d of config.export.destinations) {
      const p = await probePresent(d.url, 'fitsstore-doctor-probe.fits', o.timeoutMs ?? 5000);
      if (!p.reachable)
        add(
          'destination',
          'FAIL',
          `${d.url} unreachable: ${p.error}`,
          'check the network and the archive server (its own doctor)',
        );
      else if (p.status >= 500)
        add('destination', 'WARN', `${d.url} answers HTTP ${p.status}`, 'check the archive server logs');
      else add('destination', 'OK', `${d.url} answers (HTTP ${p.status}, ${p.ms} ms)`);
    }
  }

  if (o.backupDir) lines.push(await backupAge(o.backupDir, now));
  const worst = lines.reduce<Level>((w, l) => (RANK[l.level] > RANK[w] ? l.level : w), 'OK');
  return { host: os.hostname(), at: now, lines, worst };
}

type Add = (check: string, level: Level, detail: string, fix?: string) => void;

async function databaseChecks(db: Queryable, o: DoctorOptions, now: Date, add: Add) {
  const pending = await pendingMigrations(db);
  if (pending.length)
    add(
      'migrations',
      'FAIL',
      `${pending.length} pending: ${pending.map((m) => m.name).join(', ')}`,
      'fitsstore db migrate --rehearse',
    );
  else add('migrations', 'OK', 'schema up to date');

  const params = await getParams(db);
  const expected: QueueName[] =
    o.config.role === 'summit'
      ? ['ingest', ...(o.config.export.destinations.length ? ['export' as const] : [])]
      : ['ingest', 'preview', 'calcache'];
  const w = {
    rows: await listWorkers(db, { deadSeconds: params.dead_worker_seconds, pidAlive: o.pidAlive }),
  };
  const backlog = o.backlogSeconds ?? 3600;
  for (const q of Object.values(QUEUES)) {
    const h = await queueHealth(db, q);
    const live = w.rows.filter((x) => x.queue === q.name && x.alive).map((x) => x.name);
    const gone = w.rows.filter((x) => x.queue === q.name && !x.alive).map((x) => `${x.name} (${x.reason})`);
    if (live.length) add(`workers ${q.name}`, 'OK', `${live.length} alive: ${live.join(', ')}`);
    else if (h.pending > 0)
      add(
        `workers ${q.name}`,
        'FAIL',
        `${h.pending} items waiting and no live ${q.name} worker`,
        `sudo systemctl start ${SERVICE[q.name]}`,
      );
    else if (expected.includes(q.name))
      add(`workers ${q.name}`, 'WARN', `no live ${q.name} worker`, `sudo systemctl start ${SERVICE[q.name]}`);
    if (gone.length)
      add(
        `workers ${q.name}`,
        'WARN',
        `dead: ${gone.join(', ')}`,
        `fitsstore queue forget-worker   (releases what they held; then sudo systemctl status ${SERVICE[q.name]})`,
      );

    const dead = h.in_progress.filter(
      (r) => !holderState(r, params.dead_worker_seconds, now.getTime()).alive,
    );
    if (dead.length)
      add(
        `queue ${q.name}`,
        'WARN',
        `${dead.length} items held by dead workers`,
        `fitsstore queue release --queue ${q.name}`,
      );
    if (h.failed)
      add(
        `queue ${q.name}`,
        'WARN',
        `${h.failed} failed items`,
        `fitsstore queue errors --queue ${q.name}; then fitsstore queue retry --queue ${q.name}`,
      );
    const oldest = h.oldest_pending ? (now.getTime() - new Date(h.oldest_pending).getTime()) / 1000 : 0;
    if (oldest > backlog)
      add(
        `queue ${q.name}`,
        'WARN',
        `${h.pending} pending, oldest waiting ${Math.round(oldest / 60)} min`,
        `fitsstore queue status`,
      );
    else if (!dead.length && !h.failed)
      add(`queue ${q.name}`, 'OK', `${h.pending} pending, ${h.in_progress.length} in progress`);
  }

  const since = new Date(now.getTime() - 86_400_000);
  const errs = await recentErrorCounts(db, since);
  const total = Object.values(errs).reduce((a, b) => a + b, 0);
  if (total)
    add(
      'queue errors 24h',
      'WARN',
      Object.entries(errs)
        .map(([q, n]) => `${q} ${n}`)
        .join(', '),
      'fitsstore queue errors --since 24h',
    );
  else add('queue errors 24h', 'OK', 'none');
  const u = await db.query(
    `SELECT count(*) AS n, min(uri) AS example FROM usagelog WHERE utdatetime >= $1 AND status >= 500`,
    [since],
  );
  const n = Number(u.rows[0].n);
  if (n)
    add(
      'server errors 24h',
      'WARN',
      `${n} requests answered 5xx (e.g. ${u.rows[0].example})`,
      'look in the fitsstore-server log',
    );
  else add('server errors 24h', 'OK', 'no 5xx answers in usagelog');
}

async function backupAge(dir: string, now: Date): Promise<DoctorLine> {
  let newest: { name: string; mtime: Date } | null = null;
  try {
    for (const n of await readdir(dir)) {
      if (!BACKUP_RE.test(n)) continue;
      const s = await stat(path.join(dir, n));
      if (!newest || s.mtime > newest.mtime) newest = { name: n, mtime: s.mtime };
    }
  } catch {
    /* no directory: no backups */
  }
  if (!newest)
    return {
      check: 'backups',
      level: 'WARN',
      detail: `no database backups in ${dir}`,
      fix: 'fitsstore db backup (and the nightly cron line)',
    };
  const hours = (now.getTime() - newest.mtime.getTime()) / 3_600_000;
  return hours > 36
    ? {
        check: 'backups',
        level: 'WARN',
        detail: `newest backup ${newest.name} is ${Math.round(hours)} h old`,
        fix: 'check the nightly `fitsstore db backup` cron line',
      }
    : { check: 'backups', level: 'OK', detail: `newest ${newest.name} (${Math.round(hours)} h old)` };
}

function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout;
  return Promise.race([
    p,
    new Promise<never>(
      (_, reject) => (timer = setTimeout(() => reject(new Error(`${what}: no answer within ${ms} ms`)), ms)),
    ),
  ]).finally(() => clearTimeout(timer));
}

export function formatReport(r: DoctorReport): string {
  const w = Math.max(...r.lines.map((l) => l.check.length), 8);
  const body = r.lines
    .map(
      (l) =>
        `${l.level.padEnd(4)} ${l.check.padEnd(w)}  ${l.detail}${l.fix ? `\n${' '.repeat(w + 7)}fix: ${l.fix}` : ''}`,
    )
    .join('\n');
  return `fitsstore doctor on ${r.host} at ${r.at.toISOString()}: ${r.worst}\n${body}\n`;
}

/** Mails the report to config.mail.admin (the nightly cron job, as CRDS's nightly mail does). */
export async function mailReport(config: Config, r: DoctorReport): Promise<void> {
  if (!config.mail.admin)
    throw new Error('mail.admin is not set in the configuration: nobody to send the report to');
  const transport = nodemailer.createTransport({
    host: config.mail.smtp_host,
    port: config.mail.smtp_port,
    secure: config.mail.smtp_port === 465,
  });
  const counts = (['FAIL', 'WARN'] as const)
    .map((l) => `${r.lines.filter((x) => x.level === l).length} ${l}`)
    .join(', ');
  await transport.sendMail({
    from: config.mail.from,
    to: config.mail.admin,
    replyTo: config.mail.reply_to,
    subject: `fitsstore doctor ${r.host}: ${r.worst} (${counts})`,
    text: formatReport(r),
  });
  transport.close();
}
