import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, writeConfig } from '../helpers/cli.js';
import { createTestDb, type TestDb } from '../helpers/db.js';
import { tempDir } from '../helpers/env.js';

// The command line and the configuration, tried with bad input: errors name the key or option
// and the reason, exit 2, never print a secret and never reach the database with nonsense.

let t: TestDb;
let tmp: ReturnType<typeof tempDir>;
const SECRETS = ['pg-Passw0rd', 'AKIAEXAMPLEKEY', 'wJalrXUtnFEMI/K7MDENG', 'upl0ad-secret', 'magic-c00kie'];

function config(extra: Record<string, any> = {}) {
  return writeConfig(tmp.dir, {
    role: 'archive',
    database: { url: t.url },
    paths: {
      var_dir: tmp.dir,
      storage_root: path.join(tmp.dir, 'store'),
      log_dir: path.join(tmp.dir, 'logs'),
      lock_dir: path.join(tmp.dir, 'lock'),
    },
    ...extra,
  });
}

beforeAll(async () => {
  t = await createTestDb('sec_cli');
  tmp = tempDir('sec_cli');
});
afterAll(async () => {
  await t?.drop();
  tmp?.cleanup();
});

describe('configuration errors', () => {
  it('an unknown key is named with its path; no secret of the file is printed', async () => {
    const file = config({
      database: { url: `postgres://archive:${SECRETS[0]}@db.example/archive` },
      storage: { type: 's3', s3: { bucket: 'b', access_key_id: SECRETS[1], secret_access_key: SECRETS[2] } },
      server: { upload_auth: SECRETS[3], magic_download_cookie: SECRETS[4], port: 'eighty' },
      surprise: { password: 'x' },
    });
    const r = await runCli(['queue', 'status'], { config: file });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/surprise: unknown key|unknown key.*surprise/);
    expect(r.stderr).toMatch(/server\.port: .*\(got "eighty"\)/);
    expect(r.stderr).toContain(file);
    for (const secret of SECRETS) expect(r.stderr + r.stdout).not.toContain(secret);
  });

  it('a malformed file says where, not what (the text around may be a password)', async () => {
    const file = path.join(tmp.dir, 'broken.json');
    (await import('node:fs')).writeFileSync(
      file,
      `{"database": {"url": "postgres://u:${SECRETS[0]}@h/db",}}`,
    );
    const r = await runCli(['queue', 'status'], { config: file });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/not valid JSON at line 1, column \d+/);
    expect(r.stderr).not.toContain(SECRETS[0]);
  });
});

describe('numeric options', () => {
  for (const args of [
    ['queue', 'list', '--limit', '-1'],
    ['queue', 'list', '--limit', '12abc'],
    ['queue', 'errors', '--limit', '0'],
    ['params', 'history', '--limit', 'lots'],
    ['doctor', '--timeout', '1e999'],
    ['service-queue', 'ingest', '--workers', '0'],
    ['fitsheader', 'x.fits', '--hdu', '-2'],
  ]) {
    it(`${args.join(' ')}: a clear message and exit 2, before any database error`, async () => {
      const r = await runCli(args, { config: config() });
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(/argument .* is invalid\. expected/);
      expect(r.stderr).not.toMatch(/syntax error|must not be negative|ECONNREFUSED/);
    });
  }
});

describe('program ids of grants', () => {
  it('user grant refuses a program id outside the Gemini grammar unless --any', async () => {
    const file = config();
    expect((await runCli(['db', 'migrate'], { config: file })).code).toBe(0);
    const add = await runCli(['user', 'add', 'pi', '--password-stdin'], { config: file });
    expect([0, 1, 2]).toContain(add.code); // no stdin password here; the grant below needs a user
    await t.db.query(
      `INSERT INTO archiveuser (username, fullname) VALUES ('pi2', 'P. I.') ON CONFLICT DO NOTHING`,
    );
    const bad = await runCli(['user', 'grant', 'pi2', '--program', "GN-2024A-Q-1'; DROP TABLE x"], {
      config: file,
    });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/not a Gemini program id/);
    const typo = await runCli(['user', 'grant', 'pi2', '--observation', 'GN-2024A-Q-101-'], { config: file });
    expect(typo.code).toBe(2);
    expect((await t.db.query('SELECT count(*)::int AS n FROM userprogram')).rows[0].n).toBe(0);
    const ok = await runCli(['user', 'grant', 'pi2', '--program', 'GN-2024A-Q-101'], { config: file });
    expect(ok.code).toBe(0);
    const any = await runCli(['user', 'grant', 'pi2', '--program', 'VISITOR-PROG-7', '--any'], {
      config: file,
    });
    expect(any.code).toBe(0);
    expect((await t.db.query('SELECT count(*)::int AS n FROM userprogram')).rows[0].n).toBe(2);
  });
});
