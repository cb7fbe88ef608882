import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { errorNotes, firstPathElement } from '../../../src/server/plugins/usagelog.js';
import { Client } from '../../web/client.js';
import { flushed, PAST, STAFF, startSite, type Site } from '../../web/site.js';
import { waitFor } from '../../helpers/wait.js';

let s: Site;
beforeAll(async () => {
  // 450 requests at once come from one address, above the server's per-address connection cap
  // (test/security covers the cap): this file is about the usage log keeping up with a burst.
  s = await startSite('web_usagelog', { config: { server: { max_connections_per_ip: 1000 } } });
  await s.ingest({ date: '20240305', serial: 1, programId: 'GN-2024A-Q-7', release: PAST });
});
afterAll(async () => {
  await s?.close();
});

async function rowFor(uri: string) {
  await flushed(s);
  const r = await s.t.db.query('SELECT * FROM usagelog WHERE uri = $1 ORDER BY id DESC LIMIT 1', [uri]);
  return r.rows[0];
}

describe('usage log', () => {
  it('first path element', () => {
    expect(firstPathElement('/searchform/GN-2024A-Q-7?orderby=x')).toBe('searchform');
    expect(firstPathElement('/queuestatus')).toBe('queuestatus');
    expect(firstPathElement('/')).toBe('');
    expect(firstPathElement('/a%20b/c')).toBe('a b');
  });

  it('writes a row per request: time, ip, agent, referrer, method, uri, feature, status, bytes', async () => {
    const before = new Date();
    const res = await fetch(`${s.url}/searchform/GN-2024A-Q-7`, {
      headers: { 'user-agent': 'test-agent/1.0', referer: 'https://example.org/from' },
    });
    const body = await res.text();
    const after = new Date();
    const row = await rowFor('/searchform/GN-2024A-Q-7');
    expect(row).toMatchObject({
      ip_address: '127.0.0.1',
      user_agent: 'test-agent/1.0',
      referrer: 'https://example.org/from',
      method: 'GET',
      this: 'searchform',
      status: 200,
      user_id: null,
      notes: null,
    });
    // The time the request came in: within the span of this request, whatever the date or load.
    expect(row.utdatetime.getTime()).toBeGreaterThanOrEqual(before.getTime());
    expect(row.utdatetime.getTime()).toBeLessThanOrEqual(after.getTime());
    expect(Number(row.bytes)).toBeGreaterThan(Buffer.byteLength(body)); // body and headers on the wire
    // The search left a querylog row pointing at it.
    const q = await s.t.db.query('SELECT * FROM querylog WHERE usagelog_id = $1', [row.id]);
    expect(q.rows).toHaveLength(1);
    expect(q.rows[0]).toMatchObject({ summarytype: 'searchform', selection: 'GN-2024A-Q-7', numresults: 1 });
    const { query_started: started, query_completed: completed } = q.rows[0];
    expect(started.getTime()).toBeGreaterThanOrEqual(before.getTime());
    expect(completed.getTime()).toBeGreaterThanOrEqual(started.getTime());
    expect(completed.getTime()).toBeLessThanOrEqual(after.getTime());
  });

  it('records the logged-in user, and unknown paths (404) too', async () => {
    const c = new Client(s.url);
    await c.login(STAFF.username, STAFF.password);
    await c.get('/summary/GN-2024A-Q-7');
    expect((await rowFor('/summary/GN-2024A-Q-7')).user_id).toBe(s.staff.id);
    const login = await s.t.db.query(
      `SELECT user_id, status FROM usagelog WHERE uri = '/login' AND method = 'POST' ORDER BY id DESC LIMIT 1`,
    );
    expect(login.rows[0]).toEqual({ user_id: s.staff.id, status: 303 });
    await c.get('/no/such/page');
    const nf = await rowFor('/no/such/page');
    expect(nf).toMatchObject({ status: 404, this: 'no' });
  });

  it('a request that throws: 500 with a reference number, the stack in notes', async () => {
    const c = new Client(s.url);
    await c.login(STAFF.username, STAFF.password);
    const res = await c.get('/debug/raise', { accept: 'text/html' });
    expect(res.status).toBe(500);
    const page = await res.text();
    const ref = Number(/class="reference">(\d+)</.exec(page)![1]);
    await flushed(s);
    const row = (await s.t.db.query('SELECT * FROM usagelog WHERE id = $1', [ref])).rows[0];
    expect(row).toMatchObject({ status: 500, uri: '/debug/raise', this: 'debug', user_id: s.staff.id });
    expect(row.notes).toMatch(/DeliberateError: deliberate error from \/debug\/raise/);
    expect(row.notes).toMatch(/at .*debug\.ts:\d+/); // the stack, not just the message
    // Scripts asking for JSON get the reference in JSON.
    const j = await c.get('/debug/raise', { accept: 'application/json' });
    expect(j.status).toBe(500);
    const body = await j.json();
    expect(body.reference).toBeGreaterThan(ref);
    expect(body.message).toMatch(/reference number \d+/);
    // The server log has it too, with the same reference.
    expect(s.logLines.some((l) => l.includes(`"reference":${ref}`))).toBe(true);
  });

  it('anonymous /debug/raise is sent to log in, not run', async () => {
    const r = await fetch(`${s.url}/debug/raise`, { redirect: 'manual' });
    expect(r.status).toBe(303);
  });

  it('many requests at once: all rows arrive, in batches', async () => {
    const N = 450;
    const before = Number((await s.t.db.query('SELECT max(id) AS m FROM usagelog')).rows[0].m ?? 0);
    await Promise.all(
      Array.from({ length: N }, (_, i) => fetch(`${s.url}/static/style.css?n=${i}`).then((r) => r.text())),
    );
    await flushed(s);
    const r = await s.t.db.query(
      `SELECT count(*)::int AS n, count(DISTINCT id)::int AS d FROM usagelog WHERE id > $1 AND this = 'static'`,
      [before],
    );
    expect(r.rows[0]).toEqual({ n: N, d: N });
  });

  it('a download the client abandons half way is logged as such, and the server carries on', async () => {
    for (let i = 1; i <= 3; i++) {
      await s.ingest({ date: '20240307', serial: i, programId: 'GN-2024A-Q-8', release: PAST, size: 1024 });
    }
    const ac = new AbortController();
    const res = await fetch(`${s.url}/download/GN-2024A-Q-8`, { signal: ac.signal });
    const reader = res.body!.getReader();
    await reader.read();
    ac.abort();
    const row = await rowFor('/download/GN-2024A-Q-8');
    expect(row.status).toBe(200);
    expect(row.notes).toMatch(/client closed the connection before the response was complete/);
    const d = await s.t.db.query('SELECT * FROM downloadlog WHERE usagelog_id = $1', [row.id]);
    expect(d.rows[0]).toMatchObject({ selection: 'GN-2024A-Q-8', sending_files: true });
    expect(d.rows[0].numresults).toBeLessThan(3);
    // And the next download is whole.
    const whole = await fetch(`${s.url}/download/GN-2024A-Q-8`);
    expect((await whole.arrayBuffer()).byteLength).toBeGreaterThan(3 * 2 * 1024 * 1024);
  });

  it('errors coerce causes into the notes', () => {
    const e = new Error('outer', { cause: new Error('inner') });
    expect(errorNotes(e)).toMatch(/Error: outer[\s\S]*Caused by: Error: inner/);
  });

  it('rows still buffered when the server closes are written', async () => {
    const local = await startSite('web_usagelog_close', {
      site: { usageFlush: { flushMs: 60_000, maxRows: 10_000 } },
    });
    try {
      await fetch(`${local.url}/searchform`).then((r) => r.text());
      await waitFor(() => local.site.usage.inFlight === 0, { what: 'the request to end' });
      expect(local.site.usage.pending).toBe(1);
      await local.app.close();
      const r = await local.t.db.query(`SELECT count(*)::int AS n FROM usagelog WHERE uri = '/searchform'`);
      expect(r.rows[0].n).toBe(1);
    } finally {
      await local.t.drop();
      local.tmp.cleanup();
    }
  });
});
