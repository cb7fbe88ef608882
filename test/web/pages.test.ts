import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { FastifyRequest } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseSelection } from '../../src/gemini/selection/index.js';
import { searchHeaders, searchPageRows } from '../../src/services/archive/search.js';
import { FIELD_NAMES, formTerms, formValues, termsPath } from '../../src/server/search/fields.js';
import { downloadPermit } from '../../src/server/permit.js';
import { SESSION_COOKIE } from '../../src/users/sessions.js';
import { html, raw } from '../../src/server/views/html.js';
import { Client } from './client.js';
import { FUTURE, flushed, grant, PAST, PI, STAFF, startSite, type Site } from './site.js';

// The pages without a browser: what they show, to whom, and what they refuse.

const PUBLIC_PROG = 'GN-2024A-Q-101';
const PROP_PROG = 'GN-2024A-Q-202';
let s: Site;
const files: Record<string, string[]> = { [PUBLIC_PROG]: [], [PROP_PROG]: [] };

beforeAll(async () => {
  s = await startSite('web_pages', { config: { server: { magic_download_cookie: 'magic-cookie-123' } } });
  for (let i = 1; i <= 3; i++) {
    files[PUBLIC_PROG].push(
      (await s.ingest({ date: '20240305', serial: i, programId: PUBLIC_PROG, release: PAST, bz2: i === 1 }))
        .name,
    );
  }
  for (let i = 11; i <= 12; i++) {
    files[PROP_PROG].push(
      (
        await s.ingest({
          date: '20240306',
          serial: i,
          programId: PROP_PROG,
          release: FUTURE,
          object: 'Secret Target',
          // Metadata as proprietary as the data: the Gemini rule withholds the target only then.
          extraCards: [['PROP_MD', true]],
        })
      ).name,
    );
  }
  await grant(s.t.db, PI.username, { program_id: PROP_PROG });
});
afterAll(async () => {
  await s?.close();
});

const anon = () => new Client(s.url);
/** Whitespace-insensitive HTML for matching (templates are laid out for reading). */
const norm = (page: string) => page.replace(/\s+/g, ' ').replace(/>\s+</g, '><');
async function as(user: { username: string; password: string }) {
  const c = new Client(s.url);
  expect((await c.login(user.username, user.password)).status).toBe(303);
  return c;
}

describe('html template', () => {
  it('escapes every interpolation unless it is Html', () => {
    const evil = `<script>alert("x")</script>&'`;
    expect(html`<p title="${evil}">${evil}</p>`.value).toBe(
      '<p title="&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&amp;&#39;">&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&amp;&#39;</p>',
    );
    expect(html`${[html`<b>${'<'}</b>`, '<', raw('<i>')]}${null}${undefined}${false}${0}`.value).toBe(
      '<b>&lt;</b>&lt;<i>0',
    );
  });
});

describe('search form fields ⇄ selection terms', () => {
  it('every field becomes a term and comes back from the parsed selection', () => {
    const f = {
      program: PUBLIC_PROG,
      instrument: 'GMOS-N',
      date: '2024-03-01-2024-03-31',
      datetype: 'night',
      object: 'NGC 10*',
      ra: '150.1',
      dec: '2.2',
      sr: '30',
      obstype: 'OBJECT',
      obsclass: 'science',
      qa: 'Pass',
      mode: 'LS',
      binning: '2x2',
      engineering: 'includeengineering',
      terms: 'filter=r_G0303 canonical',
    };
    const terms = formTerms(f);
    expect(terms).toContain('progid=GN-2024A-Q-101');
    expect(terms).toContain('nightrange=20240301-20240331');
    const back = formValues(parseSelection(termsPath(terms)));
    expect(back).toEqual({ ...f, date: '20240301-20240331', terms: 'canonical filter=r_G0303' });
  });

  it("'/' inside a value stays inside its term", () => {
    const sel = parseSelection(termsPath(formTerms({ object: 'a/b' })));
    expect(sel.object).toBe('a/b');
    expect(sel.unrecognised).toEqual([]);
  });
});

