import { createHash } from 'node:crypto';
import path from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ingestFile, type IngestDeps } from '../../../src/services/ingest/ingest.js';
import { sampleFits, bzip2, brokenSample } from '../../../src/gemini/samples.js';
import { LocalStorage } from '../../../src/storage/local.js';
import { createTestDb, type TestDb } from '../../helpers/db.js';
import { putFile } from '../../helpers/fixtures.js';
import { fixedParams, quietLog, tempDir, testConfig } from '../../helpers/env.js';

let t: TestDb;
let tmp: ReturnType<typeof tempDir>;
let deps: IngestDeps;
let root: string;
const md5 = (b: Buffer) => createHash('md5').update(b).digest('hex');
const old = new Date(Date.now() - 3600_000);

const put = (name: string, bytes: Buffer, mtime = old) => putFile(path.join(root, name), bytes, mtime);

beforeAll(async () => {
  t = await createTestDb('ingest');
  tmp = tempDir('ingest');
  const config = testConfig(tmp.dir, {
    role: 'summit',
    export: { destinations: [{ url: 'http://archive.example' }, { url: 'http://mirror.example' }] },
  });
  root = config.paths.storage_root;
  deps = {
    db: t.db,
    storage: new LocalStorage(root),
    config,
    log: quietLog,
    params: fixedParams({ ingest_defer_seconds: 5 }),
  };
});
afterAll(async () => {
  await t?.drop();
  tmp?.cleanup();
});
beforeEach(async () => {
  await t.db.query('TRUNCATE file, diskfile, header, fulltextheader, exportqueue, queue_error CASCADE');
});

