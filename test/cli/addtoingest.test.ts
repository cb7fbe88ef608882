import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sampleFits } from '../../src/gemini/samples.js';
import { runCli, writeConfig } from '../helpers/cli.js';
import { createTestDb, type TestDb } from '../helpers/db.js';
import { tempDir } from '../helpers/env.js';

// add-to-ingest-queue must not exit 0 quietly on a typo: a --path that is not there, or a
// --filename that is not in the store, is an error; queueing a whole directory is said out loud.

let t: TestDb;
let tmp: ReturnType<typeof tempDir>;
let config: string;

beforeAll(async () => {
  t = await createTestDb('addtoingest');
  tmp = tempDir('addtoingest');
  const store = path.join(tmp.dir, 'dataflow');
  mkdirSync(path.join(store, 'masks'), { recursive: true });
  writeFileSync(path.join(store, 'N20250101S0001.fits'), sampleFits({ serial: 1, date: '20250101' }));
  writeFileSync(
    path.join(store, 'masks', 'N20250101S0002.fits'),
    sampleFits({ serial: 2, date: '20250101' }),
  );
  config = writeConfig(tmp.dir, {
    database: { url: t.url },
    paths: {
      var_dir: tmp.dir,
      storage_root: store,
      log_dir: path.join(tmp.dir, 'logs'),
      lock_dir: path.join(tmp.dir, 'lock'),
    },
  });
});
afterAll(async () => {
  await t?.drop();
  tmp?.cleanup();
});

describe('add-to-ingest-queue on names that are not there', { timeout: 120_000 }, () => {
  it('--path /nonexistent: an error naming it, exit 1, nothing queued', async () => {
    const r = await runCli(['add-to-ingest-queue', '--path', '/nonexistent'], { config });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/--path nonexistent: no such directory in the store/);
    expect((await t.db.query('SELECT 1 FROM ingestqueue')).rowCount).toBe(0);
  });

  it('a --filename that is not in the store: reported and not queued, the others queued, exit 1', async () => {
    const r = await runCli(
      ['add-to-ingest-queue', '--filename', 'N20250101S0001.fits', 'N20250101S0999.fits'],
      {
        config,
      },
    );
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/N20250101S0999.fits: not in the store; not queued/);
    expect(r.stderr).toMatch(/queued 1 files for ingest, 0 already pending, 0 skipped of 1, 1 not found/);
    const q = await t.db.query('SELECT filename FROM ingestqueue');
    expect(q.rows.map((x) => x.filename)).toEqual(['N20250101S0001.fits']);
  });

  it('without --file-re it says it queues the whole directory (the runbooks cron: --path=masks)', async () => {
    const r = await runCli(['add-to-ingest-queue', '--path=masks'], { config });
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/no --file-re: queued every file in masks\/ of the store/);
    const top = await runCli(['add-to-ingest-queue'], { config });
    expect(top.stderr).toMatch(/no --file-re: queued every file in the top directory of the store/);
    const named = await runCli(['add-to-ingest-queue', '--file-re=N2025'], { config });
    expect(named.stderr).not.toMatch(/no --file-re/);
  });
});