describe('/searchform', () => {
  it('the form submits to a bookmarkable URL of selection terms', async () => {
    const r = await anon().get(`/searchform?program=${PUBLIC_PROG}&qa=&datetype=ut&obstype=OBJECT`);
    expect(r.status).toBe(303);
    expect(r.headers.get('location')).toBe(`/searchform/progid%3D${PUBLIC_PROG}/OBJECT`);
    const empty = await anon().get('/searchform?datetype=ut');
    expect(empty.status).toBe(200); // nothing filled in: the form again
  });

  it('a search by program id lists exactly its files, with data label, UT, instrument, object, type, class, QA', async () => {
    const page = await (await anon().get(`/searchform/${PUBLIC_PROG}`)).text();
    const names = [...page.matchAll(/<th scope="row"><a href="\/fullheader\/([^"]+)">/g)].map((m) =>
      decodeURIComponent(m[1]),
    );
    expect(names.sort()).toEqual([...files[PUBLIC_PROG]].sort());
    expect(page).toMatch(new RegExp(`<td>${PUBLIC_PROG}-\\d+-002</td>`)); // data label
    expect(page).toContain('2024-03-05 10:00:02');
    expect(page).toContain('GMOS-N');
    expect(page).toMatch(/<td>OBJECT<\/td>\s*<td>science<\/td>/);
    expect(page).toContain(`value="${PUBLIC_PROG}"`); // the form shows what was searched
    expect(norm(page)).toContain('<strong>3</strong> files found');
    expect(page).toContain(`href="/download/${PUBLIC_PROG}"`);
    expect(page).toContain('href="/file/N20240305S0001.fits.bz2"'); // the stored (compressed) name
  });

  it('sorts by ?orderby= (asc, then desc), and says when it cannot', async () => {
    const order = async (q: string) => {
      const page = await (await anon().get(`/searchform/${PUBLIC_PROG}${q}`)).text();
      return {
        page,
        names: [...page.matchAll(/<th scope="row"><a href="\/fullheader\/([^"]+)">/g)].map((m) => m[1]),
      };
    };
    const asc = await order('?orderby=filename');
    const desc = await order('?orderby=filename_desc');
    expect(asc.names).toEqual([...files[PUBLIC_PROG]].sort());
    expect(desc.names).toEqual([...asc.names].reverse());
    expect(asc.page).toContain('aria-sort="ascending"');
    expect(asc.page).toContain('href="?orderby=filename_desc"'); // clicking again reverses
    const bad = await order('?orderby=password');
    expect(bad.page).toContain('Cannot sort by &quot;password&quot;');
  });

  it('open queries say they are limited; unrecognised terms are warned about (escaped) and not run', async () => {
    const open = await (await anon().get('/searchform/GMOS-N')).text();
    expect(open).toMatch(/not limited by a program, observation, file name or date/);
    const page = await (await anon().get(`/searchform/${PUBLIC_PROG}/%3Cb%3Ebogus%3C%2Fb%3E`)).text();
    expect(page).toContain(
      'WARNING: I didn&#39;t recognize the following search terms: &lt;b&gt;bogus&lt;/b&gt;',
    );
    expect(page).not.toContain('<b>bogus</b>');
    expect(page).not.toContain('files found');
  });

  it('proprietary rows: anonymous sees no object, preview or download; the PI with a grant and staff do', async () => {
    const a = await (await anon().get(`/searchform/${PROP_PROG}`)).text();
    expect(norm(a)).toContain('<strong>2</strong> files found; 2 of them proprietary');
    expect(a).not.toContain('Secret Target');
    expect(a).not.toContain('href="/file/');
    expect(a).not.toContain('name="files"');
    expect(a).toContain(`proprietary until ${FUTURE}`);
    for (const who of [PI, STAFF]) {
      const p = await (await (await as(who)).get(`/searchform/${PROP_PROG}`)).text();
      expect(p).toContain('Secret Target');
      expect(p).toContain(`href="/file/${files[PROP_PROG][0]}"`);
    }
  });

  it("the page's batch access check agrees with Access.canDownload row by row", async () => {
    const rows = (await searchHeaders(s.t.db, parseSelection('/20240305-20240306'))).rows;
    expect(rows.length).toBe(5);
    for (const who of [null, PI, STAFF]) {
      const c = who ? await as(who) : anon();
      const cookies = Object.fromEntries(c.cookies);
      const req = { cookies, headers: {} } as unknown as FastifyRequest;
      const user = cookies[SESSION_COOKIE] ? await s.site.user(req) : null;
      const permit = await downloadPermit(req, s.site.access, s.t.db, user);
      for (const r of rows) expect(permit(r)).toBe(await s.site.access.canDownload(req, r));
    }
  });
});

