import { readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Migration } from '../../src/db/migrate.js';
import { backup, rehearse, restore, serverMajor } from '../../src/ops/backup.js';
import { backupName, parseBackupName, planRetention, retain } from '../../src/ops/backup-retention.js';
import { findPgTool, pgEnv, PgToolError } from '../../src/ops/pgtools.js';
import { createTestDb, type TestDb } from '../helpers/db.js';
import { tempDir } from '../helpers/env.js';

const d = (s: string) => new Date(s + 'T03:00:00Z');

describe('backup retention (runbook policy)', () => {
  const now = d('2025-06-15');
  it.each([
    ['2025-06-15', true], // today
    ['2025-06-06', true], // 9 days
    ['2025-06-05', false], // 10 days, not 1/11/21
    ['2025-06-01', true], // 1st
    ['2025-05-11', true], // 11th, 35 days
    ['2025-05-21', true], // 21st
    ['2025-05-12', false],
    ['2025-04-21', true], // 55 days
    ['2025-04-11', false], // 65 days, 11th: past 60
    ['2025-04-01', true], // 1st of month < 1 year
    ['2024-07-01', true], // 349 days
    ['2024-06-01', false], // 379 days
    ['2025-06-20', true], // future (clock): never deleted
  ])('%s → keep %s', (date, keep) => {
    expect(retain(d(date), now).keep).toBe(keep);
  });

  it('round-trips names and applies only to the same database', () => {
    const n = backupName('fitsdata', new Date('2025-01-02T03:04:05.678Z'));
    expect(n).toBe('fitsstore-fitsdata-20250102T030405Z.dump');
    expect(parseBackupName(n)).toEqual({ database: 'fitsdata', at: new Date('2025-01-02T03:04:05Z') });
    const plan = planRetention(
      [n, backupName('other', new Date('2025-01-02T03:04:05Z')), 'notes.txt'],
      'fitsdata',
      d('2025-06-15'),
    );
    expect(plan).toEqual({ keep: [], remove: [{ name: n, reason: '164 days old, taken on day 2' }] });
  });

  it('keeps the right set over a year of nightly backups', () => {
    const names: string[] = [];
    for (let i = 0; i < 400; i++)
      names.push(backupName('db', new Date(d('2025-06-15').getTime() - i * 86_400_000)));
    const plan = planRetention(names, 'db', d('2025-06-15'));
    const day = (n: string) => parseBackupName(n)!.at.toISOString().slice(0, 10);
    expect(plan.keep.map((k) => day(k.name))).toEqual([
      // the 1sts of the past year (days 60..364)
      ...['2024-07-01', '2024-08-01', '2024-09-01', '2024-10-01', '2024-11-01', '2024-12-01'],
      ...['2025-01-01', '2025-02-01', '2025-03-01', '2025-04-01'],
      // the 1st, 11th and 21st of days 10..59
      ...['2025-04-21', '2025-05-01', '2025-05-11', '2025-05-21', '2025-06-01'],
      // the last 10 days
      ...['2025-06-06', '2025-06-07', '2025-06-08', '2025-06-09', '2025-06-10'],
      ...['2025-06-11', '2025-06-12', '2025-06-13', '2025-06-14', '2025-06-15'],
    ]);
    expect(plan.remove).toHaveLength(400 - 25);
  });

  // Ages are counted in UTC days across month, year and leap-day boundaries, whatever the hour.
  it.each([
    ['2025-01-05T00:10:00Z', '2024-12-27T23:59:59Z', true, '9 days old (< 10)'],
    ['2025-01-05T00:10:00Z', '2024-12-26T00:00:00Z', false, '10 days old, taken on day 26'],
    ['2025-01-05T00:10:00Z', '2024-12-21T12:00:00Z', true, 'taken on the 21st, 15 days old (< 60)'],
    ['2025-03-01T00:00:00Z', '2024-12-31T23:00:00Z', false, '60 days old, taken on day 31'],
    ['2025-03-01T00:00:00Z', '2025-01-01T23:00:00Z', true, 'taken on the 1st, 59 days old (< 60)'],
    ['2025-03-01T00:00:00Z', '2024-12-31T00:00:00Z', false, '60 days old, taken on day 31'],
    [
      '2025-02-28T23:59:59Z',
      '2024-03-01T00:00:00Z',
      true,
      'taken on the 1st of a month, 364 days old (< 1 year)',
    ],
    ['2025-03-01T00:00:00Z', '2024-03-01T00:00:00Z', false, '365 days old, taken on day 1'],
    ['2024-03-01T00:00:00Z', '2023-03-01T00:00:00Z', false, '366 days old, taken on day 1'],
    ['2024-02-29T08:00:00Z', '2024-02-20T08:00:00Z', true, '9 days old (< 10)'],
    ['2024-03-01T08:00:00Z', '2024-02-20T08:00:00Z', false, '10 days old, taken on day 20'],
    ['2025-01-01T00:00:00Z', '2025-01-02T00:00:00Z', true, 'dated in the future (clock?)'],
  ])('now %s, backup of %s → keep %s (%s)', (now, at, keep, reason) => {
    expect(retain(new Date(at), new Date(now))).toEqual({ keep, reason });
  });
});

