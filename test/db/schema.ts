import type { Queryable } from '../../src/db/pool.js';

// The shape of a migrated database that the code relies on, read from the catalogue, and the
// differences between two such shapes, one readable line each (test/db/schema.test.ts).

export interface Schema {
  /** table → column → "type[ not null]" */
  tables: Record<string, Record<string, string>>;
  /** index name → its definition (pg_get_indexdef) */
  indexes: Record<string, string>;
  /** trigger name → its definition (pg_get_triggerdef) */
  triggers: Record<string, string>;
}

export async function readSchema(db: Queryable): Promise<Schema> {
  const cols = await db.query(`
    SELECT c.relname AS table, a.attname AS column,
           format_type(a.atttypid, a.atttypmod) || CASE WHEN a.attnotnull THEN ' not null' ELSE '' END AS type
      FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
      JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p') AND a.attnum > 0 AND NOT a.attisdropped
     ORDER BY c.relname, a.attnum`);
  const idx = await db.query(`
    SELECT indexname AS name, indexdef AS def FROM pg_indexes
     WHERE schemaname = 'public' ORDER BY tablename, indexname`);
  const trg = await db.query(`
    SELECT t.tgname AS name, pg_get_triggerdef(t.oid) AS def
      FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid
      JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE n.nspname = 'public' AND NOT t.tgisinternal ORDER BY c.relname, t.tgname`);
  const tables: Schema['tables'] = {};
  for (const r of cols.rows) (tables[r.table] ??= {})[r.column] = r.type;
  return {
    tables,
    indexes: Object.fromEntries(idx.rows.map((r) => [r.name, r.def])),
    triggers: Object.fromEntries(trg.rows.map((r) => [r.name, r.def])),
  };
}

/** Lines saying how `actual` differs from `expected`; empty when they agree. */
export function diffSchema(expected: Schema, actual: Schema): string[] {
  const out: string[] = [];
  const keys = (a: object, b: object) => [...new Set([...Object.keys(a), ...Object.keys(b)])].sort();
  for (const t of keys(expected.tables, actual.tables)) {
    const e = expected.tables[t];
    const a = actual.tables[t];
    if (!a) out.push(`missing table ${t} (expected columns: ${Object.keys(e!).join(', ')})`);
    else if (!e) out.push(`unexpected table ${t}: ${JSON.stringify(a)}`);
    else
      for (const c of keys(e, a)) {
        if (!(c in a)) out.push(`missing column ${t}.${c} (expected ${e[c]})`);
        else if (!(c in e)) out.push(`unexpected column ${t}.${c}: '${a[c]}'`);
        else if (a[c] !== e[c]) out.push(`column ${t}.${c} is '${a[c]}', expected '${e[c]}'`);
      }
  }
  for (const kind of ['indexes', 'triggers'] as const) {
    const what = kind === 'indexes' ? 'index' : 'trigger';
    const e = expected[kind];
    const a = actual[kind];
    for (const n of keys(e, a)) {
      if (!(n in a)) out.push(`missing ${what} ${n}: ${e[n]}`);
      else if (!(n in e)) out.push(`unexpected ${what} ${n}: '${a[n]}'`);
      else if (a[n] !== e[n]) out.push(`${what} ${n} is '${a[n]}', expected '${e[n]}'`);
    }
  }
  return out;
}