describe("the pages' lean search", () => {
  it('finds what searchHeaders finds, in the same order, with the same limits', async () => {
    for (const path of [`/${PUBLIC_PROG}`, '/20240305-20240306', '/GMOS-N', '/20240306/OBJECT', '/NIRI']) {
      for (const order of [
        undefined,
        { orderBy: 'filename' as const, desc: true },
        { orderBy: 'object' as const },
      ]) {
        const sel = parseSelection(path);
        const a = await searchHeaders(s.t.db, sel, order ?? {});
        const b = await searchPageRows(s.t.db, sel, order ?? {});
        expect(
          b.rows.map((r) => r.name),
          path,
        ).toEqual(a.rows.map((r) => r.name));
        expect({ ...b, rows: 0 }).toEqual({ ...a, rows: 0 });
      }
    }
  });
});

describe('/summary', () => {
  it('lists the selection as a table, with and without links', async () => {
    const page = await (await anon().get(`/summary/${PUBLIC_PROG}`)).text();
    expect(norm(page)).toContain('<strong>3</strong> files');
    expect(page).toContain('href="/fullheader/N20240305S0002.fits"');
    expect(norm(page)).toMatch(/<th scope="col"[^>]*><a class="[^"]*" href="\?orderby=ra">RA<\/a><\/th>/);
    const nolinks = await (await anon().get(`/summary/nolinks/${PUBLIC_PROG}`)).text();
    expect(nolinks).toContain('N20240305S0002.fits');
    expect(nolinks).not.toContain('href="/fullheader/');
    expect(nolinks).not.toContain('href="/file/');
    const prop = await (await anon().get(`/summary/${PROP_PROG}`)).text();
    expect(prop).not.toContain('Secret Target');
    expect(prop).not.toMatch(/<td class="num">150\.1/); // coordinates withheld
  });
});

function untar(buf: Buffer): {
  dir: string;
  names: string[];
  md5check: ReturnType<typeof spawnSync>;
  cleanup(): void;
} {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'fitsstore-dl-'));
  writeFileSync(path.join(dir, 'download.tar'), buf);
  const x = spawnSync('tar', ['-xf', 'download.tar'], { cwd: dir });
  expect(x.status).toBe(0);
  const list = spawnSync('tar', ['-tf', 'download.tar'], { cwd: dir, encoding: 'utf8' });
  const md5check = spawnSync('md5sum', ['-c', 'md5sums.txt'], { cwd: dir, encoding: 'utf8' });
  return {
    dir,
    names: list.stdout.trim().split('\n'),
    md5check,
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}

