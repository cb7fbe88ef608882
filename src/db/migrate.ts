import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { connectClient, type Queryable } from './pool.js';

// Both src/db/migrate.ts and dist/db/migrate.js sit two levels below the package root.
export const MIGRATIONS_DIR = fileURLToPath(new URL('../../src/db/migrations/', import.meta.url));

export interface Migration {
  number: number;
  name: string;
  sql: string;
}

export function listMigrations(dir = MIGRATIONS_DIR): Migration[] {
  return readdirSync(dir)
    .filter((f) => /^\d+_.*\.sql$/.test(f))
    .sort()
    .map((f) => ({ number: parseInt(f, 10), name: f, sql: readFileSync(dir + f, 'utf8') }));
}

const LOCK_KEY = 7_238_452_001; // arbitrary constant: one migrator at a time per database

export async function appliedMigrations(db: Queryable): Promise<number[]> {
  const r = await db.query(`SELECT to_regclass('schema_migrations') IS NOT NULL AS ok`);
  if (!r.rows[0].ok) return [];
  const rows = await db.query('SELECT number FROM schema_migrations ORDER BY number');
  return rows.rows.map((x) => x.number as number);
}

export async function pendingMigrations(db: Queryable): Promise<Migration[]> {
  const done = new Set(await appliedMigrations(db));
  return listMigrations().filter((m) => !done.has(m.number));
}

/** Applies pending migrations, each in its own transaction that records its number first. */
export async function migrate(url: string, log?: (msg: string) => void): Promise<Migration[]> {
  const client = await connectClient(url);
  try {
    await client.query('SELECT pg_advisory_lock($1)', [LOCK_KEY]);
    await client.query(`CREATE TABLE IF NOT EXISTS schema_migrations (
      number integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())`);
    const pending = await pendingMigrations(client);
    for (const m of pending) {
      await client.query('BEGIN');
      try {
        await client.query('INSERT INTO schema_migrations (number, name) VALUES ($1, $2)', [
          m.number,
          m.name,
        ]);
        await client.query(m.sql);
        await client.query('COMMIT');
        log?.(`applied migration ${m.name}`);
      } catch (e) {
        await client.query('ROLLBACK');
        throw new Error(`migration ${m.name} failed: ${(e as Error).message}`, { cause: e });
      }
    }
    return pending;
  } finally {
    await client.query('SELECT pg_advisory_unlock($1)', [LOCK_KEY]).catch(() => {});
    await client.end();
  }
}
