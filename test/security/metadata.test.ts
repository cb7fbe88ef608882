import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CardInput } from '../../src/fits/write.js';
import { Client } from '../web/client.js';
import { FUTURE, grant, PAST, PI, STAFF, startSite, type Site } from '../web/site.js';

// Proprietary metadata, the Gemini rule, tried as an outsider would: a file whose header says
// PROP_MD = T keeps its target name and position (object, RA/Dec, az/el, rotator angle) from
// anyone who may not have the file, on every surface and in every search; a file without PROP_MD
// shows them to everyone, whatever its release date (none at all included), as the real archive
// does (its jsonsummary shows object and RA/Dec of the files with no release date).

let s: Site;
const NIGHT = '20240401';
const HIDDEN = `N${NIGHT}S0001.fits`; // PROP_MD, proprietary: withheld
const OPEN_PROP = `N${NIGHT}S0002.fits`; // proprietary data, public metadata
const NO_RELEASE = `N${NIGHT}S0003.fits`; // no release date, no PROP_MD
const OLD_SECRET = `N${NIGHT}S0004.fits`; // PROP_MD, released

beforeAll(async () => {
  s = await startSite('sec_metadata');
  const spec = (serial: number, programId: string, object: string, release: string, propMd: boolean) => ({
    date: NIGHT,
    serial,
    programId,
    object,
    release,
    extraCards: [
      ...(propMd ? [['PROP_MD', true, 'Proprietary Metadata'] as CardInput] : []),
      ['CRPA', 70 + serial, 'Cassegrain rotator PA'] as CardInput,
    ],
  });
  await s.ingest(spec(1, 'GN-2024A-Q-301', 'Hidden Nebula', FUTURE, true));
  await s.ingest(spec(2, 'GN-2024A-Q-302', 'Open Galaxy', FUTURE, false));
  await s.ingest(spec(3, 'GN-2024A-Q-303', 'Undated Star', PAST, false));
  await s.ingest(spec(4, 'GN-2024A-Q-304', 'Old Secret', PAST, true));
  // A header without a RELEASE card, and telescope pointing for the az/el searches.
  await s.t.db.query(
    `UPDATE header SET release = NULL WHERE diskfile_id = (SELECT id FROM diskfile WHERE filename = $1)`,
    [NO_RELEASE],
  );
  await s.t.db.query(`UPDATE header SET azimuth = 123.4, elevation = 45.6`);
  await grant(s.t.db, PI.username, { program_id: 'GN-2024A-Q-301' });
});
afterAll(async () => {
  await s?.close();
});

async function as(who: { username: string; password: string } | null): Promise<Client> {
  const c = new Client(s.url);
  if (!who) return c;
  const page = await (await c.get('/login')).text();
  const r = await c.post('/login', {
    username: who.username,
    password: who.password,
    csrf: Client.csrfOf(page),
  });
  expect(r.status).toBe(303);
  return c;
}

