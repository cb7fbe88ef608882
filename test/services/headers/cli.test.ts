import { copyFileSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFitsFile } from '../../../src/fits/reader.js';
import { ingestFile } from '../../../src/services/ingest/ingest.js';
import { sampleFits } from '../../../src/gemini/samples.js';
import { LocalStorage } from '../../../src/storage/local.js';
import { runCli, writeConfig } from '../../helpers/cli.js';
import { createTestDb, type TestDb } from '../../helpers/db.js';
import { putFile } from '../../helpers/fixtures.js';
import { fixedParams, quietLog, tempDir, testConfig } from '../../helpers/env.js';

// `fitsstore header set`: the header update from the shell, by store name or by path.

let t: TestDb;
let tmp: ReturnType<typeof tempDir>;
let config: string;
let root: string;

const header = async (file: string) => (await readFitsFile(file, { wantData: () => false })).hdus[0].header;

beforeAll(async () => {
  t = await createTestDb('headerset');
  tmp = tempDir('headerset');
  const cfg = testConfig(tmp.dir);
  root = cfg.paths.storage_root;
  mkdirSync(root, { recursive: true });
  putFile(path.join(root, 'N20250101S0001.fits'), sampleFits({ serial: 1 }));
  await ingestFile(
    { db: t.db, storage: new LocalStorage(root), config: cfg, log: quietLog, params: fixedParams() },
    { filename: 'N20250101S0001.fits', path: '' },
  );
  config = writeConfig(tmp.dir, {
    database: { url: t.url },
    paths: { var_dir: tmp.dir, storage_root: root, log_dir: path.join(tmp.dir, 'logs') },
  });
});
afterAll(async () => {
  await t?.drop();
  tmp?.cleanup();
});

describe('fitsstore header set', () => {
  it('changes a file in the store by name: recorded like a web request, queued for ingest', async () => {
    const out = await runCli(
      ['header', 'set', 'N20250101S0001.fits', 'qa_state=check', 'EXPTIME=45', "OBSNOTE='42'", '--json'],
      { config },
    );
    expect(out.code, out.stderr).toBe(0);
    expect(JSON.parse(out.stdout)).toEqual({ result: true, id: 'N20250101S0001.fits' });
    const h = await header(path.join(root, 'N20250101S0001.fits'));
    expect([h.get('RAWGEMQA'), h.get('RAWPIREQ'), h.get('EXPTIME'), h.get('OBSNOTE')]).toEqual([
      'CHECK',
      'CHECK',
      45,
      '42',
    ]);
    const q = await t.db.query('SELECT filename, force_md5 FROM ingestqueue');
    expect(q.rows).toEqual([{ filename: 'N20250101S0001.fits', force_md5: true }]);
    expect((await t.db.query('SELECT result, source FROM header_update')).rows[0]).toMatchObject({
      result: true,
    });

    const bad = await runCli(['header', 'set', 'N20250101S0001.fits', 'NAXIS=3'], { config });
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/defines the data layout/);
  });

  it('changes a file given by path outside the store, without queueing it', async () => {
    const file = path.join(tmp.dir, 'loose.fits');
    copyFileSync(path.join(root, 'N20250101S0001.fits'), file);
    const out = await runCli(['header', 'set', file, 'release=2030-01-01', '--reject-new', '--json'], {
      config,
    });
    expect(out.code, out.stderr).toBe(0);
    expect(JSON.parse(out.stdout)).toMatchObject({ inPlace: true, queuedForIngest: false });
    expect((await header(file)).get('RELEASE')).toBe('2030-01-01');
  });
});
