import { describe, expect, it } from 'vitest';
import { readSrc } from '../helpers/srcfiles.js';

// The queue tables belong to src/queues/ (docs/design.md, "Queues"): every statement on them is
// there, so "what touches ingestqueue" has one answer and pending, the live workers and the return
// to pending are defined once. A statement elsewhere, by name or through a descriptor's
// `${q.table}`, fails here; call (or add) a function of src/queues instead.

const QUEUE_SQL =
  /\b(?:FROM|JOIN|INTO|UPDATE|DELETE\s+FROM)\s+(?:ingestqueue|exportqueue|previewqueue|calcachequeue|queue_error|queue_worker|\$\{[^}]*\.table\})(?![\w])/gi;

/** "file:line: text" for every statement on a queue table in these sources. */
export function queueSqlOutsideQueues(files: Map<string, string>): string[] {
  const found: string[] = [];
  for (const [file, source] of files) {
    if (file.startsWith('queues/')) continue;
    source.split('\n').forEach((line, i) => {
      if (line.match(QUEUE_SQL)) found.push(`${file}:${i + 1}: ${line.trim()}`);
    });
  }
  return found;
}

describe('queue table ownership', () => {
  it('no module outside src/queues/ has SQL on a queue table', () => {
    const files = readSrc();
    expect(files.size).toBeGreaterThan(100);
    expect(queueSqlOutsideQueues(files)).toEqual([]);
  });

  it('the check sees literal and descriptor-built statements, and leaves src/queues and prose alone', () => {
    const files = new Map([
      ['ops/a.ts', "await db.query('SELECT name FROM queue_worker WHERE x');"],
      ['server/b.ts', 'db.query(`SELECT * FROM ${q.table} WHERE failed`);'],
      ['services/c.ts', '`DELETE FROM exportqueue t USING cand`'],
      ['services/d.ts', '`update  ingestqueue set after = now()`'],
      ['queues/engine.ts', '`UPDATE ${q.table} SET in_progress = true`'],
      ['services/e.ts', '// one exportqueue row → the file at the destination; failures go to queue_error'],
      ['services/f.ts', "import { enqueueIngest } from '../ingest/ingestqueue.js';"],
    ]);
    expect(queueSqlOutsideQueues(files)).toEqual([
      "ops/a.ts:1: await db.query('SELECT name FROM queue_worker WHERE x');",
      'server/b.ts:1: db.query(`SELECT * FROM ${q.table} WHERE failed`);',
      'services/c.ts:1: `DELETE FROM exportqueue t USING cand`',
      'services/d.ts:1: `update  ingestqueue set after = now()`',
    ]);
  });
});
