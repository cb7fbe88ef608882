import { createHash } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildServer } from '../../src/server/app.js';
import { LocalStorage } from '../../src/storage/local.js';
import { createTestDb, type TestDb } from '../helpers/db.js';
import { quietLog, tempDir, testConfig } from '../helpers/env.js';
import { listen } from '../helpers/server.js';
import { GMOS_N_IMAGING, insertFrame, type Frame } from './frames.js';

// DRAGONS' remote calibration service against our server, both request forms, as DRAGONS sends
// them (recipe_system/cal_service/remotedb.py):
//   ≥ 4.1  POST /jsoncalmgr/<caltype>/<file>, body json.dumps({'tags', 'descriptors'}), labelled
//          application/x-www-form-urlencoded (urllib's default), answer read as JSON
//   ≤ 4.0  POST /calmgr/<caltype>/<file>, body urlencode([('descriptors', dict), ('types', tags)])
//          (Python reprs, datetimes included), answer read by zipping every <url> with every <md5>
// The frames are described with the raw values astrodata gives (component ids, '+' in grating
// names, open filter positions, µm), and none of them is in the database. Every URL answered is
// downloaded and checked against its md5, as DRAGONS does.

let t: TestDb;
let tmp: ReturnType<typeof tempDir>;
let app: FastifyInstance;
let base: string;

const GMOS_S_LS: Partial<Frame> = {
  instrument: 'GMOS-S',
  detector_binning: '2x2',
  detector_roi_setting: 'Full Frame',
  detector_gain_setting: 'low',
  detector_readspeed_setting: 'slow',
  keywords: { DETTYPE: 'S10892' },
  filter_name: 'GG455',
  focal_plane_mask: '1.0arcsec',
  disperser: 'R400',
  central_wavelength: 0.76,
  spectroscopy: true,
  observation_class: 'partnerCal',
};
const F2_LS: Partial<Frame> = {
  instrument: 'F2',
  detector_binning: '1x1',
  detector_roi_setting: 'Fixed',
  keywords: { LNRS: 1 },
  filter_name: 'JH',
  camera: 'f/16',
  focal_plane_mask: '4pix-slit',
  disperser: 'JH',
  central_wavelength: 1.39,
  spectroscopy: true,
  observation_class: 'partnerCal',
};

