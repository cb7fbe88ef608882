import { mkdirSync, utimesSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { QUEUES } from '../../../src/queues/tables.js';
import { runWorker } from '../../../src/queues/worker.js';
import { makeIngestHandler, type IngestDeps } from '../../../src/services/ingest/ingest.js';
import { enqueueIngest } from '../../../src/services/ingest/ingestqueue.js';
import { sampleFits, sampleName } from '../../../src/gemini/samples.js';
import { LocalStorage } from '../../../src/storage/local.js';
import { createTestDb, type TestDb } from '../../helpers/db.js';
import { fixedParams, quietLog, tempDir, testConfig } from '../../helpers/env.js';

// The nightly "re-queue everything": unchanged files are settled many at a time (one query for
// their diskfiles, a stat each), while a changed one among them still gets its new version.

let t: TestDb;
let tmp: ReturnType<typeof tempDir>;
let deps: IngestDeps;
let root: string;
const old = new Date(Date.now() - 3600_000);
const N = 60;

function put(serial: number, extra = 0) {
  const f = path.join(root, sampleName({ serial, date: '20250105' }));
  writeFileSync(f, sampleFits({ serial, date: '20250105', size: 16 + extra }));
  utimesSync(f, old, new Date(old.getTime() + extra * 1000));
}

async function drain(handler: ReturnType<typeof makeIngestHandler>) {
  return runWorker({
    db: t.db,
    url: t.url,
    queue: QUEUES.ingest,
    name: 'reingest',
    handler,
    log: quietLog,
    signal: new AbortController().signal,
    once: true,
  });
}

beforeAll(async () => {
  t = await createTestDb('reingest');
  tmp = tempDir('reingest');
  const config = testConfig(tmp.dir, { role: 'summit' });
  root = config.paths.storage_root;
  mkdirSync(root, { recursive: true });
  deps = { db: t.db, storage: new LocalStorage(root), config, log: quietLog, params: fixedParams() };
});
afterAll(async () => {
  await t?.drop();
  tmp?.cleanup();
});

describe('re-ingest of unchanged files', () => {
  it('settles unchanged files in batches and still ingests the one that changed', async () => {
    for (let i = 1; i <= N; i++) put(i);
    const names = Array.from({ length: N }, (_, i) => ({
      filename: sampleName({ serial: i + 1, date: '20250105' }),
    }));
    await enqueueIngest(t.db, names);
    expect(await drain(makeIngestHandler(deps))).toMatchObject({ done: N, failed: 0 });

    put(17, 1); // rewritten: new size and mtime
    await enqueueIngest(t.db, names);
    const handler = makeIngestHandler(deps);
    const batches: number[] = [];
    const settle = handler.settle!;
    handler.settle = async (rows) => {
      batches.push(rows.length);
      return settle(rows);
    };
    const handled: string[] = [];
    const counting = Object.assign(
      async (...a: Parameters<typeof handler>) => {
        handled.push(a[0].filename as string);
        return handler(...a);
      },
      { settle: handler.settle },
    );
    expect(await drain(counting)).toMatchObject({ done: N, failed: 0 });
    expect(Math.max(...batches)).toBeGreaterThan(8);
    // The first item goes through the handler alone (it finds it unchanged and says so); from
    // then on batches settle the rest, and only the changed file needs the handler again.
    expect(handled).toContain(sampleName({ serial: 17, date: '20250105' }));
    expect(handled.length).toBeLessThanOrEqual(3);
    const v = await t.db.query(
      `SELECT count(*)::int AS versions, count(*) FILTER (WHERE present)::int AS present FROM diskfile`,
    );
    expect(v.rows[0]).toEqual({ versions: N + 1, present: N });
    expect((await t.db.query('SELECT count(*)::int AS n FROM ingestqueue')).rows[0].n).toBe(0);
  });
});