describe('/download', () => {
  it('GET /download/<selection>: a tar of the files, md5sums.txt that `md5sum -c` verifies, and a README', async () => {
    const r = await anon().get(`/download/${PUBLIC_PROG}`);
    expect(r.status).toBe(200);
    expect(r.headers.get('content-type')).toBe('application/x-tar');
    expect(r.headers.get('content-disposition')).toMatch(
      /^attachment; filename="fitsstore-download-\d{8}-\d{6}\.tar"$/,
    );
    const t = untar(Buffer.from(await r.arrayBuffer()));
    try {
      expect(t.names).toEqual([
        'N20240305S0001.fits.bz2',
        'N20240305S0002.fits',
        'N20240305S0003.fits',
        'md5sums.txt',
        'README.txt',
      ]);
      expect(t.md5check.status).toBe(0);
      expect(t.md5check.stdout).toMatch(/N20240305S0001\.fits\.bz2: OK/);
      const readme = readFileSync(path.join(t.dir, 'README.txt'), 'utf8');
      expect(readme).toMatch(/Selection: +GN-2024A-Q-101/);
      expect(readme).toMatch(/User: +anonymous/);
      expect(readme).toMatch(/Files: +3/);
    } finally {
      t.cleanup();
    }
    await flushed(s);
    const d = await s.t.db.query(
      `SELECT d.* FROM downloadlog d JOIN usagelog u ON u.id = d.usagelog_id WHERE u.uri = $1 ORDER BY d.id DESC LIMIT 1`,
      [`/download/${PUBLIC_PROG}`],
    );
    expect(d.rows[0]).toMatchObject({
      selection: PUBLIC_PROG,
      numresults: 3,
      sending_files: true,
      numdenied: 0,
    });
    expect(d.rows[0].download_completed).toBeInstanceOf(Date);
  });

  it('proprietary files are withheld from the anonymous and named in README.txt', async () => {
    const r = await anon().get(`/download/${PROP_PROG}`);
    const t = untar(Buffer.from(await r.arrayBuffer()));
    try {
      expect(t.names).toEqual(['md5sums.txt', 'README.txt']);
      const readme = readFileSync(path.join(t.dir, 'README.txt'), 'utf8');
      expect(readme).toContain('2 file(s) matched but were withheld as proprietary');
      expect(readme).toContain(`N20240306S0011.fits  (proprietary until ${FUTURE})`);
    } finally {
      t.cleanup();
    }
    const pi = await as(PI);
    const t2 = untar(Buffer.from(await (await pi.get(`/download/${PROP_PROG}`)).arrayBuffer()));
    try {
      expect(t2.names).toEqual(['N20240306S0011.fits', 'N20240306S0012.fits', 'md5sums.txt', 'README.txt']);
      expect(t2.md5check.status).toBe(0);
      expect(readFileSync(path.join(t2.dir, 'README.txt'), 'utf8')).toMatch(/User: +pi\.astronomer/);
    } finally {
      t2.cleanup();
    }
  });

  it('the magic download cookie opens proprietary files to anonymous downloads', async () => {
    const c = anon();
    c.cookies.set('gemini_fits_authorization', 'magic-cookie-123');
    const t = untar(Buffer.from(await (await c.get(`/download/${PROP_PROG}`)).arrayBuffer()));
    try {
      expect(t.names).toEqual(['N20240306S0011.fits', 'N20240306S0012.fits', 'md5sums.txt', 'README.txt']);
      expect(t.md5check.status).toBe(0);
    } finally {
      t.cleanup();
    }
    c.cookies.set('gemini_fits_authorization', 'not-the-cookie');
    const t2 = untar(Buffer.from(await (await c.get(`/download/${PROP_PROG}`)).arrayBuffer()));
    try {
      expect(t2.names).toEqual(['md5sums.txt', 'README.txt']);
    } finally {
      t2.cleanup();
    }
  });

  it('POST /download/: the ticked files, unknown names reported', async () => {
    const c = anon();
    const page = await (await c.get(`/searchform/${PUBLIC_PROG}`)).text();
    const r = await c.post('/download/', {
      csrf: Client.csrfOf(page),
      files: ['N20240305S0002.fits', 'N20240305S0003.fits', 'N20990101S0001.fits', files[PROP_PROG][0]],
    });
    expect(r.status).toBe(200);
    const t = untar(Buffer.from(await r.arrayBuffer()));
    try {
      expect(t.names).toEqual(['N20240305S0002.fits', 'N20240305S0003.fits', 'md5sums.txt', 'README.txt']);
      expect(t.md5check.status).toBe(0);
      const readme = readFileSync(path.join(t.dir, 'README.txt'), 'utf8');
      expect(readme).toMatch(/Not in the archive:\n  N20990101S0001\.fits/);
      expect(readme).toContain('1 file(s) matched but were withheld');
    } finally {
      t.cleanup();
    }
  });

  it('refuses open selections and unrecognised terms', async () => {
    expect((await anon().get('/download/GMOS-N')).status).toBe(400);
    expect((await anon().get(`/download/${PUBLIC_PROG}/nonsense`)).status).toBe(400);
  });
});

describe('/fullheader', () => {
  it("shows every HDU's cards; proprietary headers only to those who may have the data", async () => {
    const page = await (await anon().get('/fullheader/N20240305S0001.fits')).text();
    expect(page).toContain('<h2>HDU 0</h2>');
    expect(page).toContain('GEMPRGID= &#39;GN-2024A-Q-101&#39;');
    expect((await anon().get('/fullheader/N20240305S0001')).status).toBe(200);
    expect((await anon().get(`/fullheader/${files[PROP_PROG][0]}`)).status).toBe(403);
    expect((await (await as(PI)).get(`/fullheader/${files[PROP_PROG][0]}`)).status).toBe(200);
    expect((await anon().get('/fullheader/..%2Fetc%2Fpasswd')).status).toBe(400);
    expect((await anon().get('/fullheader/N20990101S0001.fits')).status).toBe(404);
  });
});