/** The names a search answers with, read from each surface's own format. */
async function found(c: Client, surface: string, selection: string): Promise<string[]> {
  const r = await c.get(`/${surface}/${selection}`);
  expect(r.status, `${surface}/${selection}`).toBe(200);
  if (surface.startsWith('json')) return ((await r.json()) as { name: string }[]).map((e) => e.name);
  if (surface === 'calmgr')
    return [
      ...(await r.text()).matchAll(/<dataset>\n<datalabel>[^<]*<\/datalabel>\n<filename>([^<]+)</g),
    ].map((m) => m[1]);
  if (surface === 'download') {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'sec-dl-'));
    try {
      writeFileSync(path.join(dir, 'd.tar'), Buffer.from(await r.arrayBuffer()));
      execFileSync('tar', ['-xf', 'd.tar'], { cwd: dir });
      const readme = readFileSync(path.join(dir, 'README.txt'), 'utf8');
      const sums = readFileSync(path.join(dir, 'md5sums.txt'), 'utf8');
      // Sent files and withheld ones alike: a withheld name in README.txt is a match too.
      return [...`${sums}\n${readme}`.matchAll(/N\d{8}S\d{4}\.fits/g)].map((m) => m[0]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
  return [...(await r.text()).matchAll(/N\d{8}S\d{4}\.fits/g)].map((m) => m[0]);
}

const SURFACES = [
  'jsonsummary',
  'jsonfilelist',
  'jsonfilenames',
  'searchform',
  'summary',
  'download',
  'calmgr',
];
// Searches by every coordinate-like field; each would match HIDDEN were it not withheld.
const SEARCHES = [
  'object=Hidden*',
  'object=*Nebula',
  'ra=150.11/dec=2.21/sr=600',
  'ra=150.10-150.12',
  'dec=2.20-2.22',
  'az=120-125',
  'el=40-50',
  'crpa=70-72',
];

describe('searches by target or position', () => {
  it('never match a PROP_MD file in its proprietary period for someone who may not have it', async () => {
    const anon = await as(null);
    for (const surface of SURFACES) {
      for (const q of SEARCHES) {
        const names = await found(anon, surface, `${NIGHT}/${q}`);
        expect(names, `${surface}/${q}`).not.toContain(HIDDEN);
      }
    }
  });

  it('match it for the PI with a grant and for staff, on every surface', async () => {
    for (const who of [PI, STAFF]) {
      const c = await as(who);
      for (const surface of SURFACES) {
        expect(await found(c, surface, `${NIGHT}/object=Hidden*`), `${who.username} ${surface}`).toContain(
          HIDDEN,
        );
        expect(await found(c, surface, `${NIGHT}/crpa=70-72`), `${who.username} ${surface}`).toContain(
          HIDDEN,
        );
      }
    }
  });

  it('match files whose metadata is public, proprietary data and undated files included', async () => {
    const anon = await as(null);
    for (const surface of SURFACES) {
      const names = await found(anon, surface, `${NIGHT}/ra=150.11/dec=2.21/sr=600`);
      for (const f of [OPEN_PROP, NO_RELEASE, OLD_SECRET]) expect(names, `${surface}: ${f}`).toContain(f);
      expect(await found(anon, surface, `${NIGHT}/object=Open*`), surface).toContain(OPEN_PROP);
    }
  });
});

describe('what each surface shows', () => {
  it('jsonsummary: object and position withheld only for the PROP_MD file in its proprietary period', async () => {
    const anon = await as(null);
    const entries = (await (await anon.get(`/jsonsummary/${NIGHT}`)).json()) as Record<string, unknown>[];
    const by = Object.fromEntries(entries.map((e) => [e.name, e]));
    expect(by[HIDDEN]).toMatchObject({
      object: null,
      ra: null,
      dec: null,
      azimuth: null,
      elevation: null,
      cass_rotator_pa: null,
      airmass: null,
    });
    expect(by[OPEN_PROP]).toMatchObject({ object: 'Open Galaxy', azimuth: 123.4, cass_rotator_pa: 72 });
    expect(by[NO_RELEASE]).toMatchObject({ object: 'Undated Star', release: null });
    expect(typeof by[NO_RELEASE].ra).toBe('number');
    expect(by[OLD_SECRET]).toMatchObject({ object: 'Old Secret' });
    const pi = await as(PI);
    const mine = ((await (await pi.get(`/jsonsummary/${NIGHT}`)).json()) as Record<string, unknown>[]).find(
      (e) => e.name === HIDDEN,
    );
    expect(mine).toMatchObject({ object: 'Hidden Nebula', cass_rotator_pa: 71 });
  });

  it('the HTML results and summaries: the same rule', async () => {
    const anon = await as(null);
    for (const page of [`/searchform/${NIGHT}`, `/summary/${NIGHT}`, `/summary/nolinks/${NIGHT}`]) {
      const html = await (await anon.get(page)).text();
      expect(html, page).not.toContain('Hidden Nebula');
      for (const shown of ['Open Galaxy', 'Undated Star', 'Old Secret']) expect(html, page).toContain(shown);
    }
  });

  it('/fullheader: refused only for the PROP_MD file, to those who may not have it', async () => {
    const anon = await as(null);
    expect((await anon.get(`/fullheader/${HIDDEN}`)).status).toBe(403);
    const open = await anon.get(`/fullheader/${OPEN_PROP}`);
    expect(open.status).toBe(200);
    expect(await open.text()).toContain('Open Galaxy');
    expect((await anon.get(`/fullheader/${NO_RELEASE}`)).status).toBe(200);
    expect((await (await as(PI)).get(`/fullheader/${HIDDEN}`)).status).toBe(200);
  });

  it('download permission is unchanged: proprietary data stays proprietary, PROP_MD or not', async () => {
    const anon = await as(null);
    const tar = await anon.get(`/download/${NIGHT}`);
    const dir = mkdtempSync(path.join(os.tmpdir(), 'sec-dl-'));
    try {
      writeFileSync(path.join(dir, 'd.tar'), Buffer.from(await tar.arrayBuffer()));
      execFileSync('tar', ['-xf', 'd.tar'], { cwd: dir });
      const sums = readFileSync(path.join(dir, 'md5sums.txt'), 'utf8');
      expect(sums).not.toContain(HIDDEN);
      expect(sums).not.toContain(OPEN_PROP);
      expect(sums).toContain(OLD_SECRET);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    expect((await anon.get(`/file/${OPEN_PROP}`)).status).toBe(403);
  });
});
