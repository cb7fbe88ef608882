import { createHash } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Config } from '../../../src/config/schema.js';
import { buildServer } from '../../../src/server/app.js';
import type { IngestDeps } from '../../../src/services/ingest/ingest.js';
import { enqueueIngest } from '../../../src/services/ingest/ingestqueue.js';
import type { SampleSpec } from '../../../src/gemini/samples.js';
import { LocalStorage } from '../../../src/storage/local.js';
import { createTestDb, type TestDb } from '../../helpers/db.js';
import { ingestSample } from '../../helpers/fixtures.js';
import { FUTURE, fixedParams, quietLog, tempDir, testClock, testConfig } from '../../helpers/env.js';

const md5 = (b: Buffer) => createHash('md5').update(b).digest('hex');

const FILE_LIST_KEYS = [
  'name',
  'filename',
  'path',
  'compressed',
  'file_size',
  'data_size',
  'file_md5',
  'data_md5',
  'lastmod',
  'mdready',
  'entrytime',
  'size',
  'md5',
  'pending_ingest',
];
/** Every field of the real archive's /jsonsummary entries (collected from its answers): the file list's and these. */
const ARCHIVE_SUMMARY_KEYS = [
  ...FILE_LIST_KEYS,
  'program_id',
  'engineering',
  'science_verification',
  'calibration_program',
  'observation_id',
  'data_label',
  'telescope',
  'instrument',
  'ut_datetime',
  'local_time',
  'observation_type',
  'observation_class',
  'object',
  'ra',
  'dec',
  'azimuth',
  'elevation',
  'cass_rotator_pa',
  'airmass',
  'filter_name',
  'exposure_time',
  'disperser',
  'camera',
  'central_wavelength',
  'wavelength_band',
  'focal_plane_mask',
  'detector_binning',
  'detector_gain_setting',
  'detector_roi_setting',
  'detector_readspeed_setting',
  'detector_welldepth_setting',
  'detector_readmode_setting',
  'spectroscopy',
  'mode',
  'adaptive_optics',
  'laser_guide_star',
  'wavefront_sensor',
  'gcal_lamp',
  'raw_iq',
  'raw_cc',
  'raw_wv',
  'raw_bg',
  'requested_iq',
  'requested_cc',
  'requested_wv',
  'requested_bg',
  'qa_state',
  'release',
  'reduction',
  'types',
  'phot_standard',
  'procmode',
  'processing',
];

let t: TestDb;
let tmp: ReturnType<typeof tempDir>;
let config: Config;
let deps: IngestDeps;
let app: FastifyInstance;

async function ingestNew(spec: SampleSpec) {
  const f = await ingestSample(deps, spec);
  expect(f.outcome.action).toBe('new');
  return f;
}

beforeAll(async () => {
  t = await createTestDb('jsonlists');
  tmp = tempDir('jsonlists');
  config = testConfig(tmp.dir, { role: 'archive', server: { magic_download_cookie: 'good_to_go' } });
  const storage = new LocalStorage(config.paths.storage_root);
  deps = { db: t.db, storage, config, log: quietLog, params: fixedParams({ ingest_defer_seconds: 0 }) };
  app = buildServer({ config, db: t.db, storage, log: quietLog }, { now: testClock });
  await app.ready();
});
afterAll(async () => {
  await app?.close();
  await t?.drop();
  tmp?.cleanup();
});

