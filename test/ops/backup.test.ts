import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it, inject } from 'vitest';
import type { Migration } from '../../src/db/migrate.js';
import { startEmbedded, type EmbeddedHandle } from '../../src/db/embedded.js';
import { migrate } from '../../src/db/migrate.js';
import { backup, rehearse, restore } from '../../src/ops/backup.js';
import { freePort, type OwnedCluster } from '../../src/ops/cluster-backup.js';
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

// Backup, restore and rehearsal, on each kind of server the suite has:
// - the embedded cluster fitsstore owns (a private one for this file, started here: a physical
//   restore stops and replaces the whole cluster, which the shared test server must not suffer).
//   It needs nothing installed, so it runs everywhere;
// - the suite's system server (TEST_DATABASE_URL), through pg_dump/pg_restore, when the suite runs
//   on one. Without TEST_DATABASE_URL there is no system server to back up.
interface Target {
  url: string;
  cluster?: OwnedCluster;
  /** After a physical restore (which leaves the cluster stopped): serve again. */
  reopen(): Promise<void>;
  scratchGone(scratch: string): Promise<boolean>;
  close(): Promise<void>;
}

async function query(url: string, sql: string, params: unknown[] = []) {
  // One client per statement: a pool would hold connections the restore kills.
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    return (await c.query(sql, params)).rows;
  } finally {
    await c.end();
  }
}

async function embeddedTarget(): Promise<Target> {
  const varDir = tempDir('backup-cluster');
  const port = await freePort();
  let server: EmbeddedHandle = await startEmbedded(varDir.dir, port, 'fitsstore_bk');
  await migrate(server.url);
  return {
    url: server.url,
    cluster: { varDir: varDir.dir, port },
    async reopen() {
      server = await startEmbedded(varDir.dir, port, 'fitsstore_bk');
    },
    scratchGone: async (scratch) => !existsSync(scratch),
    async close() {
      await server.stop();
      varDir.cleanup();
    },
  };
}

async function systemTarget(): Promise<Target> {
  const t: TestDb = await createTestDb('ops_backup');
  return {
    url: t.url,
    reopen: async () => {},
    scratchGone: async (scratch) =>
      (await query(t.url, `SELECT count(*)::int AS n FROM pg_database WHERE datname = $1`, [scratch]))[0]
        .n === 0,
    close: () => t.drop(),
  };
}

const targets: [string, () => Promise<Target>][] = [
  ['the embedded cluster (physical copy, nothing installed)', embeddedTarget],
  ...(process.env.TEST_DATABASE_URL
    ? [['a system server (pg_dump)', systemTarget] as [string, () => Promise<Target>]]
    : []),
];

describe.each(targets)('db backup, restore and migrate --rehearse: %s', (_label, make) => {
  let t: Target;
  let tmp: ReturnType<typeof tempDir>;
  beforeAll(async () => {
    t = await make();
    tmp = tempDir('backup');
  });
  afterAll(async () => {
    await t?.close();
    tmp?.cleanup();
  });

  it('backup writes a verified file and applies retention; restore brings the data back', async () => {
    await query(t.url, `INSERT INTO notification (label, selection) VALUES ('keep me', 'GN-2025A-Q-1')`);
    const now = d('2025-06-15');
    const database = pgEnv(t.url).database;
    const old = backupName(database, d('2025-05-16')); // 30 days, not the 1st/11th/21st: goes
    const keptOld = backupName(database, d('2025-05-01')); // the 1st, 45 days: stays
    writeFileSync(path.join(tmp.dir, old), 'old');
    writeFileSync(path.join(tmp.dir, keptOld), 'old but the 1st');
    const r = await backup({ url: t.url, dir: tmp.dir, now, cluster: t.cluster });
    expect(r.size).toBeGreaterThan(1000);
    expect(path.basename(r.file)).toBe(backupName(database, now, t.cluster ? 'cluster' : 'dump'));
    expect(readdirSync(tmp.dir).some((f) => f.endsWith('.partial'))).toBe(false);
    expect(r.removed).toEqual([old]);
    expect(existsSync(path.join(tmp.dir, keptOld))).toBe(true);

    // Changed after the backup: the restore takes it back.
    await query(t.url, `DELETE FROM notification`);
    await query(t.url, `INSERT INTO notification (label, selection) VALUES ('after the backup', 'x')`);
    await restore({ url: t.url, file: r.file, cluster: t.cluster });
    await t.reopen();
    const rows = await query(t.url, `SELECT label FROM notification`);
    expect(rows).toEqual([{ label: 'keep me' }]);
  });

  it('a failing backup leaves no partial file', async () => {
    const bad = new URL(t.url);
    bad.pathname = '/no_such_database_here';
    await expect(backup({ url: bad.toString(), dir: tmp.dir, cluster: t.cluster })).rejects.toThrow(
      /no_such_database_here/,
    );
    expect(readdirSync(tmp.dir).some((f) => f.endsWith('.partial'))).toBe(false);
  });

  it('rehearsal copies the data, applies the migrations to the copy only, and drops it', async () => {
    await query(t.url, `INSERT INTO notification (label, selection) VALUES ('copied', 'x')`);
    let seen = -1;
    const r = await rehearse({
      url: t.url,
      cluster: t.cluster,
      migrate: async (url) => {
        seen = (await query(url, `SELECT count(*)::int AS n FROM notification WHERE label = 'copied'`))[0].n;
        await query(url, 'CREATE TABLE rehearsal_probe (id int)');
        return [{ number: 99, name: '099_probe.sql', sql: '' } as Migration];
      },
    });
    expect(seen).toBe(1);
    expect(r.applied).toEqual(['099_probe.sql']);
    expect((await query(t.url, `SELECT to_regclass('rehearsal_probe') AS x`))[0].x).toBeNull();
    expect(await t.scratchGone(r.scratch)).toBe(true);
  });

  it('a failing rehearsal says the live database was not touched, and drops the scratch copy', async () => {
    let scratch = '';
    await expect(
      rehearse({
        url: t.url,
        cluster: t.cluster,
        migrate: async () => {
          throw new Error('migration 099_bad.sql failed: syntax error');
        },
      }).catch((e: Error) => {
        scratch = /rehearsal on (\S+) failed/.exec(e.message)?.[1] ?? '';
        throw e;
      }),
    ).rejects.toThrow(
      /rehearsal on .* failed; the live database was not touched: migration 099_bad.sql failed/,
    );
    expect(scratch).not.toBe('');
    expect(await t.scratchGone(scratch)).toBe(true);
  });
});

describe('db backup against a system server without a usable pg_dump', () => {
  it('fails with one line naming the pg_dump version needed', async () => {
    const url = inject('pgAdminUrl');
    const empty = tempDir('no-pgdump');
    try {
      const err = await backup({ url, dir: empty.dir, binDir: empty.dir }).catch((e: Error) => e);
      expect(err).toBeInstanceOf(PgToolError);
      expect((err as Error).message).toMatch(
        /^the PostgreSQL server is version \d+, but no pg_dump of version \d+ or newer was found/,
      );
      expect((err as Error).message).not.toContain('\n');
      expect(readdirSync(empty.dir)).toEqual([]);
    } finally {
      empty.cleanup();
    }
  });
});
