import { writeFileSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { updateCalcache } from '../../src/calcache/index.js';
import { buildServer } from '../../src/server/app.js';
import type { ServerDeps } from '../../src/server/context.js';
import { makePreview } from '../../src/services/archive/preview.js';
import { LocalStorage } from '../../src/storage/local.js';
import { createTestDb, type TestDb } from '../helpers/db.js';
import { quietLog, tempDir, testConfig } from '../helpers/env.js';
import { decode, singleFrame } from '../preview/frames.js';
import { GMOS_N_IMAGING, insertFrame, type Frame } from './frames.js';

// The server side: /calmgr, /jsoncalmgr, /associated_cals and /preview, /thumbnail, /num_previews,
// registered the way src/server/app.ts registers route plugins.

let t: TestDb;
let tmp: ReturnType<typeof tempDir>;
let app: FastifyInstance;
const ids: Record<string, number> = {};

const GMOS = GMOS_N_IMAGING;
const frame = (name: string, ut: string, over: Partial<Frame>): Frame =>
  ({ ...GMOS, name, ut, ...over }) as Frame;

beforeAll(async () => {
  t = await createTestDb('calmgr_routes');
  tmp = tempDir('calmgr');
  const config = testConfig(tmp.dir, {
    role: 'archive',
    server: { magic_download_cookie: 'let-me-in', allowed_hosts: ['archive.test', 'localhost'] },
  });
  const deps: ServerDeps = {
    config,
    db: t.db,
    storage: new LocalStorage(config.paths.storage_root),
    log: quietLog,
  };
  for (const f of [
    frame('N20250110S0100.fits', '2025-01-10T08:00:00Z', { observation_type: 'OBJECT' }),
    frame('N20250110S0001.fits', '2025-01-10T02:00:00Z', { observation_type: 'BIAS', object: 'Bias' }),
    frame('N20250111S0001.fits', '2025-01-11T02:00:00Z', { observation_type: 'BIAS', object: 'Bias' }),
    frame('N20250109S0001.fits', '2025-01-09T02:00:00Z', {
      observation_type: 'BIAS',
      object: 'Bias',
      detector_binning: '1x1',
    }),
  ]) {
    ids[f.name] = await insertFrame(t.db, f);
  }
  await t.db.query(`UPDATE header SET release = '2020-01-01'`);
  // A file with a preview, and a proprietary one.
  mkdirSync(config.paths.storage_root, { recursive: true });
  for (const [name, release] of [
    ['N20250110S0100.fits', '2020-01-01'],
    ['N20250110S0200.fits', '2099-01-01'],
  ]) {
    writeFileSync(
      path.join(config.paths.storage_root, name),
      singleFrame(400, 300, (x, y) => x + y),
    );
    if (!ids[name])
      ids[name] = await insertFrame(
        t.db,
        frame(name, '2025-01-10T09:00:00Z', { observation_type: 'OBJECT' }),
      );
    await t.db.query(`UPDATE header SET release = $2 WHERE id = $1`, [ids[name], release]);
    const df = await t.db.query('SELECT diskfile_id FROM header WHERE id = $1', [ids[name]]);
    await makePreview({ db: t.db, storage: deps.storage }, { diskfileId: df.rows[0].diskfile_id });
  }
  app = buildServer(deps);
  await app.ready();
});
afterAll(async () => {
  await app?.close();
  await t?.drop();
  tmp?.cleanup();
});

describe('calibration manager routes', () => {
  it('/calmgr/<file>: the archive XML, calibrations nearest first with download URLs', async () => {
    const r = await app.inject({ url: '/calmgr/N20250110S0100.fits', headers: { host: 'archive.test' } });
    expect(r.statusCode).toBe(200);
    expect(r.headers['content-type']).toMatch(/text\/xml/);
    const xml = r.body;
    expect(xml).toMatch(
      /^<\?xml version="1.0" encoding="UTF-8"\?>\n<calibration_associations xmlns="http:\/\/www.gemini.edu\/xml\/gsaCalibrations\/v1.0">/,
    );
    expect(xml).toContain(
      '<dataset>\n<datalabel>GN-2025A-Q-1-1-N20250110S0100.fits</datalabel>\n<filename>N20250110S0100.fits</filename>',
    );
    const biases = [
      ...xml.matchAll(
        /<calibration>\n<caltype>bias<\/caltype>\n<datalabel>[^<]*<\/datalabel>\n<filename>([^<]+)<\/filename>\n<md5>[0-9a-f]{32}<\/md5>\n<url>([^<]+)<\/url>/g,
      ),
    ];
    expect(biases.map((m) => m[1])).toEqual(['N20250110S0001.fits', 'N20250111S0001.fits']);
    expect(biases[0][2]).toBe('http://archive.test/file/N20250110S0001.fits');
    expect(xml).toContain('<!-- NO CALIBRATION FOUND for caltype flat-->');
  });

  it('a caltype term restricts the answer; /jsoncalmgr gives the same as JSON', async () => {
    const xml = (await app.inject('/calmgr/bias/N20250110S0100.fits')).body;
    expect(xml).not.toContain('caltype flat');
    const r = await app.inject('/jsoncalmgr/processed_bias/N20250110S0100.fits');
    expect(r.json()).toEqual([
      {
        label: 'GN-2025A-Q-1-1-N20250110S0100.fits',
        filename: 'N20250110S0100.fits',
        md5: expect.any(String),
        cal_info: [{ error: false, type: 'processed_bias', cals: [] }],
      },
    ]);
    const all = (await app.inject('/jsoncalmgr/N20250110S0100.fits')).json();
    expect(
      all[0].cal_info
        .find((c: { type: string }) => c.type === 'bias')
        .cals.map((c: { name: string }) => c.name),
    ).toEqual(['N20250110S0001.fits', 'N20250111S0001.fits']);
  });

  it('refuses open selections (406), as the archive does', async () => {
    const r = await app.inject('/calmgr/GMOS-N/OBJECT');
    expect(r.statusCode).toBe(406);
    expect(r.body).toContain('open query');
  });

  it('/associated_cals: the cached associations as a table, and as JSON', async () => {
    await updateCalcache(t.db, ids['N20250110S0100.fits']);
    const html = (await app.inject('/associated_cals/N20250110S0100.fits')).body;
    expect(html).toContain('<a href="/file/N20250110S0001.fits">N20250110S0001.fits</a>');
    expect(html).not.toContain('N20250109S0001.fits');
    const json = (await app.inject('/associated_cals_json/N20250110S0100.fits')).json();
    expect(json.map((r: { filename: string; rank: number }) => [r.filename, r.rank])).toEqual([
      ['N20250110S0001.fits', 1],
      ['N20250111S0001.fits', 2],
    ]);
  });
});

describe('preview routes', () => {
  it('/preview/<file> serves the JPEG (with or without .fits), /thumbnail a small one, /num_previews the count', async () => {
    for (const url of ['/preview/N20250110S0100.fits', '/preview/N20250110S0100']) {
      const r = await app.inject(url);
      expect(r.statusCode).toBe(200);
      expect(r.headers['content-type']).toBe('image/jpeg');
      expect((await decode(r.rawPayload)).width).toBe(400);
    }
    const thumb = await app.inject('/thumbnail/N20250110S0100.fits');
    expect(thumb.statusCode).toBe(200);
    const img = await decode(thumb.rawPayload);
    expect(Math.max(img.width, img.height)).toBe(200);
    expect((await app.inject('/num_previews/N20250110S0100.fits')).body).toBe('1');
    expect((await app.inject('/num_previews/N20990101S0001.fits')).body).toBe('0');
  });

  it('follows the file access rules: proprietary previews need a right to the data', async () => {
    expect((await app.inject('/preview/N20250110S0200.fits')).statusCode).toBe(403);
    const withCookie = await app.inject({
      url: '/preview/N20250110S0200.fits',
      cookies: { gemini_fits_authorization: 'let-me-in' },
    });
    expect(withCookie.statusCode).toBe(200);
  });

  it('404 for unknown files and files without a preview, 400 for bad names', async () => {
    expect((await app.inject('/preview/N20990101S0001.fits')).statusCode).toBe(404);
    const noPreview = await app.inject('/preview/N20250110S0001.fits');
    expect(noPreview.statusCode).toBe(404);
    expect(noPreview.body).toContain('no preview');
    expect((await app.inject('/preview/..%2Fetc%2Fpasswd')).statusCode).toBe(400);
  });
});
