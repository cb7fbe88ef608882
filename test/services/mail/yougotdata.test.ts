import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Config } from '../../../src/config/schema.js';
import { insertNotification } from '../../../src/services/mail/notificationsql.js';
import { ingestFile, type IngestDeps } from '../../../src/services/ingest/ingest.js';
import { smtpMailer } from '../../../src/services/mail/mailer.js';
import { sampleFits, type SampleSpec } from '../../../src/gemini/samples.js';
import { youGotData, type YouGotDataResult } from '../../../src/services/mail/yougotdata.js';
import { LocalStorage } from '../../../src/storage/local.js';
import { runCli, writeConfig } from '../../helpers/cli.js';
import { createTestDb, type TestDb } from '../../helpers/db.js';
import { putFile } from '../../helpers/fixtures.js';
import { fixedParams, quietLog, tempDir, testConfig } from '../../helpers/env.js';
import { startSmtp, type TestSmtp } from './smtp.js';

// you-got-data-email against a real SMTP server: who gets which mail for a night's data.

const NIGHT = '20250101';
const ADMIN = 'fitsadmin@gemini.example';
let t: TestDb;
let tmp: ReturnType<typeof tempDir>;
let smtp: TestSmtp;
let config: Config;

// These runs play the archive itself (role archive): the night's files come from this database.
function mailConfig(port: number, extra: Record<string, unknown> = {}) {
  return testConfig(tmp.dir, {
    role: 'archive',
    mail: {
      smtp_host: '127.0.0.1',
      smtp_port: port,
      from: 'fitsdata@gemini.example',
      reply_to: 'helpdesk@gemini.example',
      admin: ADMIN,
      ...extra,
    },
  });
}

async function run(opts: { check?: boolean; date?: string } = {}, cfg = config): Promise<YouGotDataResult> {
  const mailer = smtpMailer(cfg.mail, 5000);
  try {
    return await youGotData(
      { db: t.db, config: cfg, log: quietLog, mailer, retry: { delaysMs: [50, 50] } },
      { date: NIGHT, ...opts },
    );
  } finally {
    mailer.close();
  }
}

const notification = (
  label: string,
  selection: string,
  pi: string | null,
  ngo: string | null,
  cs: string | null,
) => insertNotification(t.db, { label, selection, piemail: pi, ngoemail: ngo, csemail: cs, internal: false });

beforeAll(async () => {
  t = await createTestDb('mail');
  tmp = tempDir('mail');
  smtp = await startSmtp();
  config = mailConfig(smtp.port);
  // The night's data: two files of program 101 (one of them in QA state CHECK), one of 102; 103
  // observed another night.
  const root = config.paths.storage_root;
  const deps: IngestDeps = {
    db: t.db,
    storage: new LocalStorage(root),
    config,
    log: quietLog,
    params: fixedParams(),
  };
  const specs: SampleSpec[] = [
    { serial: 1, programId: 'GN-2025A-Q-101' },
    { serial: 2, programId: 'GN-2025A-Q-101', qa: { rawgemqa: 'CHECK', rawpireq: 'CHECK' } },
    { serial: 3, programId: 'GN-2025A-Q-102', object: 'M 31' },
    { serial: 4, programId: 'GN-2025A-Q-103', date: '20250105' },
  ];
  for (const s of specs) {
    const name = `N${s.date ?? NIGHT}S${String(s.serial).padStart(4, '0')}.fits`;
    putFile(path.join(root, name), sampleFits({ date: NIGHT, ...s }));
    await ingestFile(deps, { filename: name, path: '' });
  }
});
afterAll(async () => {
  await smtp?.close();
  await t?.drop();
  tmp?.cleanup();
});
beforeEach(async () => {
  await t.db.query('TRUNCATE notification, notification_sent RESTART IDENTITY CASCADE');
  smtp.received.length = 0;
  smtp.refuse = false;
});

