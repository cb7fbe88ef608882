import http from 'node:http';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildServer } from '../../src/server/app.js';
import { LocalStorage } from '../../src/storage/local.js';
import { quietLog, tempDir, testConfig } from '../helpers/env.js';
import { listen } from '../helpers/server.js';
import { Client } from '../web/client.js';
import { PAST, PI, STAFF, startSite, type Site } from '../web/site.js';

// The web site tried as an outsider would: redirects, text fields that are not text, forged
// forms, Host headers, health checks, SQL metacharacters, cookies, ranges, paths and passwords.
// Each case names what used to go wrong (the list) or what must never.

let s: Site;
let released: string;

beforeAll(async () => {
  s = await startSite('sec_web');
  released = (await s.ingest({ date: '20240501', serial: 1, programId: 'GN-2024A-Q-401', release: PAST }))
    .name;
  // Another night's file: a search that escaped its date would find it.
  await s.ingest({ date: '20240502', serial: 2, programId: 'GN-2024A-Q-402', release: PAST });
});
afterAll(async () => {
  await s?.close();
});

async function loggedIn(who: { username: string; password: string }, next?: string) {
  const c = new Client(s.url);
  const page = await (await c.get('/login')).text();
  const form: Record<string, string> = {
    username: who.username,
    password: who.password,
    csrf: Client.csrfOf(page),
  };
  if (next !== undefined) form.next = next;
  const r = await c.post('/login', form);
  return { c, r };
}

/** A raw request: the URL and headers go out exactly as written (fetch would normalise them). */
function raw(path: string, headers: Record<string, string> = {}, method = 'GET', body?: Buffer | string) {
  const u = new URL(s.url);
  return new Promise<{ status: number; body: string; headers: http.IncomingHttpHeaders }>(
    (resolve, reject) => {
      // A fresh connection each time: one the server closed (431, 400) must not be reused.
      const req = http.request({ host: u.hostname, port: u.port, path, method, headers, agent: false });
      req.on('response', (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c) => chunks.push(c));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            body: Buffer.concat(chunks).toString('latin1'),
            headers: res.headers,
          }),
        );
      });
      req.on('error', reject);
      req.end(body);
    },
  );
}

describe('login and logout redirects (next=)', () => {
  const origin = () => new URL(s.url).origin;
  for (const next of [
    'https://evil.example/',
    '//evil.example/',
    '/\\evil.example/',
    '\\\\evil.example/',
    '/\t/evil.example/',
    ' //evil.example/',
    '/\n/evil.example/',
    '/.//evil.example/',
    'javascript:alert(1)',
    '/searchform\r\nSet-Cookie: injected=1',
  ]) {
    it(`stay on this site however the target is written: ${JSON.stringify(next)}`, async () => {
      const { r } = await loggedIn(PI, next);
      expect(r.status).toBe(303);
      const location = r.headers.get('location')!;
      expect(location.startsWith('/') && !location.startsWith('//')).toBe(true);
      expect(location).not.toMatch(/[\\\s]/);
      // As a browser would read it:
      expect(new URL(location, s.url).origin).toBe(origin());
      expect(r.headers.getSetCookie().join('\n')).not.toContain('injected');
    });
  }

  it('a local target is kept, query included', async () => {
    const { r } = await loggedIn(PI, '/summary/20240501?orderby=filename');
    expect(r.headers.get('location')).toBe('/summary/20240501?orderby=filename');
  });
});

describe('text fields that are not text', () => {
  it('a NUL byte in a form or query field is 400 with a message, not 500', async () => {
    const login = new Client(s.url);
    const page = await (await login.get('/login')).text();
    const r = await login.post('/login', { username: 'a\u0000b', password: 'x', csrf: Client.csrfOf(page) });
    expect(r.status).toBe(400);
    expect(await r.text()).toMatch(/NUL/);
    const { c: staff } = await loggedIn(STAFF);
    for (const path of [
      '/download/20240501/object=a%00b',
      '/searchform/object=a%00b',
      '/usagereport?username=a%00b',
      '/file/N20240501S0001.fits%00.txt',
      '/jsonsummary/20240501/filter=%00',
    ]) {
      const res = await staff.get(path);
      expect(res.status, path).toBe(400);
      expect(await res.text(), path).toMatch(/NUL byte/);
    }
    const note = await staff.post('/notification', {
      action: 'add',
      label: 'x\u0000',
      selection: 'GN-2024A-Q-1',
    });
    expect(note.status).toBe(400);
  });

  it('malformed UTF-8 or percent-encoding is 400 with a message', async () => {
    for (const path of [
      '/searchform/object=%C3%28',
      '/jsonsummary/object=%FF',
      '/summary/%E0%A4',
      '/login?next=%',
    ]) {
      const res = await raw(path);
      expect(res.status, path).toBe(400);
      expect(res.body, path).toMatch(/UTF-8|percent-encoding/);
    }
    const form = await raw(
      '/login',
      { 'content-type': 'application/x-www-form-urlencoded' },
      'POST',
      'username=%FF&password=x',
    );
    expect(form.status).toBe(400);
  });
});

