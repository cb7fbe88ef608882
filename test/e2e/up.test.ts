import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { up, type UpSummary } from '../../src/cli/up/up.js';
import { LocalStorage } from '../../src/storage/local.js';
import { createTestDb, type TestDb } from '../helpers/db.js';
import { quietLog, tempDir, testConfig } from '../helpers/env.js';
import { waitFor } from '../helpers/wait.js';

// `fitsstore up` (what `npm start` runs): sample files written into the DHS end up searchable on
// the archive, which has its own database and store and receives them over HTTP.

let t: TestDb;
let tmp: ReturnType<typeof tempDir>;
beforeAll(async () => {
  t = await createTestDb('up');
  tmp = tempDir('up');
});
afterAll(async () => {
  await t?.drop(); // and <name>_archive, which `up` made
  tmp?.cleanup();
});

describe('fitsstore up', () => {
  it('takes the samples from the DHS to the archive, where /jsonsummary lists them and previews follow', async () => {
    const config = testConfig(tmp.dir, { server: { port: 0 } });
    const ac = new AbortController();
    let listed: Record<string, unknown>[] = [];
    let ready!: UpSummary;
    let afterwards: { previews: number; calcache_pending: number } = { previews: 0, calcache_pending: -1 };
    const done = up({
      config,
      database: { db: t.db, url: t.url, close: async () => {} },
      storage: new LocalStorage(config.paths.storage_root),
      log: quietLog,
      signal: ac.signal,
      samples: 6,
      onReady: (s) => {
        ready = { ...s };
        const date = new Date().toISOString().slice(0, 10).replace(/-/g, '');
        (async () => {
          listed = (await (await fetch(`${s.archiveUrl}jsonsummary/${date}`)).json()) as Record<
            string,
            unknown
          >[];
          // Previews and calibration associations follow on the archive.
          const a = new pg.Client({ connectionString: s.archiveDatabaseUrl });
          await a.connect();
          try {
            // On a time-out the expectation on `afterwards` below says what the archive had.
            await waitFor(
              async () => {
                const r = await a.query(
                  `SELECT (SELECT count(*) FROM preview)::int AS previews,
                          (SELECT count(*) FROM calcachequeue)::int AS calcache_pending`,
                );
                afterwards = r.rows[0];
                return afterwards.previews >= 6 && afterwards.calcache_pending === 0;
              },
              { what: 'the archive to make the previews and calibration associations' },
            ).catch(() => {});
          } finally {
            await a.end();
          }
        })().finally(() => ac.abort());
      },
    });
    const s = await done;
    expect(ready.archived).toBe(6);
    expect(s.failed).toBe(0);
    expect(afterwards).toEqual({ previews: 6, calcache_pending: 0 });
    expect(s.archiveStoreDir).toBe(path.join(tmp.dir, 'archive', 'dataflow'));
    expect(listed.map((x) => String(x.name)).sort()).toEqual(
      s.generated.map((n) => n.replace(/\.bz2$/, '')).sort(),
    );
    // Two databases: the summit's has no uploads, the archive's has one per sample.
    const summitUploads = await t.db.query('SELECT count(*)::int AS n FROM fileuploadlog');
    expect(summitUploads.rows[0].n).toBe(0);
    const a = new pg.Client({ connectionString: s.archiveDatabaseUrl });
    await a.connect();
    const archiveUploads = await a.query('SELECT count(*)::int AS n FROM fileuploadlog');
    await a.end();
    expect(archiveUploads.rows[0].n).toBe(6);
  }, 60_000);
});
