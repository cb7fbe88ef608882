import { mkdirSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { enqueue } from '../../../src/queues/engine.js';
import { QUEUES } from '../../../src/queues/tables.js';
import { runWorker } from '../../../src/queues/worker.js';
import {
  makePreview,
  makePreviewHandler,
  previewKey,
  type PreviewDeps,
} from '../../../src/services/archive/preview.js';
import { bzip2 } from '../../../src/gemini/samples.js';
import { LocalStorage } from '../../../src/storage/local.js';
import { createTestDb, type TestDb } from '../../helpers/db.js';
import { fileRows } from '../../helpers/fixtures.js';
import { quietLog, tempDir } from '../../helpers/env.js';
import { decode, gmosFrame, singleFrame } from '../../preview/frames.js';

let t: TestDb;
let tmp: ReturnType<typeof tempDir>;
let deps: PreviewDeps;

async function addFile(name: string, bytes: Buffer, dir = ''): Promise<number> {
  const file = path.join(tmp.dir, dir, name);
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, bytes);
  const { diskfileIds } = await fileRows(t.db, name.replace(/\.bz2$/, ''), {
    filename: name,
    path: dir,
    file_size: bytes.length,
  });
  return diskfileIds[0];
}

beforeAll(async () => {
  t = await createTestDb('preview_service');
  tmp = tempDir('preview');
  deps = { db: t.db, storage: new LocalStorage(tmp.dir), log: quietLog };
});
afterAll(async () => {
  await t?.drop();
  tmp?.cleanup();
});

describe('preview service', () => {
  it('names previews predictably, beside the data', () => {
    expect(previewKey('', 'N20250101S0001.fits.bz2')).toBe('previews/N20250101S0001_preview.jpg');
    expect(previewKey('gmos/2025', 'S20250101S0002.fits')).toBe(
      'gmos/2025/previews/S20250101S0002_preview.jpg',
    );
  });

  it('renders a bzip2-compressed GMOS file, stores the JPEG and records the preview row; --force rebuilds', async () => {
    const id = await addFile(
      'S20250101S0001.fits.bz2',
      bzip2(gmosFrame({ ccd: [1024, 2048], bin: 2, overscan: 16 })),
      'sub',
    );
    const out = await makePreview(deps, { diskfileId: id });
    expect(out.action).toBe('made');
    expect(out.key).toBe('sub/previews/S20250101S0001_preview.jpg');
    const img = await decode(
      await import('node:fs').then((fs) => fs.readFileSync(path.join(tmp.dir, out.key))),
    );
    expect(img.width).toBe(1000);
    const rows = await t.db.query('SELECT filename, created FROM preview WHERE diskfile_id = $1', [id]);
    expect(rows.rows).toEqual([expect.objectContaining({ filename: out.key })]);
    expect((await makePreview(deps, { diskfileId: id })).action).toBe('exists');
    // Date the first build in the past (rather than sleep): --force must write both anew.
    const past = new Date('2020-01-01T00:00:00Z');
    utimesSync(path.join(tmp.dir, out.key), past, past);
    await t.db.query('UPDATE preview SET created = $2 WHERE diskfile_id = $1', [id, past]);
    expect((await makePreview(deps, { diskfileId: id, force: true })).action).toBe('made');
    expect(statSync(path.join(tmp.dir, out.key)).mtimeMs).toBeGreaterThan(past.getTime());
    const again = await t.db.query('SELECT filename, created FROM preview WHERE diskfile_id = $1', [id]);
    expect(again.rows).toEqual([{ filename: out.key, created: expect.any(Date) }]);
    expect(again.rows[0].created.getTime()).toBeGreaterThan(past.getTime());
  });

  it('a truncated or non-image file records a preview error naming it, and the worker carries on', async () => {
    const good = singleFrame(300, 200, (x, y) => x + y);
    const ids = {
      truncated: await addFile('N20250102S0001.fits', good.subarray(0, good.length - 2880 - 500)),
      notFits: await addFile('N20250102S0002.fits', Buffer.from('this is not a FITS file\n'.repeat(200))),
      good: await addFile('N20250102S0003.fits', good),
      headerOnly: await addFile('N20250102S0004.fits', good.subarray(0, 2880)),
    };
    await enqueue(
      t.db,
      QUEUES.preview,
      Object.entries(ids).map(([k, id], i) => ({
        diskfile_id: id,
        filename: `N20250102S000${i + 1}.fits`,
        sortkey: `z${k}`,
      })),
    );
    const stats = await runWorker({
      db: t.db,
      url: t.url,
      queue: QUEUES.preview,
      name: 'preview-test',
      handler: makePreviewHandler(deps),
      log: quietLog,
      signal: new AbortController().signal,
      once: true,
    });
    expect(stats).toMatchObject({ done: 1, failed: 3 });
    const errors = await t.db.query(
      `SELECT filename, error FROM queue_error WHERE queue = 'PREVIEW' ORDER BY filename`,
    );
    expect(errors.rows.map((r) => r.filename)).toEqual([
      'N20250102S0001.fits',
      'N20250102S0002.fits',
      'N20250102S0004.fits',
    ]);
    expect(errors.rows[0].error).toMatch(/N20250102S0001\.fits: .*truncated/);
    expect(errors.rows[1].error).toMatch(/N20250102S0002\.fits: not a FITS file/);
    expect(errors.rows[2].error).toMatch(/N20250102S0004\.fits: .*truncated/);
    const made = await t.db.query('SELECT diskfile_id FROM preview WHERE diskfile_id = ANY($1::bigint[])', [
      Object.values(ids),
    ]);
    expect(made.rows.map((r) => r.diskfile_id)).toEqual([ids.good]);
    const left = await t.db.query('SELECT count(*)::int AS n FROM previewqueue WHERE NOT failed');
    expect(left.rows[0].n).toBe(0);
  });

  it('a diskfile whose file is gone from the store is an error naming the key', async () => {
    const id = await addFile(
      'N20250103S0001.fits',
      singleFrame(10, 10, () => 1),
    );
    (await import('node:fs')).unlinkSync(path.join(tmp.dir, 'N20250103S0001.fits'));
    await expect(makePreview(deps, { diskfileId: id })).rejects.toThrow(
      /N20250103S0001\.fits: file not found/,
    );
  });
});
