import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import cookie from '@fastify/cookie';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  importOdbXml,
  insertNotification,
  listNotifications,
  parseOdbPrograms,
} from '../../../src/services/mail/notifications.js';
import { notificationRoutes } from '../../../src/server/routes/notification.js';
import { runCli, writeConfig } from '../../helpers/cli.js';
import { createTestDb, type TestDb } from '../../helpers/db.js';
import { tempDir, testConfig } from '../../helpers/env.js';

// The notification table: loaded from the ODB's program export, kept by hand on the CLI and the
// staff page.

const FIXTURE = fileURLToPath(new URL('./fixtures/odb-programs.xml', import.meta.url));
const xml = readFileSync(FIXTURE, 'utf8');
let t: TestDb;
let tmp: ReturnType<typeof tempDir>;

const byLabel = async () => Object.fromEntries((await listNotifications(t.db)).map((n) => [n.label, n]));

beforeAll(async () => {
  t = await createTestDb('notification');
  tmp = tempDir('notification');
});
afterAll(async () => {
  await t?.drop();
  tmp?.cleanup();
});
beforeEach(async () => {
  await t.db.query('TRUNCATE notification RESTART IDENTITY CASCADE');
});

describe('ODB import', () => {
  it('reads the programs of the export, skipping the observations inside them', () => {
    const p = parseOdbPrograms(xml);
    expect(p.map((x) => x.reference)).toEqual([
      'GN-2025A-Q-101',
      'GN-2025A-Q-102',
      'GN-2025A-Q-103',
      'GN-2025A-Q-104',
      'GN-2025A-Q-105',
      'GN-ENG20250101',
      'not-a-program',
    ]);
    expect(p[0]).toMatchObject({
      piEmail: 'Alice Astronomer <alice@uni.example>',
      ngoEmail: 'ngo@ngo.example, ngo2@ngo.example',
      contactEmail: 'cs101@gemini.example',
      notifyPi: 'Yes',
    });
    expect(p[3].notifyPi).toBe('No');
  });

  it('adds Auto rows for notifyPi Yes, updates e-mails in place, deletes on notifyPi No, leaves others alone', async () => {
    await insertNotification(t.db, {
      label: 'Auto - GN-2025A-Q-102',
      selection: 'GN-2025A-Q-102/science',
      piemail: 'bob@uni.example',
      ngoemail: null,
      csemail: 'cs102-old@gemini.example',
      internal: false,
    });
    await insertNotification(t.db, {
      label: 'Auto - GN-2025A-Q-103',
      selection: 'GN-2025A-Q-103/science',
      piemail: 'carol@uni.example',
      ngoemail: null,
      csemail: null,
      internal: false,
    });
    await insertNotification(t.db, {
      label: 'GMOS twilight flats',
      selection: 'GMOS-N/FLAT',
      piemail: 'staff@gemini.example',
      ngoemail: null,
      csemail: null,
      internal: true,
    });
    const dry = await importOdbXml(t.db, xml, { dryrun: true });
    expect(Object.keys(await byLabel()).sort()).toEqual([
      'Auto - GN-2025A-Q-102',
      'Auto - GN-2025A-Q-103',
      'GMOS twilight flats',
    ]);

    const r = await importOdbXml(t.db, xml);
    expect(r).toMatchObject({
      programs: 7,
      added: ['Auto - GN-2025A-Q-101', 'Auto - GN-ENG20250101'],
      updated: ['Auto - GN-2025A-Q-102'],
      deleted: ['Auto - GN-2025A-Q-103'],
      errors: [],
    });
    expect({ ...dry, lines: undefined }).toEqual({ ...r, lines: undefined });
    expect(r.lines).toContain('Did not add Auto - GN-2025A-Q-104 as notifyPi is No');
    expect(r.lines).toContain('There are no investigators listed for GN-2025A-Q-105');
    expect(r.lines).toContain('Did not add Auto - not-a-program as not-a-program is not a valid program ID');

    const rows = await byLabel();
    expect(Object.keys(rows).sort()).toEqual([
      'Auto - GN-2025A-Q-101',
      'Auto - GN-2025A-Q-102',
      'Auto - GN-ENG20250101',
      'GMOS twilight flats',
    ]);
    expect(rows['Auto - GN-2025A-Q-101']).toMatchObject({
      selection: 'GN-2025A-Q-101/science',
      piemail: 'Alice Astronomer <alice@uni.example>',
      ngoemail: 'ngo@ngo.example, ngo2@ngo.example',
      csemail: 'cs101@gemini.example',
    });
    expect(rows['Auto - GN-2025A-Q-102']).toMatchObject({
      id: 1,
      csemail: 'cs102-new@gemini.example',
      ngoemail: null,
    });
    expect(rows['GMOS twilight flats'].internal).toBe(true);

    const again = await importOdbXml(t.db, xml);
    expect(again).toMatchObject({ added: [], updated: [], deleted: [] });
  });
});

