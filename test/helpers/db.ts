import { inject } from 'vitest';
import pg from 'pg';
import { migrate } from '../../src/db/migrate.js';
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

/** A fresh, migrated database of its own for one test file. */
export async function createTestDb(label = 'test'): Promise<TestDb> {
  const admin = inject('pgAdminUrl');
  const name =
    `fitsstore_${label.replace(/\W/g, '_')}_${process.pid}_${Date.now().toString(36)}`.toLowerCase();
  const c = new pg.Client({ connectionString: admin });
  await c.connect();
  await c.query(`CREATE DATABASE ${name}`);
  await c.end();
  const url = withDatabase(admin, name);
  await migrate(url);
  const db = createPool(url, 20);
  return {
    url,
    db,
    drop: async () => {
      await db.end();
      // Kept when KEEP_TEST_DB is set, so a failure's evidence can be inspected.
      if (process.env.KEEP_TEST_DB) return;
      const a = new pg.Client({ connectionString: admin });
      await a.connect();
      await a.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await a.end();
    },
  };
}