describe('ingest', () => {
  it('ingests a new file: one canonical present diskfile, a header row, export rows per destination', async () => {
    const bytes = sampleFits({ serial: 1, date: '20250102', extensions: 2 });
    put('N20250102S0001.fits', bytes);
    const out = await ingestFile(deps, { filename: 'N20250102S0001.fits', path: '' });
    expect(out.action).toBe('new');
    const df = await t.db.query('SELECT * FROM diskfile');
    expect(df.rows).toHaveLength(1);
    expect(df.rows[0]).toMatchObject({
      present: true,
      canonical: true,
      file_md5: md5(bytes),
      data_md5: md5(bytes),
      file_size: bytes.length,
    });
    const h = await t.db.query(
      'SELECT program_id, instrument, observation_type, data_label, telescope FROM header',
    );
    expect(h.rows[0]).toMatchObject({
      instrument: 'GMOS-N',
      observation_type: 'OBJECT',
      telescope: 'Gemini-North',
    });
    expect(h.rows[0].data_label).toMatch(/^GN-2025/);
    const ft = await t.db.query('SELECT fulltext FROM fulltextheader');
    expect(ft.rows[0].fulltext).toContain('TELESCOP');
    const ex = await t.db.query('SELECT destination FROM exportqueue ORDER BY destination');
    expect(ex.rows.map((r) => r.destination)).toEqual(['http://archive.example', 'http://mirror.example']);
  });

  it('trims .bz2 in file.name and records md5/size of the decompressed data', async () => {
    const raw = sampleFits({ serial: 2, date: '20250102' });
    const packed = bzip2(raw);
    put('N20250102S0002.fits.bz2', packed);
    await ingestFile(deps, { filename: 'N20250102S0002.fits.bz2', path: '' });
    const r = await t.db.query('SELECT f.name, df.* FROM diskfile df JOIN file f ON f.id = df.file_id');
    expect(r.rows[0]).toMatchObject({
      name: 'N20250102S0002.fits',
      filename: 'N20250102S0002.fits.bz2',
      compressed: true,
      file_md5: md5(packed),
      file_size: packed.length,
      data_md5: md5(raw),
      data_size: raw.length,
    });
  });

  it('re-ingesting an unchanged file is a no-op; a changed file becomes a new version', async () => {
    put('N20250102S0003.fits', sampleFits({ serial: 3, date: '20250102' }));
    const first = await ingestFile(deps, { filename: 'N20250102S0003.fits', path: '' });
    const again = await ingestFile(deps, { filename: 'N20250102S0003.fits', path: '' });
    expect(again).toEqual({ action: 'unchanged', diskfileId: (first as any).diskfileId });
    // Same bytes, new mtime: md5 decides, still unchanged.
    put('N20250102S0003.fits', sampleFits({ serial: 3, date: '20250102' }), new Date(Date.now() - 600_000));
    expect((await ingestFile(deps, { filename: 'N20250102S0003.fits', path: '' })).action).toBe('unchanged');
    put(
      'N20250102S0003.fits',
      sampleFits({ serial: 3, date: '20250102', object: 'M31' }),
      new Date(Date.now() - 60_000),
    );
    const changed = await ingestFile(deps, { filename: 'N20250102S0003.fits', path: '' });
    expect(changed.action).toBe('updated');
    const versions = await t.db.query('SELECT present, canonical FROM diskfile ORDER BY id');
    expect(versions.rows).toEqual([
      { present: false, canonical: false },
      { present: true, canonical: true },
    ]);
    const h = await t.db.query(
      'SELECT object FROM header h JOIN diskfile df ON df.id = h.diskfile_id WHERE df.canonical',
    );
    expect(h.rows[0].object).toBe('M31');
  });

  it('--force makes a new version of an unchanged file', async () => {
    put('N20250102S0004.fits', sampleFits({ serial: 4, date: '20250102' }));
    await ingestFile(deps, { filename: 'N20250102S0004.fits', path: '' });
    const forced = await ingestFile(deps, { filename: 'N20250102S0004.fits', path: '', force: true });
    expect(forced.action).toBe('updated');
  });

  it.each([
    // [mtime relative to now (ms), outcome]: ingest_defer_seconds is 5
    [-2_000, { action: 'deferred', seconds: 3 }],
    [-4_999, { action: 'deferred', seconds: 0.5 }], // never a busy loop of tiny deferrals
    [-5_000, { action: 'new' }],
    [30_000, { action: 'deferred', seconds: 35 }], // a writer's clock a little ahead: still being written
    [-60_000, { action: 'new' }],
    [61_000, { action: 'new' }], // far in the future: a wrong clock, not a fresh file; never held
  ])('a file modified %i ms from now: %o', async (offset, outcome) => {
    const now = Date.UTC(2025, 0, 2, 12);
    put('N20250102S0005.fits', sampleFits({ serial: 5, date: '20250102' }), new Date(now + offset));
    const out = await ingestFile({ ...deps, now: () => now }, { filename: 'N20250102S0005.fits', path: '' });
    expect(out).toMatchObject(outcome);
    const rows = (await t.db.query('SELECT count(*)::int AS n FROM diskfile')).rows[0].n;
    expect(rows).toBe(outcome.action === 'new' ? 1 : 0);
  });

  it('a missing file is an error naming it, and its present diskfile is marked not present', async () => {
    put('N20250102S0006.fits', sampleFits({ serial: 6, date: '20250102' }));
    await ingestFile(deps, { filename: 'N20250102S0006.fits', path: '' });
    const { unlinkSync } = await import('node:fs');
    unlinkSync(path.join(root, 'N20250102S0006.fits'));
    await expect(ingestFile(deps, { filename: 'N20250102S0006.fits', path: '' })).rejects.toThrow(
      /N20250102S0006\.fits: file not found/,
    );
    const r = await t.db.query('SELECT present, canonical FROM diskfile');
    expect(r.rows).toEqual([{ present: false, canonical: true }]);
  });

  it('a corrupt file is an error naming the file and the reason; nothing is recorded as ingested', async () => {
    put('N20250102S0007.fits', brokenSample('not-fits', { serial: 7 }));
    await expect(ingestFile(deps, { filename: 'N20250102S0007.fits', path: '' })).rejects.toThrow(
      /N20250102S0007\.fits: not a valid FITS file/,
    );
    put('N20250102S0008.fits', brokenSample('truncated', { serial: 8, extensions: 2 }));
    await expect(ingestFile(deps, { filename: 'N20250102S0008.fits', path: '' })).rejects.toThrow(
      /N20250102S0008\.fits.*trunc/i,
    );
    put('N20250102S0009.fits.bz2', Buffer.from('BZh9 not really bzip2 data at all'));
    await expect(ingestFile(deps, { filename: 'N20250102S0009.fits.bz2', path: '' })).rejects.toThrow(
      /N20250102S0009/,
    );
    expect((await t.db.query('SELECT count(*)::int AS n FROM diskfile')).rows[0].n).toBe(0);
  });

  it('files in a subdirectory keep their path', async () => {
    put('alopeke/20201023/N20201023A0021.fits', sampleFits({ serial: 21, date: '20201023' }));
    await ingestFile(deps, { filename: 'N20201023A0021.fits', path: 'alopeke/20201023' });
    const r = await t.db.query('SELECT filename, path FROM diskfile');
    expect(r.rows).toEqual([{ filename: 'N20201023A0021.fits', path: 'alopeke/20201023' }]);
  });
});