describe('you-got-data-email', () => {
  it('a night with data for two programs: two mails, To the PI, Cc NGO and CS, Reply-To set, admin copied', async () => {
    await notification(
      'Auto - GN-2025A-Q-101',
      'GN-2025A-Q-101/science',
      'Alice Astronomer <alice@uni.example>',
      'ngo@ngo.example; ngo2@ngo.example',
      'cs@gemini.example',
    );
    await notification(
      'Auto - GN-2025A-Q-102',
      'GN-2025A-Q-102/science',
      ' bob@uni.example  carol@uni.example ',
      null,
      'cs2@gemini.example',
    );
    const r = await run();
    expect(r.problems).toEqual([]);
    expect(smtp.received).toHaveLength(2);
    const [a, b] = [...smtp.received].sort((x, y) =>
      x.header('subject')!.localeCompare(y.header('subject')!),
    );

    expect(a.header('subject')).toBe('New Data for GN-2025A-Q-101/science');
    expect(a.header('to')).toBe('Alice Astronomer <alice@uni.example>');
    expect(a.header('cc')).toBe('ngo@ngo.example, ngo2@ngo.example, cs@gemini.example');
    expect(a.header('reply-to')).toBe('helpdesk@gemini.example');
    expect(a.header('bcc')).toBeUndefined();
    expect(a.rcpt.sort()).toEqual(
      ['alice@uni.example', 'cs@gemini.example', ADMIN, 'ngo2@ngo.example', 'ngo@ngo.example'].sort(),
    );
    expect(a.from).toBe('fitsdata@gemini.example');
    // Text and HTML: both of the night's files of program 101, not the others.
    expect(a.header('content-type')).toMatch(/multipart\/alternative/);
    expect(a.body).toContain('New data has been taken for GN-2025A-Q-101/science');
    expect(a.body).toContain('N20250101S0001.fits');
    expect(a.body).toContain('N20250101S0002.fits');
    expect(a.body).not.toContain('N20250101S0003.fits');
    expect(a.body).toMatch(/<table[^>]*>[\s\S]*<td>N20250101S0001\.fits<\/td>/);

    expect(b.header('subject')).toBe('New Data for GN-2025A-Q-102/science');
    expect(b.header('to')).toBe('bob@uni.example, carol@uni.example');
    expect(b.header('cc')).toBe('cs2@gemini.example');
    expect(b.body).toContain('N20250101S0003.fits');
    expect(b.body).toContain('M 31');
    expect(b.rcpt).toContain(ADMIN);
  });

  it('--check: only the contact scientist hears, and only about files in QA state CHECK', async () => {
    await notification(
      'Auto - GN-2025A-Q-101',
      'GN-2025A-Q-101/science',
      'alice@uni.example',
      'ngo@ngo.example',
      'cs@gemini.example',
    );
    await notification(
      'Auto - GN-2025A-Q-102',
      'GN-2025A-Q-102/science',
      'bob@uni.example',
      null,
      'cs2@gemini.example',
    );
    const r = await run({ check: true });
    expect(r.problems).toEqual([]);
    expect(smtp.received).toHaveLength(1);
    const m = smtp.received[0];
    expect(m.header('subject')).toBe('Data set to CHECK for GN-2025A-Q-101/science');
    expect(m.header('to')).toBe('cs@gemini.example');
    expect(m.header('cc')).toBeUndefined();
    expect(m.rcpt.sort()).toEqual(['cs@gemini.example', ADMIN].sort());
    expect(m.body).toContain('N20250101S0002.fits');
    expect(m.body).not.toContain('N20250101S0001.fits');
  });

  it('no data for the night: no mail', async () => {
    await notification(
      'Auto - GN-2025A-Q-103',
      'GN-2025A-Q-103/science',
      'dan@uni.example',
      null,
      'cs@gemini.example',
    );
    const r = await run();
    expect(r).toMatchObject({ mails: [], problems: [], digest: 'none', failures: 0 });
    expect(smtp.received).toHaveLength(0);
  });

  it('an unrecognised selection: no mail for it, one digest of problems to the admin', async () => {
    await notification('typo', 'GN-2025A-Q-101/sciense', 'alice@uni.example', null, null);
    await notification(
      'Auto - GN-2025A-Q-102',
      'GN-2025A-Q-102/science',
      'bob@uni.example, not-an-address',
      null,
      'cs2@gemini.example',
    );
    const r = await run();
    expect(r.problems.map((p) => p.label)).toEqual(['typo', 'Auto - GN-2025A-Q-102']);
    expect(r.digest).toBe('sent');
    // The good notification is still mailed, to its readable addresses.
    const subjects = smtp.received.map((m) => m.header('subject'));
    expect(subjects.filter((s) => s?.startsWith('New Data'))).toEqual([
      'New Data for GN-2025A-Q-102/science',
    ]);
    expect(smtp.received.find((m) => m.header('subject')?.startsWith('New Data'))!.header('to')).toBe(
      'bob@uni.example',
    );
    const digests = smtp.received.filter((m) => m.header('subject')?.startsWith('Problems'));
    expect(digests).toHaveLength(1);
    expect(digests[0].rcpt).toEqual([ADMIN]);
    expect(digests[0].body).toContain('sciense');
    expect(digests[0].body).toContain('not-an-address');
  });

  it('re-running the same night sends nothing new', async () => {
    await notification(
      'Auto - GN-2025A-Q-101',
      'GN-2025A-Q-101/science',
      'alice@uni.example',
      null,
      'cs@gemini.example',
    );
    await notification('typo', 'GN-2025A-Q-101/sciense', 'alice@uni.example', null, null);
    await run();
    await run({ check: true });
    const first = smtp.received.length;
    expect(first).toBe(4); // new data and its digest, the CHECK mail and its digest
    const again = await run();
    const againCheck = await run({ check: true });
    expect(smtp.received).toHaveLength(first);
    expect(again.mails.map((m) => m.status)).toEqual(['already-sent']);
    expect(again.digest).toBe('already-sent');
    expect(againCheck.mails.map((m) => m.status)).toEqual(['already-sent']);
    const sent = await t.db.query(`SELECT kind, status FROM notification_sent ORDER BY id`);
    expect(sent.rows).toEqual([
      { kind: 'newdata', status: 'sent' },
      { kind: 'digest', status: 'sent' },
      { kind: 'check', status: 'sent' },
      { kind: 'digest', status: 'sent' },
    ]);
  });

  it('asks the archive for the night when mail.archive_url is set', async () => {
    const asked: string[] = [];
    const archive = http.createServer((req, res) => {
      asked.push(req.url!);
      res.setHeader('content-type', 'application/json');
      res.end(
        JSON.stringify([
          {
            name: 'N20250101S0099.fits',
            filename: 'N20250101S0099.fits.bz2',
            data_label: 'GN-2025A-Q-105-1-001',
            object: 'Vega',
            qa_state: 'Pass',
          },
        ]),
      );
    });
    await new Promise<void>((r) => archive.listen(0, '127.0.0.1', r));
    try {
      const url = `http://127.0.0.1:${(archive.address() as AddressInfo).port}`;
      await notification('Auto - GN-2025A-Q-105', 'GN-2025A-Q-105/science', 'erin@uni.example', null, null);
      const r = await run({}, mailConfig(smtp.port, { archive_url: url }));
      expect(asked).toEqual(['/jsonsummary/GN-2025A-Q-105/science/20250101']);
      expect(r.mails).toHaveLength(1);
      expect(smtp.received[0].body).toContain('N20250101S0099.fits');
      expect(smtp.received[0].body).toContain(`${url}/searchform/GN-2025A-Q-105/science/20250101`);
    } finally {
      archive.close();
    }
  });
});

