import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CardInput } from '../../src/fits/write.js';
import { Client } from '../web/client.js';
import { FUTURE, grant, PI, STAFF, startSite, type Site } from '../web/site.js';

// Ordering by a withheld field must not reveal it: with `orderby=ra` (or dec, object, airmass,
// ascending or descending) a row whose metadata is withheld from the requester (PROP_MD, in its
// proprietary period, not theirs) sorts as if the value were null, so its position says nothing
// about the hidden value. Those who may see the metadata (staff, the PI with a grant) get the
// true order.

let s: Site;
const NIGHT = '20240402';
// Two PROP_MD files whose hidden values are the extremes: HIGH would sort last ascending, LOW first.
const HIGH = `N${NIGHT}S0001.fits`;
const LOW = `N${NIGHT}S0002.fits`;
// Public metadata, values in between.
const MID1 = `N${NIGHT}S0003.fits`;
const MID2 = `N${NIGHT}S0004.fits`;

const VALUES: Record<string, { ra: number; dec: number; airmass: number; object: string }> = {
  [HIGH]: { ra: 359.5, dec: 89.5, airmass: 2.9, object: 'Zeta Hidden' },
  [LOW]: { ra: 0.5, dec: -89.5, airmass: 1.01, object: 'Alpha Hidden' },
  [MID1]: { ra: 100, dec: -10, airmass: 1.5, object: 'Mid One' },
  [MID2]: { ra: 200, dec: 10, airmass: 2, object: 'Mid Two' },
};

beforeAll(async () => {
  s = await startSite('sec_ordering');
  const files: [number, string, boolean][] = [
    [1, 'GN-2024A-Q-401', true],
    [2, 'GN-2024A-Q-402', true],
    [3, 'GN-2024A-Q-403', false],
    [4, 'GN-2024A-Q-404', false],
  ];
  for (const [serial, programId, propMd] of files) {
    await s.ingest({
      date: NIGHT,
      serial,
      programId,
      object: 'placeholder',
      release: FUTURE,
      extraCards: propMd ? [['PROP_MD', true, 'Proprietary Metadata'] as CardInput] : [],
    });
  }
  for (const [name, v] of Object.entries(VALUES)) {
    await s.t.db.query(
      `UPDATE header SET ra = $2, dec = $3, airmass = $4, object = $5
         WHERE diskfile_id = (SELECT id FROM diskfile WHERE filename = $1)`,
      [name, v.ra, v.dec, v.airmass, v.object],
    );
  }
  await grant(s.t.db, PI.username, { program_id: 'GN-2024A-Q-401' });
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

/** File names in the order a surface lists them. */
async function listed(c: Client, surface: string, orderby: string): Promise<string[]> {
  const r = await c.get(`/${surface}/${NIGHT}?orderby=${orderby}`);
  expect(r.status, `${surface} ${orderby}`).toBe(200);
  if (surface.startsWith('json')) return ((await r.json()) as { name: string }[]).map((e) => e.name);
  return [...new Set([...(await r.text()).matchAll(/N\d{8}S\d{4}\.fits/g)].map((m) => m[0]))];
}

/** The true order by a column: by value, the other way round when descending. */
function trueOrder(column: keyof (typeof VALUES)[string], desc: boolean, names: string[]): string[] {
  const sorted = [...names].sort((a, b) => (VALUES[a][column] < VALUES[b][column] ? -1 : 1));
  return desc ? sorted.reverse() : sorted;
}

const COLUMNS = ['ra', 'dec', 'object', 'airmass'] as const;
const SURFACES = ['jsonsummary', 'jsonfilelist', 'summary', 'searchform'];

describe('ordering by a withheld field', () => {
  it('puts rows withheld from an anonymous user last, in the default order, whatever their values', async () => {
    const anon = await as(null);
    for (const surface of SURFACES) {
      for (const column of COLUMNS) {
        for (const desc of [false, true]) {
          const orderby = desc ? `${column}_desc` : column;
          // Visible rows by value; the withheld ones after them, by date (a closed query: oldest first).
          expect(await listed(anon, surface, orderby), `${surface} ${orderby}`).toEqual([
            ...trueOrder(column, desc, [MID1, MID2]),
            HIGH,
            LOW,
          ]);
        }
      }
    }
  });

  it('keeps the true order for staff, and for the PI on the files of their grant', async () => {
    const staff = await as(STAFF);
    const pi = await as(PI);
    for (const surface of SURFACES) {
      for (const column of COLUMNS) {
        for (const desc of [false, true]) {
          const orderby = desc ? `${column}_desc` : column;
          expect(await listed(staff, surface, orderby), `staff ${surface} ${orderby}`).toEqual(
            trueOrder(column, desc, [HIGH, LOW, MID1, MID2]),
          );
          expect(await listed(pi, surface, orderby), `PI ${surface} ${orderby}`).toEqual([
            ...trueOrder(column, desc, [HIGH, MID1, MID2]),
            LOW,
          ]);
        }
      }
    }
  });
});
