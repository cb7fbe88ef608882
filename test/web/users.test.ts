import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LoginLimiter, SlidingWindowLimiter } from '../../src/server/ratelimit.js';
import { hashPassword, needsRehash, verifyPassword } from '../../src/users/password.js';
import { SESSION_COOKIE, tokenHash } from '../../src/users/sessions.js';
import { CLI_MAIN, nodeArgs, writeConfig } from '../helpers/cli.js';
import { Client } from './client.js';
import { flushed, PI, STAFF, startSite, type Site } from './site.js';

let s: Site;
beforeAll(async () => {
  s = await startSite('web_users', { config: { server: { public_url: 'https://archive.example.org' } } });
});
afterAll(async () => {
  await s?.close();
});

describe('passwords', () => {
  it('are stored as salted scrypt hashes and verified in constant time', async () => {
    const h1 = await hashPassword('hunter2hunter2');
    const h2 = await hashPassword('hunter2hunter2');
    expect(h1).toMatch(/^scrypt\$16384\$8\$1\$[A-Za-z0-9+/=]+\$[A-Za-z0-9+/=]+$/);
    expect(h1).not.toBe(h2); // salted
    expect(await verifyPassword('hunter2hunter2', h1)).toBe(true);
    expect(await verifyPassword('hunter2hunter3', h1)).toBe(false);
    expect(await verifyPassword('anything', null)).toBe(false);
    expect(await verifyPassword('anything', 'plain-text-in-the-column')).toBe(false);
    expect(needsRehash(h1)).toBe(false);
    expect(needsRehash('scrypt$1024$8$1$c2FsdA==$a2V5')).toBe(true);
  });

  it('never appear in clear in the database, the usage log or the server log', async () => {
    const c = new Client(s.url);
    const r = await c.login(STAFF.username, STAFF.password);
    expect(r.status).toBe(303);
    const bad = new Client(s.url);
    await bad.login(PI.username, 'a-wrong-password-xyz');
    await flushed(s);
    const users = await s.t.db.query('SELECT password FROM archiveuser');
    expect(users.rows.map((u) => u.password)).toEqual([
      expect.stringMatching(/^scrypt\$/),
      expect.stringMatching(/^scrypt\$/),
    ]); // the staff member and the PI
    const dump = await s.t.db.query(
      `SELECT string_agg(t::text, ' ') AS all FROM (
         SELECT u::text AS t FROM usagelog u UNION ALL SELECT a::text FROM archiveuser a
         UNION ALL SELECT q::text FROM querylog q UNION ALL SELECT x::text FROM usersession x) z`,
    );
    // Both logins are in the usage log, so "not in the dump" is about rows that are there.
    expect(dump.rows[0].all.match(/,POST,\/login,login,/g)).toHaveLength(2);
    expect(dump.rows[0].all).not.toContain(STAFF.password);
    expect(dump.rows[0].all).not.toContain('a-wrong-password-xyz');
    const logs = s.logLines.join('');
    expect(logs).toContain('login'); // the log did see the logins...
    expect(logs).not.toContain(STAFF.password); // ...but not their passwords
    expect(logs).not.toContain('a-wrong-password-xyz');
  });
});