describe('forms that change things carry a CSRF token', () => {
  it('the notification form: a POST without the page token is refused, with it accepted', async () => {
    const { c } = await loggedIn(STAFF);
    const forged = await c.post('/notification', {
      action: 'add',
      label: 'forged',
      selection: 'GN-2024A-Q-1',
    });
    expect(forged.status).toBe(403);
    const page = await (await c.get('/notification')).text();
    const ok = await c.post('/notification', {
      action: 'add',
      label: 'real',
      selection: 'GN-2024A-Q-1',
      csrf: Client.csrfOf(page),
    });
    expect(ok.status).toBe(303);
    const labels = (await s.t.db.query('SELECT label FROM notification')).rows.map((r) => r.label);
    expect(labels).toEqual(['real']);
  });

  it('every POST form on the pages carries the token', async () => {
    const { c } = await loggedIn(STAFF);
    for (const path of ['/login', '/searchform/20240501', '/notification']) {
      const html = await (await c.get(path)).text();
      const forms = [...html.matchAll(/<form\b[^>]*method="post"[^>]*>([\s\S]*?)<\/form>/gi)];
      expect(forms.length, path).toBeGreaterThan(0);
      for (const f of forms) expect(f[1], path).toMatch(/name="csrf"/);
    }
  });
});

describe('Host header and public_url', () => {
  it('without public_url, a request naming another Host is refused, so nothing echoes it', async () => {
    const r = await raw(`/calmgr/${released}`, { host: 'evil.example' });
    expect(r.status).toBe(400);
    expect(r.body).toMatch(/unknown Host/);
    expect(r.body).not.toMatch(/<url>/);
    expect((await raw(`/jsonsummary/20240501`, { host: 'evil.example:80' })).status).toBe(400);
    expect((await raw(`/jsonsummary/20240501`)).status).toBe(200); // 127.0.0.1:port
  });

  it('with public_url, URLs the server writes use it whatever the Host says', async () => {
    const tmp = tempDir('sec_public_url');
    const config = testConfig(tmp.dir, {
      role: 'archive',
      server: { public_url: 'https://archive.example.org/' },
    });
    const app = buildServer({
      config,
      db: s.t.db,
      storage: new LocalStorage(config.paths.storage_root),
      log: quietLog,
    });
    try {
      const r = await app.inject({ url: `/jsoncalmgr/${released}`, headers: { host: 'evil.example' } });
      expect(r.statusCode).toBe(200);
      expect(r.body).not.toContain('evil.example');
    } finally {
      await app.close();
      tmp.cleanup();
    }
  });
});

describe('/health', () => {
  it('says not ok without the database error text, and logs the detail', async () => {
    const tmp = tempDir('sec_health');
    const lines: string[] = [];
    const { default: pino } = await import('pino');
    const { Writable } = await import('node:stream');
    const log = pino(
      { level: 'info' },
      new Writable({ write: (c, _e, cb) => (lines.push(String(c)), cb()) }),
    );
    const db = new pg.Pool({ connectionString: 'postgres://archive:s3cret-pw@127.0.0.1:1/archive', max: 1 });
    const config = testConfig(tmp.dir, { role: 'archive' });
    const app = buildServer({ config, db, storage: new LocalStorage(config.paths.storage_root), log });
    try {
      const r = await app.inject('/health');
      expect(r.statusCode).toBe(503);
      expect(r.json()).toEqual({ status: 'not ok' });
      expect(r.body).not.toMatch(/ECONNREFUSED|127\.0\.0\.1|s3cret/);
      expect(lines.join('')).toMatch(/health check failed.*ECONNREFUSED/);
    } finally {
      await app.close();
      await db.end();
      tmp.cleanup();
    }
  });
});

