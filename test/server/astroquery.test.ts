import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildServer } from '../../src/server/app.js';
import { LocalStorage } from '../../src/storage/local.js';
import { createTestDb, type TestDb } from '../helpers/db.js';
import { quietLog, tempDir, testConfig } from '../helpers/env.js';

// astroquery.gemini against our server: the URLs its URLHelper.build_url writes (astroquery
// 0.4.6, astroquery/gemini/urlhelper.py and core.py), replayed as written, checked for the order
// asked for and for which rows a truncated page keeps. build_url puts notengineering and NotFail
// first unless the call names them, positional arguments next, key=value arguments after
// (radius as sr=%fd, coordinates as ra=%f/dec=%f), and orderby as ?orderby=.

let t: TestDb;
let tmp: ReturnType<typeof tempDir>;
let app: FastifyInstance;

const N = 520;
const pad = (i: number, n: number) => String(i).padStart(n, '0');
// Exposure times: a permutation of 1..520 unrelated to time order (37 and 520 are coprime).
const exposure = (i: number) => ((i * 37) % N) + 1;

beforeAll(async () => {
  t = await createTestDb('astroquery');
  tmp = tempDir('astroquery');
  const config = testConfig(tmp.dir, { role: 'archive' });
  // 520 GMOS-N frames of one program on the night of 2024-03-01, one a minute from 10:00 UT.
  await t.db.query(
    `WITH f AS (INSERT INTO file (name) SELECT format('N20240301S%s.fits', lpad(i::text, 4, '0'))
                FROM generate_series(1, $1::int) i RETURNING id, name),
     d AS (INSERT INTO diskfile (file_id, filename, path, present, canonical, file_md5, data_md5, file_size, data_size)
           SELECT id, name, '', true, true, md5(name), md5(name), 1000, 1000 FROM f RETURNING id, filename)
     INSERT INTO header (diskfile_id, program_id, observation_id, data_label, telescope, instrument,
       ut_datetime, observation_type, observation_class, object, ra, dec, exposure_time, qa_state,
       engineering, release, reduction)
     SELECT id, 'GN-2024A-Q-9', 'GN-2024A-Q-9-1', format('GN-2024A-Q-9-1-%s', lpad(substr(filename, 11, 4)::int::text, 3, '0')),
       'Gemini-North', 'GMOS-N',
       '2024-03-01T10:00:00Z'::timestamptz + substr(filename, 11, 4)::int * interval '1 minute',
       'OBJECT', 'science', 'NGC 1', 150.0, 2.0, ((substr(filename, 11, 4)::int * 37) % $1::int) + 1,
       'Pass', false, '2020-01-01', 'RAW'
     FROM d`,
    [N],
  );
  await t.db.query(
    `INSERT INTO program (program_id, title, pi_coi_names) VALUES ('GN-2024A-Q-9', 'A supernova survey', 'J. Hirst')`,
  );
  app = buildServer({
    config,
    db: t.db,
    storage: new LocalStorage(config.paths.storage_root),
    log: quietLog,
  });
  await app.ready();
}, 60_000);

afterAll(async () => {
  await app?.close();
  await t?.drop();
  tmp?.cleanup();
});

type Entry = Record<string, unknown>;
const get = async (url: string) => {
  const r = await app.inject(url);
  expect(r.statusCode, `${url}: ${r.body.slice(0, 200)}`).toBe(200);
  return r.json() as Entry[];
};
const frame = (e: Entry) => Number(String(e.name).slice(10, 14));
const all = Array.from({ length: N }, (_, i) => i + 1);