// name → [configuration, observation time, what differs]
const CALS: Array<[string, Partial<Frame>, string, Partial<Frame>]> = [
  ['S20250110S0003.fits', GMOS_S_LS, '2025-01-10T08:05:00Z', { observation_type: 'BIAS' }],
  // GMOS-S long slit, science on 2025-01-10 08:00
  [
    'S20250110S0001.fits',
    GMOS_S_LS,
    '2025-01-10T20:00:00Z',
    { observation_type: 'BIAS', spectroscopy: false },
  ],
  [
    'S20250112S0001.fits',
    GMOS_S_LS,
    '2025-01-12T20:00:00Z',
    { observation_type: 'BIAS', spectroscopy: false },
  ],
  [
    'S20250111S0001.fits',
    GMOS_S_LS,
    '2025-01-11T20:00:00Z',
    { observation_type: 'BIAS', detector_binning: '1x1' },
  ],
  [
    'S20250110S0002.fits',
    GMOS_S_LS,
    '2025-01-10T21:00:00Z',
    { observation_type: 'BIAS', keywords: { DETTYPE: 'SDSU II CCD' } },
  ],
  [
    'S20250109S0500.fits',
    GMOS_S_LS,
    '2025-01-09T21:00:00Z',
    {
      observation_type: 'BIAS',
      reduction: 'PROCESSED_BIAS',
      keywords: { DETTYPE: 'S10892', PROCMODE: 'sq' },
    },
  ],
  // Nearer, but made by quick-look reduction: not for a science-quality (sq) request.
  [
    'S20250110S0502.fits',
    GMOS_S_LS,
    '2025-01-10T07:00:00Z',
    {
      observation_type: 'BIAS',
      reduction: 'PROCESSED_BIAS',
      keywords: { DETTYPE: 'S10892', PROCMODE: 'ql' },
    },
  ],
  ['S20250110S0101.fits', GMOS_S_LS, '2025-01-10T08:10:00Z', { observation_type: 'FLAT' }],
  [
    'S20250110S0102.fits',
    GMOS_S_LS,
    '2025-01-10T08:20:00Z',
    { observation_type: 'FLAT', central_wavelength: 0.77 },
  ],
  [
    'S20250110S0501.fits',
    GMOS_S_LS,
    '2025-01-10T09:00:00Z',
    { observation_type: 'FLAT', reduction: 'PROCESSED_FLAT' },
  ],
  ['S20250110S0103.fits', GMOS_S_LS, '2025-01-10T10:00:00Z', { observation_type: 'ARC', object: 'CuAr' }],
  ['S20250110S0104.fits', GMOS_S_LS, '2025-01-10T10:30:00Z', { observation_type: 'ARC', disperser: 'B600' }],
  // GMOS-N imaging, science on 2025-02-01 10:00
  ['N20250201S0001.fits', GMOS_N_IMAGING, '2025-02-01T20:00:00Z', { observation_type: 'BIAS' }],
  [
    'N20250131S0500.fits',
    GMOS_N_IMAGING,
    '2025-01-31T20:00:00Z',
    { observation_type: 'BIAS', reduction: 'PROCESSED_BIAS' },
  ],
  [
    'N20250201S0002.fits',
    GMOS_N_IMAGING,
    '2025-02-01T05:00:00Z',
    { observation_type: 'OBJECT', object: 'Twilight', observation_class: 'dayCal' },
  ],
  [
    'N20250201S0003.fits',
    GMOS_N_IMAGING,
    '2025-02-01T05:10:00Z',
    { observation_type: 'OBJECT', object: 'Twilight', observation_class: 'dayCal', filter_name: 'g' },
  ],
  [
    'N20250201S0501.fits',
    GMOS_N_IMAGING,
    '2025-02-01T06:00:00Z',
    { observation_type: 'OBJECT', object: 'Twilight', reduction: 'PROCESSED_FLAT' },
  ],
  // F2 long slit, science on 2025-03-01 06:00
  ['S20250301S0001.fits', F2_LS, '2025-03-01T12:00:00Z', { observation_type: 'DARK', exposure_time: 60 }],
  ['S20250301S0002.fits', F2_LS, '2025-03-01T12:05:00Z', { observation_type: 'DARK', exposure_time: 120 }],
  [
    'S20250301S0500.fits',
    F2_LS,
    '2025-03-01T13:00:00Z',
    { observation_type: 'DARK', exposure_time: 60, reduction: 'PROCESSED_DARK' },
  ],
  ['S20250301S0003.fits', F2_LS, '2025-03-01T06:10:00Z', { observation_type: 'FLAT', exposure_time: 10 }],
  [
    'S20250301S0004.fits',
    F2_LS,
    '2025-03-01T06:15:00Z',
    { observation_type: 'FLAT', exposure_time: 10, keywords: { LNRS: 8 } },
  ],
  [
    'S20250301S0501.fits',
    F2_LS,
    '2025-03-01T07:00:00Z',
    { observation_type: 'FLAT', reduction: 'PROCESSED_FLAT' },
  ],
  ['S20250301S0005.fits', F2_LS, '2025-03-01T06:20:00Z', { observation_type: 'ARC', exposure_time: 30 }],
];

// The frames being reduced, as astrodata describes them (raw descriptor values).
const GMOS_S_SCIENCE = {
  instrument: 'GMOS-S',
  program_id: 'GS-2025A-Q-101',
  observation_id: 'GS-2025A-Q-101-5',
  data_label: 'GS-2025A-Q-101-5-001',
  observation_type: 'OBJECT',
  observation_class: 'science',
  object: 'SN 2025abc',
  ut_datetime: new Date('2025-01-10T08:00:00.250Z'),
  disperser: 'R400+_G5325',
  filter_name: 'GG455_G0329&open2-8',
  focal_plane_mask: '1.0arcsec',
  central_wavelength: 0.76,
  detector_name: 'BI5-36-4k-2,BI11-33-4k-1,BI12-34-4k-1',
  amp_read_area: "'BI5-36-4k-2, 1':[1:256,1:4224]+'BI5-36-4k-2, 2':[257:512,1:4224]",
  detector_x_bin: 2,
  detector_y_bin: 2,
  detector_binning: '2x2',
  detector_roi_setting: 'Full Frame',
  gain_setting: 'low',
  read_speed_setting: 'slow',
  exposure_time: 900.0,
  coadds: 1,
  camera: 'GMOS-S',
};
const GMOS_S_TAGS = ['GEMINI', 'GMOS', 'SOUTH', 'SPECT', 'LS', 'SIDEREAL', 'RAW', 'UNPREPARED'];