describe('SQL metacharacters', () => {
  const PAYLOADS = [`' OR '1'='1`, `"; DROP TABLE header; --`, `\\`, `%`, `_`, `$1`, `1) OR (1=1`, `*' --`];
  const FIELDS = [
    'object',
    'filter',
    'disperser',
    'camera',
    'focal_plane_mask',
    'binning',
    'gain',
    'readspeed',
    'welldepth',
    'filepre',
    'progid',
    'obsid',
    'datalabel',
    'filename',
    'ra',
    'dec',
    'sr',
    'az',
    'el',
    'crpa',
    'exposure_time',
    'cenwlen',
    'coadds',
    'inst',
    'detector_roi',
    'raw_iq',
    'raw_cc',
    'raw_wv',
    'raw_bg',
    'qa_state',
    'cols',
    'date',
  ];
  it('in every search field: never a 500, never a row from outside the search, and the tables are still there', async () => {
    for (const field of FIELDS) {
      for (const p of PAYLOADS) {
        const path = `/jsonsummary/20240501/${field}=${encodeURIComponent(p)}`;
        const r = await raw(path);
        expect([200, 400], path).toContain(r.status);
        // A value the archive cannot read is ignored with a warning (its behaviour), so at most
        // the night's one file comes back: never the other night's.
        if (r.status === 200)
          for (const e of JSON.parse(r.body) as { name: string }[]) expect(e.name, path).toBe(released);
        const page = await raw(`/searchform/20240501/${field}=${encodeURIComponent(p)}`);
        expect([200, 400], `searchform ${field}=${p}`).toContain(page.status);
      }
    }
    const names = (await s.t.db.query('SELECT filename FROM diskfile ORDER BY filename')).rows.map(
      (r) => r.filename,
    );
    expect(names).toEqual([released, 'N20240502S0002.fits']);
  });

  it('in the sort order and the usage report filters', async () => {
    const { c } = await loggedIn(STAFF);
    for (const p of PAYLOADS) {
      const q = encodeURIComponent(p);
      expect((await c.get(`/searchform/20240501?orderby=${q}`)).status).toBe(200);
      for (const k of ['username', 'ip', 'feature', 'status', 'from', 'to', 'page'])
        expect([200, 400], `${k}=${p}`).toContain((await c.get(`/usagereport?${k}=${q}`)).status);
    }
  });
});

describe('cookies', () => {
  it('oversized cookies are refused before anything runs (431), not a crash', async () => {
    const r = await raw('/searchform', { cookie: `fitsstore_session=${'A'.repeat(20_000)}` });
    expect(r.status).toBe(431);
  });

  it('malformed cookies leave you anonymous', async () => {
    for (const cookie of [
      'fitsstore_session=%%%',
      'fitsstore_session=' + 'x'.repeat(4000),
      'fitsstore_session="unterminated',
      'gemini_fits_authorization=\u00ff\u00fe',
      'fitsstore_csrf=../../etc; fitsstore_session=;;;=;',
      Array.from({ length: 300 }, (_, i) => `c${i}=${i}`).join('; '),
    ]) {
      const r = await raw('/searchform/20240501', {
        cookie: Buffer.from(cookie, 'latin1').toString('latin1'),
      });
      expect(r.status, cookie.slice(0, 40)).toBe(200);
      expect(r.body).toContain('Log in');
    }
  });
});

describe('Range requests', () => {
  it('malformed, huge or many ranges never fail the server nor send more than the file', async () => {
    const size = (await s.site.storage.stat(released))!.size;
    const many = 'bytes=' + Array.from({ length: 500 }, (_, i) => `${i}-${i}`).join(',');
    for (const range of [
      many,
      'bytes=999999999999-',
      'bytes=-0',
      'bytes=abc',
      'bytes=5-1',
      'bytes=0-99999999999999999999',
      'items=0-1',
      'bytes=-99999999999',
    ]) {
      const r = await raw(`/file/${released}`, { range });
      expect([200, 206, 416], range.slice(0, 40)).toContain(r.status);
      expect(Buffer.byteLength(r.body, 'latin1'), range.slice(0, 40)).toBeLessThanOrEqual(size);
    }
  });
});

describe('paths', () => {
  it('traversal in any route that takes a name reaches nothing outside the store', async () => {
    for (const path of [
      '/file/..%2f..%2fetc%2fpasswd',
      '/file/%2e%2e%2f%2e%2e%2fpackage.json',
      '/fullheader/..%2F..%2Fpackage.json',
      '/preview/..%2f..%2fpackage.json',
      '/static/..%2f..%2fpackage.json',
      '/static/../../package.json',
      '/file/....//....//etc/passwd',
      '/upload_file/..%2f..%2fx.fits',
    ]) {
      const r = await raw(path, {}, path.startsWith('/upload_file') ? 'POST' : 'GET');
      expect([400, 403, 404], path).toContain(r.status);
      expect(r.body, path).not.toMatch(/root:x:0|"name": "fitsstore"/);
    }
  });
});

describe('repeated login failure', () => {
  it('is throttled (429 with Retry-After) before passwords are checked, and logged without the password', async () => {
    const c = new Client(s.url);
    let last: Response | null = null;
    for (let i = 0; i < 12; i++) {
      const page = await (await c.get('/login')).text();
      last = await c.post('/login', {
        username: STAFF.username,
        password: `guess-${i}`,
        csrf: Client.csrfOf(page),
      });
      if (last.status === 429) break;
      expect(last.status).toBe(401);
    }
    expect(last!.status).toBe(429);
    expect(Number(last!.headers.get('retry-after'))).toBeGreaterThan(0);
    // Even the right password waits now.
    const page = await (await c.get('/login')).text();
    const right = await c.post('/login', {
      username: STAFF.username,
      password: STAFF.password,
      csrf: Client.csrfOf(page),
    });
    expect(right.status).toBe(429);
    expect(s.logLines.join('')).toMatch(/login failed/);
    expect(s.logLines.join('')).not.toMatch(/guess-\d/);
  });
});