describe('sessions', () => {
  it('cookie is HttpOnly, SameSite=Lax, Secure behind https; the database holds only its hash', async () => {
    const c = new Client(s.url);
    await c.login(STAFF.username, STAFF.password);
    const set = c.setCookies.find((x) => x.startsWith(`${SESSION_COOKIE}=`))!;
    expect(set).toMatch(/HttpOnly/i);
    expect(set).toMatch(/SameSite=Lax/i);
    expect(set).toMatch(/Secure/i); // public_url is https
    expect(set).toMatch(/Path=\//);
    const token = c.cookies.get(SESSION_COOKIE)!;
    expect(token.length).toBeGreaterThanOrEqual(43); // 256 random bits
    const r = await s.t.db.query('SELECT token_hash FROM usersession WHERE token_hash = $1', [
      tokenHash(token),
    ]);
    expect(r.rowCount).toBe(1);
    const raw = await s.t.db.query('SELECT 1 FROM usersession WHERE token_hash = $1', [token]);
    expect(raw.rowCount).toBe(0);
    // The CSRF cookie is HttpOnly and SameSite too.
    const csrf = c.setCookies.find((x) => x.startsWith('fitsstore_csrf='))!;
    expect(csrf).toMatch(/HttpOnly/i);
    expect(csrf).toMatch(/SameSite=Lax/i);
  });

  it('logout ends the session (the old cookie no longer works)', async () => {
    const c = new Client(s.url);
    await c.login(STAFF.username, STAFF.password);
    const token = c.cookies.get(SESSION_COOKIE)!;
    expect((await c.get('/queuestatus')).status).toBe(200);
    const page = await (await c.get('/searchform')).text();
    const out = await c.post('/logout', { csrf: Client.csrfOf(page) });
    expect(out.status).toBe(303);
    expect(c.cookies.has(SESSION_COOKIE)).toBe(false);
    const replay = await fetch(`${s.url}/queuestatus`, {
      headers: { cookie: `${SESSION_COOKIE}=${token}` },
      redirect: 'manual',
    });
    expect(replay.status).toBe(303);
    expect(replay.headers.get('location')).toMatch(/^\/login\?next=/);
  });

  it('a new login gets a new token (no session fixation)', async () => {
    const c = new Client(s.url);
    c.cookies.set(SESSION_COOKIE, 'attacker-chosen-value-aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa');
    await c.login(STAFF.username, STAFF.password);
    expect(c.cookies.get(SESSION_COOKIE)).not.toBe('attacker-chosen-value-aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa');
    expect((await c.get('/queuestatus')).status).toBe(200);
  });

  it('only redirects to local paths after login', async () => {
    const c = new Client(s.url);
    const page = await (await c.get('/login')).text();
    const r = await c.post('/login', { csrf: Client.csrfOf(page), ...STAFF, next: '//evil.example/x' });
    expect(r.headers.get('location')).toBe('/searchform');
  });
});

describe('CSRF', () => {
  it('a login or logout without the form token is refused', async () => {
    const c = new Client(s.url);
    await c.get('/login'); // has the cookie, but posts no token
    expect((await c.post('/login', { ...STAFF })).status).toBe(403);
    expect((await c.post('/login', { ...STAFF, csrf: 'forged-forged-forged-forged-forged' })).status).toBe(
      403,
    );
    expect(c.cookies.has(SESSION_COOKIE)).toBe(false);
    await c.login(STAFF.username, STAFF.password);
    expect((await c.post('/logout', {})).status).toBe(403);
    expect((await c.get('/queuestatus')).status).toBe(200); // still logged in
  });

  it('the download form needs its token too', async () => {
    const c = new Client(s.url);
    expect((await c.post('/download/', { files: 'N20240101S0001.fits' })).status).toBe(403);
  });
});

describe('login rate limit', () => {
  it('sliding window: refuses past the limit, frees one attempt as each old one ages out', () => {
    let now = 0;
    const l = new SlidingWindowLimiter(3, 1000, 100, () => now);
    for (let i = 0; i < 3; i++) {
      expect(l.check('k').allowed).toBe(true);
      l.hit('k');
      now += 100;
    }
    expect(l.check('k')).toEqual({ allowed: false, retryAfter: 1 });
    now = 1001; // the first hit (t=0) has left the window
    expect(l.check('k').allowed).toBe(true);
    l.reset('k');
    expect(l.check('k').allowed).toBe(true);
  });

  it('keeps a bounded number of keys', () => {
    const l = new SlidingWindowLimiter(1, 60_000, 10);
    for (let i = 0; i < 100; i++) l.hit(`k${i}`);
    expect(l.check('k99').allowed).toBe(false);
    expect(l.check('k0').allowed).toBe(true); // forgotten: oldest first
  });

  it('the sixth failed login of one account from one address gets 429, even with the right password', async () => {
    const local = await startSite('web_ratelimit', {
      // A clock that stands still: the whole 15-minute window is left when the sixth try comes.
      site: { limiter: new LoginLimiter({ perAccount: 5, perIp: 100, now: () => Date.UTC(2025, 0, 1) }) },
    });
    try {
      const c = new Client(local.url);
      for (let i = 0; i < 5; i++)
        expect((await c.login(PI.username, `wrong-${i}-password`)).status).toBe(401);
      const r = await c.login(PI.username, PI.password);
      expect(r.status).toBe(429);
      expect(r.headers.get('retry-after')).toBe('900');
      // Another account from the same address is not locked by these.
      expect((await new Client(local.url).login(STAFF.username, STAFF.password)).status).toBe(303);
    } finally {
      await local.close();
    }
  });
});

describe('fitsstore user', () => {
  const ROOT = fileURLToPath(new URL('../../', import.meta.url));
  function run(args: string[], stdin: string): Promise<{ code: number | null; out: string }> {
    const config = writeConfig(s.tmp.dir, {
      database: { url: s.t.url },
      paths: { var_dir: s.tmp.dir, log_dir: path.join(s.tmp.dir, 'logs') },
    });
    return new Promise((resolve) => {
      const child = spawn(process.execPath, [...nodeArgs(CLI_MAIN), ...args], {
        cwd: ROOT,
        env: { ...process.env, FITSSTORE_CONFIG: config },
        stdio: ['pipe', 'pipe', 'pipe'],
      });
      let out = '';
      child.stdout.on('data', (d) => (out += d));
      child.stderr.on('data', (d) => (out += d));
      child.stdin.end(stdin);
      child.on('close', (code) => resolve({ code, out }));
    });
  }

  it('add, passwd and grant: the password comes from stdin, is hashed, and works for login', async () => {
    let r = await run(
      ['user', 'add', 'newpi', '--fullname', 'New PI', '--password-stdin'],
      'first-password-1\n',
    );
    expect(r.out).toMatch(/created user newpi/);
    expect(r.code).toBe(0);
    r = await run(['user', 'add', 'newpi', '--password-stdin'], 'another-password\n');
    expect(r.code).toBe(2);
    expect(r.out).toMatch(/already exists/);
    r = await run(['user', 'add', 'shortpw', '--password-stdin'], 'short\n');
    expect(r.code).toBe(2);
    r = await run(['user', 'passwd', 'newpi', '--password-stdin'], 'second-password-2\n');
    expect(r.code).toBe(0);
    r = await run(
      ['user', 'grant', 'newpi', '--program', 'GN-2024A-Q-101', '--file', 'N20240305S0011.fits.bz2'],
      '',
    );
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/program GN-2024A-Q-101 granted/);
    r = await run(['user', 'grant', 'newpi', '--program', 'GN-2024A-Q-101'], '');
    expect(r.out).toMatch(/already granted/);
    const g = await s.t.db.query(
      `SELECT p.program_id, p.filename FROM userprogram p JOIN archiveuser u ON u.id = p.user_id WHERE u.username = 'newpi' ORDER BY p.id`,
    );
    expect(g.rows).toEqual([
      { program_id: 'GN-2024A-Q-101', filename: null },
      { program_id: null, filename: 'N20240305S0011.fits' },
    ]);
    const stored = await s.t.db.query(`SELECT password FROM archiveuser WHERE username = 'newpi'`);
    expect(stored.rows[0].password).toMatch(/^scrypt\$/);
    expect(stored.rows[0].password).not.toContain('second-password-2');
    expect((await new Client(s.url).login('newpi', 'first-password-1')).status).toBe(401);
    expect((await new Client(s.url).login('newpi', 'second-password-2')).status).toBe(303);
    r = await run(['user', 'list'], '');
    expect(r.out).toMatch(/newpi/);
  }, 120_000);
});
