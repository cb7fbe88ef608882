import { readdirSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, writeConfig } from '../helpers/cli.js';
import { createTestDb, type TestDb } from '../helpers/db.js';
import { tempDir } from '../helpers/env.js';

// `npm start` twice on one machine: the second run once wrote the same sample names, ingested
// none of them, and `up --exit` never exited. Each run now brings new samples in and exits.

let t: TestDb;
let tmp: ReturnType<typeof tempDir>;

beforeAll(async () => {
  t = await createTestDb('up_rerun');
  tmp = tempDir('up-rerun');
});
afterAll(async () => {
  await t?.drop();
  tmp?.cleanup();
});

describe('fitsstore up --exit, run twice on the same directories', () => {
  it('each run writes new samples, ingests them and exits 0', async () => {
    const config = writeConfig(tmp.dir, {
      database: { url: t.url },
      server: { port: 0 },
      paths: {
        var_dir: tmp.dir,
        dhs_dir: path.join(tmp.dir, 'dhs'),
        storage_root: path.join(tmp.dir, 'dataflow'),
        log_dir: path.join(tmp.dir, 'logs'),
        lock_dir: path.join(tmp.dir, 'lock'),
      },
    });
    for (const run of [1, 2]) {
      const r = await runCli(['up', '--exit', '--samples', '4'], { config, timeoutMs: 120_000 });
      expect(r.code, `run ${run}: ${r.stderr.slice(-2000)}`).toBe(0);
      expect(r.stdout).toMatch(
        /fitsstore is up: 4 of 4 sample files copied from the DHS, ingested at the summit, exported over HTTP and searchable on the archive/,
      );
    }
    expect(readdirSync(path.join(tmp.dir, 'dhs')).filter((f) => /^N\d{8}S\d{4}\.fits/.test(f))).toHaveLength(
      8,
    );
    const n = await t.db.query('SELECT count(*)::int AS n FROM diskfile WHERE present');
    expect(n.rows[0].n).toBe(8);
  }, 300_000);
});
