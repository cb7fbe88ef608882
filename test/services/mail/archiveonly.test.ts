import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { smtpMailer } from '../../../src/services/mail/mailer.js';
import { insertNotification } from '../../../src/services/mail/notificationsql.js';
import { youGotData } from '../../../src/services/mail/yougotdata.js';
import { runCli, writeConfig } from '../../helpers/cli.js';
import { createTestDb, type TestDb } from '../../helpers/db.js';
import { quietLog, tempDir, testConfig } from '../../helpers/env.js';
import { startSmtp, type TestSmtp } from './smtp.js';

// New-data mails only for files the archive serves: a summit without mail.archive_url refuses to
// send (it once mailed PIs about files no archive had); with one, only what the archive reports
// present is mailed.

let t: TestDb;
let tmp: ReturnType<typeof tempDir>;
let smtp: TestSmtp;

beforeAll(async () => {
  t = await createTestDb('mail_archiveonly');
  tmp = tempDir('archiveonly');
  smtp = await startSmtp();
  await insertNotification(t.db, {
    label: 'Auto - GN-2025A-Q-105',
    selection: 'GN-2025A-Q-105/science',
    piemail: 'erin@uni.example',
    ngoemail: null,
    csemail: 'cs@gemini.example',
    internal: false,
  });
});
afterAll(async () => {
  await smtp?.close();
  await t?.drop();
  tmp?.cleanup();
});

describe('you-got-data-email on a summit', { timeout: 120_000 }, () => {
  it('without mail.archive_url: refuses to send (exit 2, saying why); --check runs and says why', async () => {
    const file = writeConfig(tmp.dir, {
      role: 'summit',
      database: { url: t.url },
      paths: { var_dir: tmp.dir, log_dir: path.join(tmp.dir, 'logs'), lock_dir: path.join(tmp.dir, 'lock') },
      mail: { smtp_host: '127.0.0.1', smtp_port: smtp.port },
    });
    const r = await runCli(['you-got-data-email', '--date', '20250101'], { config: file });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(
      /mail.archive_url is not set: new-data mails list only files the archive reports present/,
    );
    const check = await runCli(['you-got-data-email', '--check', '--date', '20250101'], { config: file });
    expect(check.code).toBe(0);
    expect(check.stderr).toMatch(
      /new-data mails \(without --check\) are refused here: mail.archive_url is not set/,
    );
    expect(smtp.received).toHaveLength(0);
  });

  it('with mail.archive_url: mails only the files the archive reports present', async () => {
    const archive = http.createServer((_req, res) => {
      res.setHeader('content-type', 'application/json');
      res.end(
        JSON.stringify([
          { name: 'N20250101S0001.fits', data_label: 'GN-2025A-Q-105-1-001', present: true },
          { name: 'N20250101S0002.fits', data_label: 'GN-2025A-Q-105-1-002', present: false },
        ]),
      );
    });
    await new Promise<void>((r) => archive.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(archive.address() as AddressInfo).port}`;
    const config = testConfig(tmp.dir, {
      role: 'summit',
      mail: { smtp_host: '127.0.0.1', smtp_port: smtp.port, archive_url: url },
    });
    const mailer = smtpMailer(config.mail, 5000);
    try {
      const r = await youGotData(
        { db: t.db, config, log: quietLog, mailer, retry: { delaysMs: [50] } },
        { date: '20250101' },
      );
      expect(r.mails).toHaveLength(1);
      expect(r.mails[0].files).toBe(1);
      expect(smtp.received[0].body).toContain('N20250101S0001.fits');
      expect(smtp.received[0].body).not.toContain('N20250101S0002.fits');
    } finally {
      mailer.close();
      archive.close();
    }
  });
});