describe('pg tools', () => {
  it('reads libpq settings from a URL, keeping the password out of argv', () => {
    const { env, database } = pgEnv('postgres://u:p%40ss@db.example:6543/fitsdata?sslmode=require');
    expect(database).toBe('fitsdata');
    expect(env).toMatchObject({
      PGHOST: 'db.example',
      PGPORT: '6543',
      PGUSER: 'u',
      PGPASSWORD: 'p@ss',
      PGSSLMODE: 'require',
    });
  });

  it('explains clearly when no pg_dump can talk to the server version', () => {
    expect(() => findPgTool('pg_dump', 99)).toThrow(PgToolError);
    expect(() => findPgTool('pg_dump', 99)).toThrow(
      /server is version 99, but no pg_dump of version 99 or newer was found \(found: .*\)\. Install postgresql-client-99/,
    );
  });
});

// The rest needs a pg_dump matching the test server: the machine's PostgreSQL (CI) has one; the
// embedded PostgreSQL 18 has none unless postgresql-client-18 is installed.
let t: TestDb;
let tmp: ReturnType<typeof tempDir>;
let toolProblem: string | null = null;
beforeAll(async () => {
  t = await createTestDb('ops_backup');
  tmp = tempDir('backup');
  try {
    findPgTool('pg_dump', await serverMajor(t.url));
  } catch (e) {
    toolProblem = (e as Error).message;
    console.warn(`skipping pg_dump tests: ${toolProblem}`);
  }
});
afterAll(async () => {
  await t?.drop();
  tmp?.cleanup();
});

describe('db backup, restore and migrate --rehearse', () => {
  it('backup writes a verified dump and applies retention; restore brings the data back', async (ctx) => {
    if (toolProblem) ctx.skip();
    await t.db.query(`INSERT INTO notification (label, selection) VALUES ('keep me', 'GN-2025A-Q-1')`);
    // The backup's own clock: a fixed day, so what retention keeps is the same whatever the date.
    const now = new Date('2025-03-10T02:00:00Z');
    const db = pgEnv(t.url).database;
    const names = {
      old: backupName(db, new Date('2025-02-08T02:00:00Z')), // 30 days, the 8th: removed
      first: backupName(db, new Date('2025-02-01T02:00:00Z')), // the 1st: kept
      recent: backupName(db, new Date('2025-03-01T02:00:00Z')), // 9 days: kept
      other: backupName('another_db', new Date('2024-01-08T02:00:00Z')), // not ours: left alone
    };
    for (const n of Object.values(names)) writeFileSync(path.join(tmp.dir, n), 'old');
    const r = await backup({ url: t.url, dir: tmp.dir, now });
    expect(r.size).toBeGreaterThan(1000);
    expect(path.basename(r.file)).toBe(backupName(db, now));
    expect(r.removed).toEqual([names.old]);
    expect(readdirSync(tmp.dir).sort()).toEqual(
      [names.first, names.recent, names.other, path.basename(r.file)].sort(),
    );

    await t.db.query(`DELETE FROM notification`);
    await restore({ url: t.url, file: r.file });
    const rows = await t.db.query(`SELECT label FROM notification`);
    expect(rows.rows).toEqual([{ label: 'keep me' }]);
  });

  it('a failing backup leaves no partial file', async (ctx) => {
    if (toolProblem) ctx.skip();
    const bad = new URL(t.url);
    bad.pathname = '/no_such_database_here';
    await expect(backup({ url: bad.toString(), dir: tmp.dir })).rejects.toThrow(
      /database "no_such_database_here" does not exist/,
    );
    expect(readdirSync(tmp.dir).some((f) => f.endsWith('.partial'))).toBe(false);
  });

  it('rehearsal copies the data, applies the migrations to the copy only, and drops it', async (ctx) => {
    if (toolProblem) ctx.skip();
    await t.db.query(`INSERT INTO notification (label, selection) VALUES ('copied', 'x')`);
    let seen = -1;
    const r = await rehearse({
      url: t.url,
      migrate: async (url) => {
        const c = new pg.Client({ connectionString: url });
        await c.connect();
        seen = (await c.query(`SELECT count(*)::int AS n FROM notification WHERE label = 'copied'`)).rows[0]
          .n;
        await c.query('CREATE TABLE rehearsal_probe (id int)');
        await c.end();
        return [{ number: 99, name: '099_probe.sql', sql: '' } as Migration];
      },
    });
    expect(seen).toBe(1);
    expect(r.applied).toEqual(['099_probe.sql']);
    expect((await t.db.query(`SELECT to_regclass('rehearsal_probe') AS x`)).rows[0].x).toBeNull();
    expect(
      (await t.db.query(`SELECT count(*)::int AS n FROM pg_database WHERE datname = $1`, [r.scratch])).rows[0]
        .n,
    ).toBe(0);
  });

  it('a failing rehearsal says the live database was not touched, and drops the scratch copy', async (ctx) => {
    if (toolProblem) ctx.skip();
    let scratch = '';
    await expect(
      rehearse({
        url: t.url,
        migrate: async (url) => {
          scratch = new URL(url).pathname.slice(1);
          throw new Error('migration 099_bad.sql failed: syntax error');
        },
      }),
    ).rejects.toThrow(
      /rehearsal on .* failed; the live database was not touched: migration 099_bad.sql failed/,
    );
    expect(
      (await t.db.query(`SELECT count(*)::int AS n FROM pg_database WHERE datname = $1`, [scratch])).rows[0]
        .n,
    ).toBe(0);
  });
});
