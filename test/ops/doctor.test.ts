import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { SMTPServer } from 'smtp-server';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { backupName } from '../../src/ops/backup-retention.js';
import { doctor, formatReport, mailReport, type DoctorReport } from '../../src/ops/doctor.js';
import { createTestDb, type TestDb } from '../helpers/db.js';
import { tempDir, testConfig } from '../helpers/env.js';
import { ago, liveWorker, queueError, queueRows, workerRow } from '../helpers/fixtures.js';

let t: TestDb;
let tmp: ReturnType<typeof tempDir>;
let server: http.Server;
let dest: string;
let smtp: SMTPServer;
let smtpPort: number;
const mails: { to: string; body: string }[] = [];

beforeAll(async () => {
  t = await createTestDb('ops_doctor');
  tmp = tempDir('doctor');
  server = http.createServer((_req, res) => res.end('[]'));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  dest = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  smtp = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    onData(stream, session, cb) {
      let body = '';
      stream.on('data', (b) => (body += b));
      stream.on('end', () => {
        mails.push({ to: session.envelope.rcptTo.map((r) => r.address).join(','), body });
        cb();
      });
    },
  });
  await new Promise<void>((r) => smtp.listen(0, '127.0.0.1', r));
  smtpPort = (smtp.server.address() as AddressInfo).port;
});
afterAll(async () => {
  await t?.drop();
  tmp?.cleanup();
  await new Promise((r) => server?.close(r));
  await new Promise((r) => smtp?.close(() => r(null)));
});
beforeEach(async () => {
  await t.db.query('TRUNCATE ingestqueue, exportqueue, queue_error, queue_worker, usagelog CASCADE');
  rmSync(tmp.dir, { recursive: true, force: true });
  for (const d of ['dhs', 'dataflow', 'logs', 'lock', 'backups'])
    mkdirSync(path.join(tmp.dir, d), { recursive: true });
});

const config = (extra: Record<string, any> = {}) =>
  testConfig(tmp.dir, {
    role: 'summit',
    database: { url: t.url },
    export: { destinations: [{ url: dest, upload_auth: 'secret' }] },
    mail: { smtp_host: '127.0.0.1', smtp_port: smtpPort, admin: 'ops@example.org', from: 'fits@example.org' },
    ...extra,
  });
const connect = async () => ({ db: t.db, close: async () => {} });
const line = (r: DoctorReport, check: string) => r.lines.filter((l) => l.check === check);

async function healthy() {
  writeFileSync(path.join(tmp.dir, 'lock', 'copy-from-dhs.lock'), `${process.pid}\n`);
  writeFileSync(path.join(tmp.dir, 'lock', 'service-queue-ingest-siq1.lock'), `${process.pid}\n`);
  writeFileSync(path.join(tmp.dir, 'backups', backupName('fitsstore', new Date())), 'x');
  for (const q of ['ingest', 'export'] as const) await liveWorker(t.db, q, `${q}@h:${process.pid}`);
}
const run = (o: Partial<Parameters<typeof doctor>[0]> = {}) =>
  doctor({
    config: config(),
    connect,
    warnFreePct: 0,
    failFreePct: 0,
    backupDir: path.join(tmp.dir, 'backups'),
    timeoutMs: 2000,
    ...o,
  });