describe('you-got-data-email when the SMTP relay is down', () => {
  it('retries, then reports and exits non-zero; the next run delivers', async () => {
    await notification(
      'Auto - GN-2025A-Q-101',
      'GN-2025A-Q-101/science',
      'alice@uni.example',
      null,
      'cs@gemini.example',
    );
    smtp.refuse = true;
    const connectionsBefore = smtp.connections;
    const file = writeConfig(tmp.dir, {
      role: 'archive',
      database: { url: t.url },
      paths: {
        var_dir: tmp.dir,
        log_dir: path.join(tmp.dir, 'logs'),
        lock_dir: path.join(tmp.dir, 'lock'),
        storage_root: config.paths.storage_root,
      },
      mail: { smtp_host: '127.0.0.1', smtp_port: smtp.port, from: 'fitsdata@gemini.example', admin: ADMIN },
    });
    const out = await runCli(['you-got-data-email', '--date', NIGHT, '--retry-delays', '0.1,0.1'], {
      config: file,
    });
    expect(out.code, out.stderr).toBe(1);
    expect(out.stderr).toMatch(/could not be sent/);
    // The mail and then the digest: each tried three times.
    expect(smtp.connections - connectionsBefore).toBe(6);
    expect(smtp.received).toHaveLength(0);
    const rows = await t.db.query(`SELECT kind, status, error FROM notification_sent ORDER BY id`);
    expect(rows.rows[0]).toMatchObject({ kind: 'newdata', status: 'failed' });
    expect(rows.rows[0].error).toMatch(/421|try again/i);

    smtp.refuse = false;
    const ok = await runCli(['you-got-data-email', '--date', NIGHT], {
      config: file,
    });
    expect(ok.code).toBe(0);
    expect(smtp.received.map((m) => m.header('subject'))).toContain('New Data for GN-2025A-Q-101/science');
  });
});