describe('astroquery.gemini URLs, replayed', () => {
  it("query_criteria(instrument='GMOS-N', orderby='data_label_desc'): an open query keeps the 500 highest labels", async () => {
    const rows = await get('/jsonsummary/notengineering/NotFail/GMOS-N?orderby=data_label_desc');
    expect(rows).toHaveLength(500);
    expect(rows.map(frame)).toEqual([...all].reverse().slice(0, 500));
    expect(rows[499].results_truncated).toBe(true);
  });

  it("query_criteria(program_id='gn-2024a-q-9', orderby='exposure_time'): a closed query, all of it, by exposure", async () => {
    const rows = await get('/jsonsummary/notengineering/NotFail/progid=GN-2024A-Q-9?orderby=exposure_time');
    expect(rows).toHaveLength(N);
    expect(rows.map((e) => e.exposure_time)).toEqual(all);
    expect(rows.some((e) => 'results_truncated' in e)).toBe(false);
  });

  it("query_raw('GMOS-N', 'Pass', orderby='exposure_time_desc'): the truncated page is the 500 longest exposures", async () => {
    const rows = await get('/jsonsummary/notengineering/GMOS-N/Pass?orderby=exposure_time_desc');
    expect(rows.map((e) => e.exposure_time)).toEqual([...all].reverse().slice(0, 500));
  });

  it('query_region(SkyCoord(150, 2, unit=deg), radius=0.3*u.deg): newest 500 by default', async () => {
    const rows = await get('/jsonsummary/notengineering/NotFail/sr=0.300000d/ra=150.000000/dec=2.000000');
    expect(rows.map(frame)).toEqual([...all].reverse().slice(0, 500));
  });

  it("query_object('NGC 1', orderby='ut_datetime'): the oldest 500 first", async () => {
    const rows = await get(
      '/jsonsummary/notengineering/NotFail/sr=0.300000d/object=NGC%201?orderby=ut_datetime',
    );
    expect(rows.map(frame)).toEqual(all.slice(0, 500));
  });

  it("query_criteria(pi_name='Hirst', program_text='supernova', utc_date=(date(2024,3,1), date(2024,3,2)), orderby='ut_datetime_desc')", async () => {
    const rows = await get(
      '/jsonsummary/notengineering/NotFail/20240301-20240302/PIname=Hirst/ProgramText=supernova?orderby=ut_datetime_desc',
    );
    expect(rows.map(frame)).toEqual([...all].reverse());
    expect(await get('/jsonsummary/notengineering/NotFail/20240301-20240302/PIname=Gomez')).toEqual([]);
  });

  it('several keys, comma-separated or repeated: each in turn, then the date', async () => {
    const url = '/jsonsummary/notengineering/NotFail/progid=GN-2024A-Q-9';
    const comma = await get(`${url}?orderby=observation_class,exposure_time_desc`);
    const repeated = await get(`${url}?orderby=observation_class&orderby=exposure_time_desc`);
    expect(comma.map(frame)).toEqual(repeated.map(frame));
    expect(comma.map((e) => e.exposure_time)).toEqual([...all].reverse());
  });

  it('an unknown key is a 400 that names it and the keys there are', async () => {
    const r = await app.inject('/jsonsummary/notengineering/NotFail/GMOS-N?orderby=colour_desc');
    expect(r.statusCode).toBe(400);
    expect(r.json().error).toMatch(
      /^orderby: cannot order by "colour_desc"; use one of ut_datetime, instrument, /,
    );
  });

  it('every JSON listing takes orderby: jsonfilelist, jsonfilenames, jsonqastate', async () => {
    const q = 'progid=GN-2024A-Q-9?orderby=exposure_time_desc';
    const expected = (await get(`/jsonsummary/${q}`)).map((e) => e.name);
    expect((await get(`/jsonfilelist/${q}`)).map((e) => e.name)).toEqual(expected);
    expect((await get(`/jsonfilenames/${q}`)).map((e) => e.name)).toEqual(expected);
    const qa = await get(`/jsonqastate/${q}`);
    expect(qa.map((e) => e.data_label)).toEqual((await get(`/jsonsummary/${q}`)).map((e) => e.data_label));
    // An open file list: the archive's limit, in the order asked.
    const open = await get('/jsonfilelist/GMOS-N?orderby=filename_desc');
    expect(open.map(frame)).toEqual([...all].reverse().slice(0, 500));
    expect(open[499].results_truncated).toBe(true);
  });

  it('/xmlfilelist lists by filename, or in the order asked', async () => {
    const r = await app.inject('/xmlfilelist/progid=GN-2024A-Q-9');
    expect(r.statusCode).toBe(200);
    expect(r.headers['content-type']).toMatch(/text\/xml/);
    const names = [...r.body.matchAll(/<name>([^<]+)<\/name>/g)].map((m) => m[1]);
    expect(names).toEqual(all.map((i) => `N20240301S${pad(i, 4)}.fits`));
    expect(r.body).toMatch(
      /^<\?xml version="1.0" \?>\n<file_list>\n<selection>GN-2024A-Q-9<\/selection>\n<file><name>N20240301S0001.fits<\/name><filename>N20240301S0001.fits<\/filename><path><\/path><compressed>False<\/compressed><file_size>1000<\/file_size>/,
    );
    const desc = await app.inject('/xmlfilelist/progid=GN-2024A-Q-9?orderby=exposure_time_desc');
    const first = /<name>N20240301S(\d{4})/.exec(desc.body)![1];
    expect(exposure(Number(first))).toBe(N);
  });

  it('the HTML summary takes the same keys, and keeps the same page', async () => {
    const html = (await app.inject('/summary/GMOS-N?orderby=exposure_time_desc')).body;
    const shown = [...html.matchAll(/N20240301S(\d{4})\.fits/g)].map((m) => Number(m[1]));
    const json = (await get('/jsonsummary/GMOS-N?orderby=exposure_time_desc')).map(frame);
    expect([...new Set(shown)]).toEqual(json);
    const bad = (await app.inject('/summary/GMOS-N?orderby=colour')).body;
    expect(bad).toContain('Cannot sort by &quot;colour&quot;');
  });
});
