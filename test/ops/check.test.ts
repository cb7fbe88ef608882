import { mkdirSync, rmSync, unlinkSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Config } from '../../src/config/schema.js';
import { check, parseBytes } from '../../src/ops/check.js';
import { ingestFile } from '../../src/services/ingest/ingest.js';
import { sampleFits } from '../../src/gemini/samples.js';
import { LocalStorage } from '../../src/storage/local.js';
import { createTestDb, type TestDb } from '../helpers/db.js';
import { putFile } from '../helpers/fixtures.js';
import { fixedParams, quietLog, tempDir, testConfig } from '../helpers/env.js';

let t: TestDb;
let tmp: ReturnType<typeof tempDir>;
let config: Config;
let storage: LocalStorage;
let root: string;
const old = new Date(Date.now() - 3600_000);

beforeAll(async () => {
  t = await createTestDb('ops_check');
  tmp = tempDir('check');
  config = testConfig(tmp.dir, { role: 'archive' });
  root = config.paths.storage_root;
  storage = new LocalStorage(root);
});
afterAll(async () => {
  await t?.drop();
  tmp?.cleanup();
});
beforeEach(async () => {
  await t.db.query(
    'TRUNCATE file, diskfile, header, fulltextheader, ingestqueue, previewqueue, calcachequeue, ops_scrub_state CASCADE',
  );
  rmSync(root, { recursive: true, force: true });
  mkdirSync(root, { recursive: true });
});

const name = (i: number) => `N20250401S${String(i).padStart(4, '0')}.fits`;
const put = (key: string, bytes: Buffer, mtime = old) => putFile(path.join(root, key), bytes, mtime);
/** n ingested files (each 8,640 bytes), optionally under a directory. */
async function store(n: number, dir = '') {
  for (let i = 1; i <= n; i++) {
    put(path.posix.join(dir, name(i)), sampleFits({ serial: i, date: '20250401' }));
    await ingestFile(
      { db: t.db, storage, config, log: quietLog, params: fixedParams() },
      { filename: name(i), path: dir },
    );
  }
  await t.db.query('TRUNCATE previewqueue, calcachequeue');
}
const run = (o: Partial<Parameters<typeof check>[0]> = {}) => check({ db: t.db, storage, ...o });

describe('check (fast mode)', () => {
  it('healthy store: no problems', async () => {
    await store(3);
    const r = await run();
    expect(r.problems).toEqual([]);
    expect(r.checked).toMatchObject({ diskfiles: 3, storeFiles: 3 });
  });

  it('reports a missing file and, with --fix, marks it not present', async () => {
    await store(3);
    unlinkSync(path.join(root, name(2)));
    const report = await run();
    expect(report.problems).toEqual([
      {
        kind: 'missing',
        key: name(2),
        diskfileId: expect.any(Number),
        detail: 'present in the database, not in the store',
      },
    ]);
    expect((await t.db.query('SELECT count(*)::int AS n FROM diskfile WHERE present')).rows[0].n).toBe(3); // report only
    const fixed = await run({ fix: true });
    expect(fixed.fixed.markedNotPresent).toBe(1);
    expect(
      (await t.db.query('SELECT present FROM diskfile WHERE filename = $1', [name(2)])).rows[0].present,
    ).toBe(false);
    expect((await run()).problems).toEqual([]);
  });

  it('refuses to mark a mostly-missing store not present without --force (unmounted store)', async () => {
    await store(12);
    rmSync(root, { recursive: true, force: true });
    mkdirSync(root);
    const r = await run({ fix: true });
    expect(r.refused).toMatch(/12 of 12 files look missing/);
    expect(r.fixed.markedNotPresent).toBe(0);
    const forced = await run({ fix: true, force: true });
    expect(forced.fixed.markedNotPresent).toBe(12);
  });

  it('reports orphans (ignoring temp files and files still settling) and queues them with --fix', async () => {
    await store(1);
    put(`alopeke/20201023/${name(5)}`, Buffer.from('x'));
    put(`.${name(6)}.tmp-123-abc`, Buffer.from('x'));
    put(name(7), Buffer.from('x'), new Date()); // being written right now
    const r = await run();
    expect(r.problems.map((p) => [p.kind, p.key])).toEqual([['orphan', `alopeke/20201023/${name(5)}`]]);
    expect(r.checked.ignored).toBe(1);
    const fixed = await run({ fix: true });
    expect(fixed.fixed.queued).toBe(1);
    const q = await t.db.query('SELECT filename, path FROM ingestqueue');
    expect(q.rows).toEqual([{ filename: name(5), path: 'alopeke/20201023' }]);
    expect((await run()).problems).toEqual([]); // queued: no longer an orphan
  });

  it('reports a size mismatch and queues a re-ingest with --fix; --path limits the check', async () => {
    await store(2, 'sub');
    put(`sub/${name(1)}`, Buffer.concat([sampleFits({ serial: 1, date: '20250401' }), Buffer.alloc(2880)]));
    const r = await run({ prefix: 'sub' });
    expect(r.problems.map((p) => p.kind)).toEqual(['size']);
    expect((await run({ prefix: 'elsewhere' })).checked.diskfiles).toBe(0);
    await run({ fix: true });
    expect((await t.db.query('SELECT filename, path FROM ingestqueue')).rows).toEqual([
      { filename: name(1), path: 'sub' },
    ]);
  });
});

describe('check --md5 (rolling scrub)', () => {
  it('finds a same-size corruption and covers the store over successive budgeted runs', async () => {
    await store(5);
    const size = sampleFits({ serial: 1, date: '20250401' }).length;
    // Same size, different bytes: only a checksum sees it.
    const bad = sampleFits({ serial: 4, date: '20250401' });
    bad[bad.length - 1] ^= 0xff;
    put(name(4), bad);
    const seen: number[] = [];
    let found = 0;
    for (let i = 0; i < 3; i++) {
      const r = await run({ md5: true, byteBudget: 2 * size, orphans: false });
      seen.push(r.checked.md5Files);
      found += r.problems.filter((p) => p.kind === 'md5').length;
      expect(r.problems.filter((p) => p.kind !== 'md5')).toEqual([]);
    }
    expect(seen).toEqual([2, 2, 2]); // 2 + 2 + (1 and wrap to the first)
    expect(found).toBe(1);
    const state = (await t.db.query('SELECT * FROM ops_scrub_state')).rows[0];
    expect(state.passes_completed).toBe(1);
  });

  it('without a budget reads everything once and completes a pass', async () => {
    await store(3);
    const r = await run({ md5: true });
    expect(r.checked.md5Files).toBe(3);
    expect(r.scrub).toMatchObject({ fromId: 0, wrapped: true, passesCompleted: 1 });
    expect(r.problems).toEqual([]);
  });

  it('parses byte budgets', () => {
    expect(parseBytes('200G')).toBe(200 * 2 ** 30);
    expect(parseBytes('10MB')).toBe(10 * 2 ** 20);
    expect(parseBytes('4096')).toBe(4096);
    expect(() => parseBytes('lots')).toThrow(/expected a size/);
  });
});