const GMOS_N_SCIENCE = {
  ...GMOS_S_SCIENCE,
  instrument: 'GMOS-N',
  program_id: 'GN-2025A-Q-7',
  data_label: 'GN-2025A-Q-7-3-012',
  ut_datetime: new Date('2025-02-01T10:00:00Z'),
  disperser: 'MIRROR',
  filter_name: 'r_G0303&open2-8',
  focal_plane_mask: 'Imaging',
  central_wavelength: 0.63,
  detector_name: 'BI13-20-4k-1,BI12-09-4k-2,BI13-18-4k-2',
  amp_read_area: "'BI13-20-4k-1, 1':[1:512,1:4224]",
  camera: 'GMOS-N',
};
const GMOS_N_TAGS = ['GEMINI', 'GMOS', 'NORTH', 'IMAGE', 'SIDEREAL', 'RAW', 'UNPREPARED'];

const F2_SCIENCE = {
  instrument: 'F2',
  program_id: 'GS-2025A-Q-202',
  data_label: 'GS-2025A-Q-202-9-004',
  observation_type: 'OBJECT',
  observation_class: 'science',
  object: 'HD 1',
  ut_datetime: new Date('2025-03-01T06:00:00Z'),
  disperser: 'JH_G5801',
  filter_name: 'Open&JH_G0809',
  focal_plane_mask: '4pix-slit',
  camera: 'f/16_G5830',
  lyot_stop: 'f/16_G5830',
  central_wavelength: 1.39,
  detector_x_bin: 1,
  detector_y_bin: 1,
  detector_binning: '1x1',
  detector_roi_setting: 'Fixed',
  read_mode: '1',
  exposure_time: 60.0,
  coadds: 1,
};
const F2_TAGS = ['GEMINI', 'F2', 'SOUTH', 'SPECT', 'LS', 'RAW', 'UNPREPARED'];

const PREPARED = (tags: string[]) => [...tags.filter((x) => x !== 'UNPREPARED'), 'PREPARED'];

type Descriptors = Record<string, unknown>;

