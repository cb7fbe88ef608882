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

async function admin(sql: string): Promise<void> {
  const c = new pg.Client({ connectionString: inject('pgAdminUrl') });
  await c.connect();
  try {
    await c.query(sql);
  } finally {
    await c.end();
  }
}

let made = 0;

/** A fresh, migrated database of its own for one test file: a clone of the run's template. */
export async function createTestDb(label = 'test'): Promise<TestDb> {
  const name =
    `fitsstore_${label.replace(/\W/g, '_')}_${process.pid}_${Date.now().toString(36)}_${++made}`.toLowerCase();
  await admin(`CREATE DATABASE ${name} TEMPLATE ${inject('pgTemplate')}`);
  const url = withDatabase(inject('pgAdminUrl'), name);
  const db = createPool(url, 20);
  return {
    url,
    db,
    drop: async () => {
      await db.end();
      // Kept when KEEP_TEST_DB is set, so a failure's evidence can be inspected.
      if (process.env.KEEP_TEST_DB) return;
      await admin(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    },
  };
}
