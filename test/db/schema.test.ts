import { afterAll, describe, expect, it } from 'vitest';
import { createTestDb } from '../helpers/db.js';
import { diffSchema, readSchema, type Schema } from './schema.js';
import { expectedSchema } from './schema.expected.js';

// Schema drift: the database the migrations build (the run's template, cloned) is the one the
// code and test/db/schema.expected.ts describe. Each difference is one line naming the table,
// column, index or trigger; update schema.expected.ts when the change is meant.

const t = await createTestDb('schema');
afterAll(() => t.drop());

describe('schema built by the migrations', () => {
  it('has exactly the expected tables, columns, indexes and triggers', async () => {
    const diff = diffSchema(expectedSchema, await readSchema(t.db));
    expect(diff, `schema differs from test/db/schema.expected.ts:\n${diff.join('\n')}`).toEqual([]);
  });

  it('reports a dropped index, a changed column and a new table, each on a line of its own', () => {
    const actual: Schema = structuredClone(expectedSchema);
    delete actual.indexes.ingestqueue_claimable;
    actual.tables.diskfile!.filename = 'integer';
    actual.tables.extra = { id: 'bigint not null' };
    expect(diffSchema(expectedSchema, actual)).toEqual([
      `column diskfile.filename is 'integer', expected 'text not null'`,
      `unexpected table extra: {"id":"bigint not null"}`,
      `missing index ingestqueue_claimable: ${expectedSchema.indexes.ingestqueue_claimable}`,
    ]);
  });
});