/** A Python repr, as DRAGONS ≤ 4.0 puts it in descriptors= and types=. */
function py(v: unknown): string {
  if (v === null || v === undefined) return 'None';
  if (typeof v === 'boolean') return v ? 'True' : 'False';
  if (typeof v === 'number') return Number.isInteger(v) && !String(v).includes('.') ? String(v) : String(v);
  if (typeof v === 'string') return `'${v.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
  if (v instanceof Date) {
    const f = [
      v.getUTCFullYear(),
      v.getUTCMonth() + 1,
      v.getUTCDate(),
      v.getUTCHours(),
      v.getUTCMinutes(),
      v.getUTCSeconds(),
    ];
    if (v.getUTCMilliseconds()) f.push(v.getUTCMilliseconds() * 1000);
    return `datetime.datetime(${f.join(', ')})`;
  }
  if (Array.isArray(v)) return `[${v.map(py).join(', ')}]`;
  return `{${Object.entries(v as object)
    .map(([k, x]) => `${py(k)}: ${py(x)}`)
    .join(', ')}}`;
}

/** The JSON form (DRAGONS ≥ 4.1): dates isoformat()ted, naive UT. */
function jsonBody(d: Descriptors, tags: string[]): string {
  const desc = Object.fromEntries(
    Object.entries(d).map(([k, v]) => [k, v instanceof Date ? v.toISOString().replace('Z', '') : v]),
  );
  return JSON.stringify({ tags, descriptors: desc });
}

/** The urlencoded form (DRAGONS ≤ 4.0): a dict repr (with one unprintable object, as sent) and a set repr. */
function reprBody(d: Descriptors, tags: string[]): string {
  const dict = py(d).replace(/}$/, ", 'dispersion_axis': <map object at 0x7f2a1c3e5b50>}");
  const set = `{${tags.map(py).join(', ')}}`;
  return new URLSearchParams([
    ['descriptors', dict],
    ['types', set],
  ]).toString();
}

const FORM = { 'content-type': 'application/x-www-form-urlencoded' };

async function askJson(caltype: string, d: Descriptors, tags: string[]) {
  const r = await fetch(`${base}/jsoncalmgr/${caltype}/frame.fits`, {
    method: 'POST',
    headers: FORM,
    body: jsonBody(d, tags),
  });
  expect(r.status).toBe(200);
  const answer = await r.json();
  // What DRAGONS checks before it takes anything.
  expect(answer).toHaveLength(1);
  expect(answer[0].cal_info).toHaveLength(1);
  expect(answer[0].cal_info[0].type).toBe(caltype);
  const cals = answer[0].cal_info[0].cals as Array<{ name: string; url: string; md5: string }>;
  return {
    label: answer[0].label,
    pairs: cals.map((c) => [c.url, c.md5] as const),
    names: cals.map((c) => c.name),
  };
}

async function askXml(caltype: string, d: Descriptors, tags: string[]) {
  const r = await fetch(`${base}/calmgr/${caltype}/frame.fits`, {
    method: 'POST',
    headers: FORM,
    body: reprBody(d, tags),
  });
  expect(r.status).toBe(200);
  const xml = await r.text();
  // As DRAGONS reads it: every <url> of the document zipped with every <md5>.
  const urls = [...xml.matchAll(/<url>([^<]*)<\/url>/g)].map((m) => m[1]);
  const md5s = [...xml.matchAll(/<md5>([^<]*)<\/md5>/g)].map((m) => m[1]);
  expect(md5s).toHaveLength(urls.length);
  return {
    xml,
    pairs: urls.map((u, i) => [u, md5s[i]] as const),
    names: urls.map((u) => u.slice(u.lastIndexOf('/') + 1)),
  };
}

/** Downloads every URL and checks its md5, as DRAGONS' file getter does. */
async function verify(pairs: ReadonlyArray<readonly [string, string]>): Promise<void> {
  for (const [url, md5] of pairs) {
    const r = await fetch(url);
    expect(r.status, url).toBe(200);
    const got = createHash('md5')
      .update(Buffer.from(await r.arrayBuffer()))
      .digest('hex');
    expect(got, url).toBe(md5);
  }
}

beforeAll(async () => {
  t = await createTestDb('calmgr_dragons');
  tmp = tempDir('dragons');
  const config = testConfig(tmp.dir, { role: 'archive' });
  const storage = new LocalStorage(config.paths.storage_root);
  mkdirSync(config.paths.storage_root, { recursive: true });
  for (const [name, config_, ut, over] of CALS) {
    const id = await insertFrame(t.db, { ...config_, name, ut, object: 'Cal', ...over } as Frame);
    // A real file for each, whose md5 the answers carry.
    const bytes = Buffer.from(`SIMPLE  = T / ${name} ${'x'.repeat(200)}`);
    writeFileSync(path.join(config.paths.storage_root, name), bytes);
    await t.db.query(
      `UPDATE diskfile SET data_md5 = $2, file_md5 = $2, data_size = $3, file_size = $3
       WHERE id = (SELECT diskfile_id FROM header WHERE id = $1)`,
      [id, createHash('md5').update(bytes).digest('hex'), bytes.length],
    );
  }
  await t.db.query(`UPDATE header SET release = '2020-01-01', program_id = 'GS-CAL20250101'`);
  // The nearest bias of all, but its file is gone from the store: never offered for download.
  await t.db.query(`UPDATE diskfile SET present = false WHERE filename = 'S20250110S0003.fits'`);
  app = buildServer({ config, db: t.db, storage, log: quietLog });
  base = await listen(app);
  // Answers carry absolute URLs on the address the request came to.
}, 60_000);

afterAll(async () => {
  await app?.close();
  await t?.drop();
  tmp?.cleanup();
});

// caltype → what each science frame gets, nearest in time first
const EXPECTED: Array<[string, string, Descriptors, string[], string[]]> = [
  ['GMOS-S long slit', 'bias', GMOS_S_SCIENCE, GMOS_S_TAGS, ['S20250110S0001.fits', 'S20250112S0001.fits']],
  ['GMOS-S long slit', 'processed_bias', GMOS_S_SCIENCE, PREPARED(GMOS_S_TAGS), ['S20250110S0502.fits']],
  ['GMOS-S long slit', 'flat', GMOS_S_SCIENCE, GMOS_S_TAGS, ['S20250110S0101.fits']],
  ['GMOS-S long slit', 'processed_flat', GMOS_S_SCIENCE, PREPARED(GMOS_S_TAGS), ['S20250110S0501.fits']],
  ['GMOS-S long slit', 'arc', GMOS_S_SCIENCE, GMOS_S_TAGS, ['S20250110S0103.fits']],
  ['GMOS-N imaging', 'bias', GMOS_N_SCIENCE, GMOS_N_TAGS, ['N20250201S0001.fits']],
  ['GMOS-N imaging', 'processed_bias', GMOS_N_SCIENCE, PREPARED(GMOS_N_TAGS), ['N20250131S0500.fits']],
  ['GMOS-N imaging', 'flat', GMOS_N_SCIENCE, GMOS_N_TAGS, ['N20250201S0002.fits']],
  ['GMOS-N imaging', 'processed_flat', GMOS_N_SCIENCE, PREPARED(GMOS_N_TAGS), ['N20250201S0501.fits']],
  ['F2 long slit', 'dark', F2_SCIENCE, F2_TAGS, ['S20250301S0001.fits']],
  ['F2 long slit', 'processed_dark', F2_SCIENCE, PREPARED(F2_TAGS), ['S20250301S0500.fits']],
  ['F2 long slit', 'flat', F2_SCIENCE, F2_TAGS, ['S20250301S0003.fits']],
  ['F2 long slit', 'processed_flat', F2_SCIENCE, PREPARED(F2_TAGS), ['S20250301S0501.fits']],
  ['F2 long slit', 'arc', F2_SCIENCE, F2_TAGS, ['S20250301S0005.fits']],
];

describe('DRAGONS ≥ 4.1: POST /jsoncalmgr with a JSON body labelled urlencoded', () => {
  it.each(EXPECTED)('%s: %s', async (_what, caltype, d, tags, names) => {
    const a = await askJson(caltype, d, tags);
    expect(a.names).toEqual(names);
    expect(a.label).toBe(d.data_label);
    await verify(a.pairs);
  });

  it('/<caltype>/sq/<file>: science quality asks for science-quality calibrations only', async () => {
    const r = await fetch(`${base}/jsoncalmgr/processed_bias/sq/frame.fits`, {
      method: 'POST',
      headers: FORM,
      body: jsonBody(GMOS_S_SCIENCE, PREPARED(GMOS_S_TAGS)),
    });
    const cals = (await r.json())[0].cal_info[0].cals;
    expect(cals.map((c: { name: string }) => c.name)).toEqual(['S20250109S0500.fits']);
    await verify(cals.map((c: { url: string; md5: string }) => [c.url, c.md5] as const));
  });

  it('an imaging frame asking for an arc gets an empty list, not an error', async () => {
    const a = await askJson('arc', GMOS_N_SCIENCE, GMOS_N_TAGS);
    expect(a.names).toEqual([]);
  });
});

describe('DRAGONS ≤ 4.0: POST /calmgr with Python reprs, XML answer', () => {
  it.each(EXPECTED)('%s: %s', async (_what, caltype, d, tags, names) => {
    const a = await askXml(caltype, d, tags);
    expect(a.names).toEqual(names);
    await verify(a.pairs);
    // No dataset-level <md5> or <filename>: the frame is not ours.
    expect(a.xml).toMatch(/<dataset>\n<datalabel>[^<]+<\/datalabel>\n(<calibration>|<!--)/);
    expect(a.xml).toContain('for POST request');
  });

  it('/xmlcalmgr answers the same', async () => {
    const r = await fetch(`${base}/xmlcalmgr/bias/frame.fits`, {
      method: 'POST',
      headers: FORM,
      body: reprBody(GMOS_S_SCIENCE, GMOS_S_TAGS),
    });
    expect(await r.text()).toContain('<filename>S20250110S0001.fits</filename>');
  });
});

describe('bad requests say what is wrong', () => {
  it('no caltype (405, as the archive), unknown caltype, unreadable bodies (400)', async () => {
    const post = (url: string, body: string) =>
      fetch(`${base}${url}`, { method: 'POST', headers: FORM, body });
    const none = await post('/jsoncalmgr', jsonBody(GMOS_S_SCIENCE, GMOS_S_TAGS));
    expect(none.status).toBe(404); // no route without a caltype segment
    const empty = await post('/jsoncalmgr/', jsonBody(GMOS_S_SCIENCE, GMOS_S_TAGS));
    expect(empty.status).toBe(405);
    expect(await empty.text()).toContain('No calibration type specified');
    const unknown = await post('/jsoncalmgr/bais/f.fits', jsonBody(GMOS_S_SCIENCE, GMOS_S_TAGS));
    expect(unknown.status).toBe(400);
    expect(await unknown.text()).toContain('unknown calibration type "bais"');
    const broken = await post('/calmgr/bias/f.fits', 'descriptors=%7B%27instrument%27%3A+%27GMOS-S');
    expect(broken.status).toBe(400);
    expect(await broken.text()).toMatch(/^calibration request: descriptors: /);
    const noTime = await post('/jsoncalmgr/bias/f.fits', jsonBody({ instrument: 'GMOS-S' }, []));
    expect(noTime.status).toBe(400);
    expect(await noTime.text()).toContain('ut_datetime');
  });

  it('GET answers are unchanged: a selection, with the dataset md5', async () => {
    const r = await fetch(`${base}/calmgr/bias/S20250110S0101.fits`);
    const xml = await r.text();
    expect(xml).toContain('<filename>S20250110S0101.fits</filename>\n<md5>');
    expect(xml).toContain('for GET request');
  });
});