describe('doctor', () => {
  it('healthy server: every line OK', async () => {
    await healthy();
    const r = await run();
    expect(r.lines.filter((l) => l.level !== 'OK')).toEqual([]);
    expect(r.worst).toBe('OK');
    for (const c of [
      'config',
      'database',
      'migrations',
      'workers ingest',
      'workers export',
      'queue ingest',
      'destination',
      'backups',
      'lock files',
    ]) {
      expect(line(r, c).length, c).toBeGreaterThan(0);
    }
    expect(formatReport(r)).toMatch(/^fitsstore doctor on .*: OK\nOK /);
  });

  it('broken server: stuck queue, dead workers, errors, 500s, stale lock, unreachable destination, missing store', async () => {
    writeFileSync(path.join(tmp.dir, 'lock', 'copy-from-dhs.lock'), '4000000\n');
    rmSync(path.join(tmp.dir, 'dataflow'), { recursive: true });
    await queueRows(t.db, 'ingest', { filename: 'a.fits', added: ago('3 hours') });
    await queueRows(t.db, 'ingest', { filename: 'b.fits', failed: true });
    await queueRows(t.db, 'export', {
      filename: 'c.fits',
      destination: 'x',
      in_progress: true,
      worker: 'seq1@elsewhere:1#0',
      heartbeat_at: ago('1 hour'),
    });
    await workerRow(t.db, {
      name: 'seq1@elsewhere:1',
      queue: 'export',
      host: 'elsewhere',
      pid: 1,
      heartbeat_at: ago('1 hour'),
    });
    await queueError(t.db, 'ingest', { filename: 'b.fits', error: 'bad' });
    await t.db.query(`INSERT INTO usagelog (uri, status) VALUES ('/jsonsummary/today', 500)`);
    const r = await run({
      config: config({ export: { destinations: [{ url: 'http://127.0.0.1:9', upload_auth: 'x' }] } }),
    });
    const levels = (c: string) => line(r, c).map((l) => l.level);
    expect(r.worst).toBe('FAIL');
    expect(
      line(r, 'config').some((l) => l.level === 'FAIL' && /storage_root .* does not exist/.test(l.detail)),
    ).toBe(true);
    expect(levels('workers ingest')).toEqual(['FAIL']);
    expect(line(r, 'workers ingest')[0].fix).toContain('fits-service_ingest_queue1');
    const exportWorkers = line(r, 'workers export');
    expect(exportWorkers.map((l) => l.detail)).toEqual([
      'no live export worker',
      expect.stringMatching(/^dead: seq1@elsewhere:1 \(no heartbeat for 36\d\d s\)$/),
    ]);
    expect(exportWorkers[1].fix).toMatch(/^fitsstore queue forget-worker/);
    expect(line(r, 'queue export')[0]).toMatchObject({
      level: 'WARN',
      fix: 'fitsstore queue release --queue export',
    });
    expect(
      line(r, 'queue ingest')
        .map((l) => l.detail)
        .join(' '),
    ).toMatch(/1 failed items.*oldest waiting 180 min/);
    expect(levels('queue errors 24h')).toEqual(['WARN']);
    expect(line(r, 'server errors 24h')[0].detail).toMatch(/1 requests answered 5xx/);
    expect(levels('destination')).toEqual(['FAIL']);
    expect(line(r, 'lock files').find((l) => l.level === 'WARN')?.detail).toMatch(
      /stale.*copy-from-dhs \(pid 4000000\)/,
    );
    expect(levels('copy-from-dhs')).toEqual(['WARN']);
    expect(levels('backups')).toEqual(['WARN']);
  });

  it('an unreachable database is one FAIL line, and the other checks still run', async () => {
    const r = await run({
      connect: async () => Promise.reject(new Error('connect ECONNREFUSED 127.0.0.1:1')),
    });
    expect(line(r, 'database')).toEqual([
      expect.objectContaining({
        level: 'FAIL',
        detail: expect.stringMatching(/unreachable: connect ECONNREFUSED/),
      }),
    ]);
    expect(line(r, 'destination')[0].level).toBe('OK');
  });

  it('a pending migration is a FAIL naming the rehearsal command', async () => {
    const m = (await t.db.query(`DELETE FROM schema_migrations WHERE number = 4 RETURNING *`)).rows[0];
    try {
      const r = await run();
      expect(line(r, 'migrations')[0]).toMatchObject({
        level: 'FAIL',
        detail: '1 pending: 004_ops.sql',
        fix: 'fitsstore db migrate --rehearse',
      });
    } finally {
      await t.db.query(`INSERT INTO schema_migrations (number, name, applied_at) VALUES ($1, $2, $3)`, [
        m.number,
        m.name,
        m.applied_at,
      ]);
    }
  });

  it('disk thresholds: below the FAIL percentage is a FAIL', async () => {
    const r = await run({ warnFreePct: 101, failFreePct: 101 });
    expect(r.lines.filter((l) => l.check.startsWith('disk')).every((l) => l.level === 'FAIL')).toBe(true);
  });

  it('--email sends the report to mail.admin', async () => {
    await healthy();
    const r = await run();
    mails.length = 0;
    await mailReport(config(), r);
    expect(mails).toHaveLength(1);
    expect(mails[0].to).toBe('ops@example.org');
    expect(mails[0].body).toMatch(/Subject: fitsstore doctor .*: OK \(0 FAIL, 0 WARN\)/);
    expect(mails[0].body).toContain('migrations');
  });
});