describe('/jsonfilelist', () => {
  it('lists a present file with the archive field names and value formats', async () => {
    const f = await ingestNew({ date: '20240305', serial: 11, bz2: true });
    const r = await app.inject(`/jsonfilelist/present/filename=${f.name}`);
    expect(r.statusCode).toBe(200);
    expect(r.headers['content-type']).toMatch(/application\/json/);
    const list = r.json();
    expect(list).toHaveLength(1);
    const e = list[0];
    expect(Object.keys(e)).toEqual(FILE_LIST_KEYS);
    expect(e).toMatchObject({
      name: 'N20240305S0011.fits',
      filename: 'N20240305S0011.fits.bz2',
      path: '',
      compressed: true,
      file_size: f.bytes.length,
      size: f.bytes.length,
      file_md5: md5(f.bytes),
      md5: md5(f.bytes),
      data_size: f.raw.length,
      data_md5: md5(f.raw),
    });
    // Python's str(datetime) of a tz-aware timestamp, as the archive writes it.
    expect(e.lastmod).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(\.\d{6})?\+00:00$/);
    expect(e.entrytime).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(\.\d{6})?\+00:00$/);
    expect(e.pending_ingest).toBe(false);
    // The name with or without .fits / .bz2 finds it too.
    expect((await app.inject('/jsonfilelist/present/filename=N20240305S0011.fits.bz2')).json()).toHaveLength(
      1,
    );
    expect((await app.inject('/jsonfilelist/present/N20240305S0011')).json()).toHaveLength(1);
  });

  it('?pending_ingest says whether the file waits for ingest, with a placeholder for one not ingested yet', async () => {
    const f = await ingestNew({ date: '20240305', serial: 12 });
    const url = `/jsonfilelist/present/filename=${f.name}?pending_ingest`;
    expect((await app.inject(url)).json()[0].pending_ingest).toBe(false);
    await enqueueIngest(t.db, [{ filename: f.name }]);
    expect((await app.inject(url)).json()[0].pending_ingest).toBe(true);
    // The archive's newer documents carry the field whether asked or not.
    expect((await app.inject(`/jsonfilelist/present/filename=${f.name}`)).json()[0].pending_ingest).toBe(
      true,
    );
    expect((await app.inject(`/jsonsummary/present/filename=${f.name}`)).json()[0].pending_ingest).toBe(true);

    await enqueueIngest(t.db, [{ filename: 'N20240305S0099.fits.bz2' }]);
    const ph = (await app.inject('/jsonfilelist/present/filename=N20240305S0099.fits?pending_ingest')).json();
    expect(ph).toHaveLength(1);
    expect(ph[0]).toMatchObject({ name: 'N20240305S0099.fits', pending_ingest: true, data_md5: null });
    expect(
      (await app.inject('/jsonfilelist/present/filename=N20240305S0098.fits?pending_ingest')).json(),
    ).toEqual([]);
    // Without ?pending_ingest there is no placeholder: the plain archive answer.
    expect((await app.inject('/jsonfilelist/present/filename=N20240305S0099.fits')).json()).toEqual([]);
  });

  it('an upload still being handed to ingest counts as pending', async () => {
    await t.db.query(
      `INSERT INTO fileuploadlog (filename, ut_transfer_complete, size, md5) VALUES ('N20240305S0097.fits.bz2', now(), 1, 'x')`,
    );
    const r = (await app.inject('/jsonfilelist/present/filename=N20240305S0097.fits?pending_ingest')).json();
    expect(r[0]).toMatchObject({ pending_ingest: true });
  });

  it('refuses terms it does not understand (400, the archive warning)', async () => {
    const r = await app.inject('/jsonfilelist/present/NOTATERM/filename=x.fits');
    expect(r.statusCode).toBe(400);
    expect(r.json().error).toMatch(/I didn't recognize the following search terms: NOTATERM/);
  });
});

