import { inject } from 'vitest';
import pg from 'pg';
import { createPool, type Db } from '../../src/db/pool.js';

export interface TestDb {
  url: string;
  db: Db;
  drop(): Promise<void>;
}

function withDatabase(url: string, name: string): string {
  const u = new URL(url);
  u.pathname = '/' + name;
  return u.toString();
}

/** Runs `fn` on a connection of its own to the server's admin database. */
async function admin<T>(fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const c = new pg.Client({ connectionString: inject('pgAdminUrl') });
  await c.connect();
  try {
    return await fn(c);
  } finally {
    await c.end();
  }
}

let made = 0;

/** A fresh, migrated database of its own for one test file: a clone of the run's template. */
export async function createTestDb(label = 'test'): Promise<TestDb> {
  const name =
    `fitsstore_${label.replace(/\W/g, '_')}_${process.pid}_${Date.now().toString(36)}_${++made}`.toLowerCase();
  await admin((c) => c.query(`CREATE DATABASE ${name} TEMPLATE ${inject('pgTemplate')}`));
  const url = withDatabase(inject('pgAdminUrl'), name);
  const db = createPool(url, 20);
  return {
    url,
    db,
    drop: async () => {
      await db.end();
      // Kept when KEEP_TEST_DB is set, so a failure's evidence can be inspected.
      if (process.env.KEEP_TEST_DB) return;
      // With the databases the code under test named after this one (`fitsstore up` makes
      // <name>_archive): every run used to leave one behind on the test server.
      await admin(async (c) => {
        const derived = await c.query(`SELECT datname FROM pg_database WHERE starts_with(datname, $1)`, [
          `${name}_`,
        ]);
        for (const d of [name, ...derived.rows.map((r) => r.datname as string)])
          await c.query(`DROP DATABASE IF EXISTS "${d}" WITH (FORCE)`);
      });
    },
  };
}