describe('staff pages', () => {
  it('anonymous people are sent to log in; non-staff get 403; staff see them', async () => {
    for (const p of ['/queuestatus', '/usagereport', '/usagedetails/1', '/debug/raise']) {
      const r = await anon().get(p);
      expect(r.status, p).toBe(303);
      expect(r.headers.get('location')).toBe(`/login?next=${encodeURIComponent(p)}`);
    }
    expect((await anon().get('/queuestatus/json')).status).toBe(403);
    const pi = await as(PI);
    for (const p of ['/queuestatus', '/usagereport', '/queuestatus/json'])
      expect((await pi.get(p)).status, p).toBe(403);
    const staff = await as(STAFF);
    for (const p of ['/queuestatus', '/usagereport', '/queuestatus/json'])
      expect((await staff.get(p)).status, p).toBe(200);
    const j = await (await staff.get('/queuestatus/json')).json();
    expect(j.queues.map((q: { name: string }) => q.name)).toEqual([
      'ingest',
      'export',
      'preview',
      'calcache',
    ]);
  });
});

describe('staffPreHandler', () => {
  it('guards route plugins outside the site (the notification page) with the same login', async () => {
    const { buildServer } = await import('../../src/server/app.js');
    const app = buildServer({ config: s.config, db: s.t.db, storage: s.deps.storage, log: s.deps.log });
    try {
      const anonymous = await app.inject('/notification');
      expect(anonymous.statusCode).toBe(303);
      expect(anonymous.headers.location).toBe('/login?next=%2Fnotification');
      const staff = await as(STAFF);
      const pi = await as(PI);
      const cookie = (c: Client) => `${SESSION_COOKIE}=${c.cookies.get(SESSION_COOKIE)}`;
      expect((await app.inject({ url: '/notification', headers: { cookie: cookie(pi) } })).statusCode).toBe(
        403,
      );
      expect(
        (await app.inject({ url: '/notification', headers: { cookie: cookie(staff) } })).statusCode,
      ).toBe(200);
    } finally {
      await app.close();
    }
  });
});

describe('SQL and HTML injection through every field', () => {
  const PAYLOADS = [
    "'",
    '"',
    ';--',
    "' OR '1'='1",
    "x'); DROP TABLE header;--",
    '<script>alert(1)</script>',
    'Ωμέγα 東京 😀',
    '%',
    '\\',
    '*',
  ];

  it('the search form: each payload in each field answers 200, escaped, and drops nothing', async () => {
    const c = anon();
    const before = (await s.t.db.query('SELECT count(*)::int AS n FROM header')).rows[0].n;
    for (const field of FIELD_NAMES) {
      for (const p of PAYLOADS) {
        const r = await c.get(`/searchform?${new URLSearchParams({ [field]: p })}`);
        if (field === 'datetype') {
          expect(r.status).toBe(200); // not a search term on its own
          continue;
        }
        expect(r.status, `${field}=${p}`).toBe(303);
        const page = await c.get(r.headers.get('location')!);
        expect(page.status, `${field}=${p}`).toBe(200);
        const text = await page.text();
        expect(text, `${field}=${p}`).not.toContain('<script>alert(1)</script>');
      }
    }
    // Also straight into the URL grammar, and through the usage report's filters.
    for (const p of PAYLOADS) {
      for (const url of [
        `/searchform/${encodeURIComponent(p)}`,
        `/summary/object=${encodeURIComponent(p)}`,
        `/searchform/progid=${encodeURIComponent(p)}`,
      ]) {
        const r = await c.get(url);
        expect(r.status, url).toBe(200);
        expect(await r.text()).not.toContain('<script>alert(1)</script>');
      }
    }
    const staff = await as(STAFF);
    for (const p of PAYLOADS) {
      for (const f of ['from', 'to', 'username', 'ip', 'feature', 'status']) {
        const r = await staff.get(`/usagereport?${new URLSearchParams({ [f]: p })}`);
        expect(r.status, `${f}=${p}`).toBe(200);
        expect(await r.text()).not.toContain('<script>alert(1)</script>');
      }
    }
    expect((await s.t.db.query('SELECT count(*)::int AS n FROM header')).rows[0].n).toBe(before);
    // The unicode object name is searched for as itself (and finds nothing).
    const u = await (
      await c.get(`/searchform/progid=${PUBLIC_PROG}/object=${encodeURIComponent('Ωμέγα 東京 😀')}`)
    ).text();
    expect(u).toContain('value="Ωμέγα 東京 😀"');
    expect(u).toContain('No files matched.');
    // A quote in the program field is a program id with a quote in it, matching nothing.
    const q = await (await c.get(`/searchform/progid=${encodeURIComponent("' OR '1'='1")}`)).text();
    expect(q).toContain('No files matched.');
    expect(q).toContain('value="&#39; OR &#39;1&#39;=&#39;1"');
  }, 120_000);
});