describe('/jsonsummary, /jsonfilenames, /jsonqastate', () => {
  it('jsonsummary has every field the Gemini archive returns', async () => {
    await ingestNew({ date: '20230601', serial: 21 });
    const r = await app.inject('/jsonsummary/20230601');
    expect(r.statusCode).toBe(200);
    const [e] = r.json();
    for (const k of ARCHIVE_SUMMARY_KEYS) expect(e, `field ${k}`).toHaveProperty(k);
    expect(e).toMatchObject({
      name: 'N20230601S0021.fits',
      instrument: 'GMOS-N',
      telescope: 'Gemini-North',
      observation_type: 'OBJECT',
      release: '2023-06-01',
      raw_iq: 70,
      raw_cc: 50,
      raw_wv: 100,
      processing: 'Raw',
      pending_ingest: false,
    });
    expect(e.ut_datetime).toMatch(/^2023-06-01 10:00:21(\.\d{6})?$/);
    expect([e.ra, e.dec, e.airmass]).toEqual([150.11, 2.21, 1.2]); // RA, DEC, AIRMASS of sample 21
    expect(e.types).toBe("['GEMINI', 'GMOS', 'IMAGE', 'NORTH', 'RAW', 'UNPREPARED']");
  });

  it('reports procmode, processing and cass_rotator_pa from the primary header', async () => {
    await ingestNew({
      date: '20230603',
      serial: 23,
      extraCards: [
        ['PROCMODE', 'sq'],
        ['CRPA', 12.5],
      ],
    });
    const [e] = (await app.inject('/jsonsummary/20230603')).json();
    expect(e).toMatchObject({ procmode: 'sq', processing: 'Science-Quality', cass_rotator_pa: 12.5 });
  });

  it('blanks coordinates and target of data with proprietary metadata (PROP_MD), unless the magic cookie is there', async () => {
    await ingestNew({
      date: '20230602',
      serial: 22,
      release: FUTURE,
      object: 'Secret Target',
      extraCards: [['PROP_MD', true]],
    });
    const anon = (await app.inject('/jsonsummary/20230602')).json()[0];
    expect(anon).toMatchObject({ ra: null, dec: null, object: null, airmass: null, release: FUTURE });
    expect(anon.instrument).toBe('GMOS-N');
    const magic = (
      await app.inject({ url: '/jsonsummary/20230602', cookies: { gemini_fits_authorization: 'good_to_go' } })
    ).json()[0];
    expect(magic).toMatchObject({ object: 'Secret Target', ra: 150.12, dec: 2.22, airmass: 1.2 });
  });

  it('shows target and position of proprietary data whose metadata is public (no PROP_MD), as the archive does', async () => {
    await ingestNew({ date: '20230604', serial: 24, release: FUTURE, object: 'Open Target' });
    const anon = (await app.inject('/jsonsummary/20230604')).json()[0];
    expect(anon.object).toBe('Open Target');
    expect(typeof anon.ra).toBe('number');
  });

  it('jsonfilenames gives names only; jsonqastate the ODB fields', async () => {
    expect((await app.inject('/jsonfilenames/20230601')).json()).toEqual([{ name: 'N20230601S0021.fits' }]);
    const qa = (await app.inject('/jsonqastate/20230601')).json();
    expect(Object.keys(qa[0])).toEqual(['data_label', 'filename', 'data_md5', 'entrytime', 'qa_state']);
    expect(qa[0].filename).toBe('N20230601S0021.fits');
  });

  it('an open query gives the newest 500, newest first, and marks the last results_truncated', async () => {
    await t.db.query(`
      WITH f AS (INSERT INTO file (name) SELECT 'N20220101S' || lpad(i::text, 4, '0') || '.fits' FROM generate_series(1, 505) i RETURNING id, name),
      d AS (INSERT INTO diskfile (file_id, filename, file_md5, data_md5) SELECT id, name, 'm', 'm' FROM f RETURNING id, filename)
      INSERT INTO header (diskfile_id, instrument, telescope, ut_datetime, release, engineering)
      SELECT id, 'NIRI', 'Gemini-North', '2022-01-01T00:00:00Z'::timestamptz + (substr(filename, 11, 4)::int * interval '1 minute'), '2022-01-01', false FROM d`);
    const list = (await app.inject('/jsonfilelist/NIRI')).json();
    expect(list).toHaveLength(500);
    expect(list[0].name).toBe('N20220101S0505.fits');
    expect(list[499].name).toBe('N20220101S0006.fits');
    expect(list[499].results_truncated).toBe(true);
    expect(list[0]).not.toHaveProperty('results_truncated');
    // A closed query (a date) is not limited to 500 and lists by filename.
    const closed = (await app.inject('/jsonfilenames/NIRI/20220101')).json();
    expect(closed).toHaveLength(505);
    expect(closed[0].name).toBe('N20220101S0001.fits');
  });
});