describe('fitsstore notification', () => {
  it('import, list, add (refusing an unrecognised selection), edit, delete', async () => {
    const config = writeConfig(tmp.dir, {
      database: { url: t.url },
      paths: { var_dir: tmp.dir, log_dir: path.join(tmp.dir, 'logs') },
    });
    const cli = (...args: string[]) => runCli(['notification', ...args], { config });
    const imp = await cli('import', FIXTURE, '--json');
    expect(imp.code, imp.stderr).toBe(0);
    expect(JSON.parse(imp.stdout).added).toEqual([
      'Auto - GN-2025A-Q-101',
      'Auto - GN-2025A-Q-102',
      'Auto - GN-ENG20250101',
    ]);

    const bad = await cli('add', '--label', 'typo', '--selection', 'GN-2025A-Q-101/sciense');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/didn't recognize the following search terms: sciense/);
    const add = await cli(
      'add',
      '--label',
      'hand made',
      '--selection',
      '/GN-2025A-Q-109/science/',
      '--pi',
      'pi@uni.example',
    );
    expect(add.code, add.stderr).toBe(0);
    const added = JSON.parse(add.stdout);
    expect(added).toMatchObject({
      label: 'hand made',
      selection: 'GN-2025A-Q-109/science',
      piemail: 'pi@uni.example',
      internal: false,
    });

    expect((await cli('edit', String(added.id), '--cs', 'cs@gemini.example', '--internal')).code).toBe(0);
    const list = await cli('list', '--like', 'Q-109', '--json');
    expect(JSON.parse(list.stdout)).toEqual([{ ...added, csemail: 'cs@gemini.example', internal: true }]);
    expect((await cli('delete', String(added.id))).code).toBe(0);
    expect((await cli('delete', String(added.id))).code).toBe(2);
    expect((await listNotifications(t.db)).map((n) => n.label).sort()).toEqual([
      'Auto - GN-2025A-Q-101',
      'Auto - GN-2025A-Q-102',
      'Auto - GN-ENG20250101',
    ]);
  });
});

describe('the /notification staff page', () => {
  let app: FastifyInstance;
  beforeAll(async () => {
    app = Fastify();
    await app.register(cookie);
    await app.register(notificationRoutes, {
      ctx: { db: t.db, config: testConfig(tempDir('notification_page').dir) },
      staffOnly: async (req, reply) => {
        if (req.headers['x-test-staff'] !== 'yes') return reply.code(403).send('staff only');
      },
    });
    await app.ready();
  });
  afterAll(() => app?.close());
  /** The page's CSRF token and the cookie it is bound to, as a browser holds them. */
  const token = async () => {
    const page = await app.inject({ url: '/notification', headers: { 'x-test-staff': 'yes' } });
    const csrf = /name="csrf" value="([^"]+)"/.exec(page.body)![1];
    const c = page.cookies.find((x) => x.name === 'fitsstore_csrf')!;
    return { csrf, cookie: `fitsstore_csrf=${c.value}` };
  };
  const form = async (fields: Record<string, string>, headers: Record<string, string> = {}) => {
    const t = await token();
    return app.inject({
      method: 'POST',
      url: '/notification',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        'x-test-staff': 'yes',
        host: 'fits.example',
        cookie: t.cookie,
        ...headers,
      },
      payload: new URLSearchParams({ csrf: t.csrf, ...fields }).toString(),
    });
  };

  it('is for staff only', async () => {
    expect((await app.inject({ url: '/notification' })).statusCode).toBe(403);
    const post = await app.inject({
      method: 'POST',
      url: '/notification',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: 'action=add&label=x&selection=GN-2025A-Q-1',
    });
    expect(post.statusCode).toBe(403);
    expect(await listNotifications(t.db)).toEqual([]);
  });

  it('lists, adds, edits and deletes rows', async () => {
    const add = await form({
      action: 'add',
      label: 'From the page',
      selection: 'GS-2025A-Q-7/science',
      piemail: 'p@uni.example',
      internal: 'yes',
    });
    expect(add.statusCode).toBe(303);
    expect(add.headers.location).toMatch(/^\/notification\?message=Added/);
    const [row] = await listNotifications(t.db);
    expect(row).toMatchObject({
      label: 'From the page',
      selection: 'GS-2025A-Q-7/science',
      piemail: 'p@uni.example',
      ngoemail: null,
      internal: true,
    });

    const page = await app.inject({ url: '/notification', headers: { 'x-test-staff': 'yes' } });
    expect(page.headers['content-type']).toMatch(/text\/html/);
    expect(page.body).toContain('value="GS-2025A-Q-7/science"');
    expect(page.body).toContain(`<form id="n${row.id}"`);

    await form({
      action: 'edit',
      id: String(row.id),
      label: 'From the page',
      selection: 'GS-2025A-Q-7/science',
      piemail: 'p@uni.example',
      csemail: 'cs@gemini.example',
    });
    expect((await listNotifications(t.db))[0]).toMatchObject({
      csemail: 'cs@gemini.example',
      internal: false,
    });

    const typo = await form({
      action: 'edit',
      id: String(row.id),
      label: 'x',
      selection: 'GS-2025A-Q-7/sciense',
    });
    expect(decodeURIComponent(typo.headers.location as string)).toMatch(/Not saved: WARNING/);
    expect((await listNotifications(t.db))[0].selection).toBe('GS-2025A-Q-7/science');

    const cross = await form({ action: 'delete', id: String(row.id) }, { origin: 'https://evil.example' });
    expect(cross.statusCode).toBe(403);
    // A same-site-looking POST without the page's token (a forged form, a script) changes nothing.
    const forged = await app.inject({
      method: 'POST',
      url: '/notification',
      headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-test-staff': 'yes' },
      payload: `action=delete&id=${row.id}`,
    });
    expect(forged.statusCode).toBe(403);
    expect(await listNotifications(t.db)).toHaveLength(1);
    await form({ action: 'delete', id: String(row.id) }, { origin: 'http://fits.example' });
    expect(await listNotifications(t.db)).toHaveLength(0);
  });
});
