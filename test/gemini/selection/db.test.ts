// The selection grammar against real PostgreSQL: a handful of files, and for each kind of term
// exactly the files the archive would return.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDb, type TestDb } from '../../helpers/db.js';
import { fileRows, headerRow } from '../../helpers/fixtures.js';
import { parseSelection, selectionToSql } from '../../../src/gemini/selection/index.js';
import { parseOrderBy, searchHeaders } from '../../../src/services/archive/search.js';

let t: TestDb;

type Row = Record<string, unknown>;

/** One file with one version (or more, oldest first) and a header for each. */
async function addFile(name: string, ...versions: Array<{ df?: Row; h: Row }>): Promise<void> {
  const latest = (i: number) => i === versions.length - 1;
  const { diskfileIds } = await fileRows(
    t.db,
    name,
    ...versions.map((v, i) => ({
      filename: name + '.bz2',
      present: latest(i),
      canonical: latest(i),
      mdready: true,
      ...v.df,
    })),
  );
  for (const [i, v] of versions.entries())
    await headerRow(t.db, diskfileIds[i], { engineering: false, ...v.h });
}

const GN = { telescope: 'Gemini-North' };
const GS = { telescope: 'Gemini-South' };
const INJECTION = "O'Brien'); DROP TABLE header;--";
const UNICODE = 'ümlaut ☃ 星';

beforeAll(async () => {
  t = await createTestDb('selection');
  // An earlier version of N20200101S0001 (no longer canonical): only `notcanonical` finds it.
  await addFile(
    'N20200101S0001.fits',
    {
      h: {
        ...GN,
        data_label: 'GN-2019A-FT-211-1-001',
        program_id: 'GN-2019A-FT-211',
        instrument: 'GMOS-N',
        qa_state: 'Fail',
        ut_datetime: '2020-01-01T05:00:00Z',
        observation_type: 'OBJECT',
      },
    },
    {
      h: {
        ...GN,
        program_id: 'GN-2019A-FT-211',
        observation_id: 'GN-2019A-FT-211-1',
        data_label: 'GN-2019A-FT-211-1-001',
        instrument: 'GMOS-N',
        ut_datetime: '2020-01-01T05:00:00Z',
        observation_type: 'OBJECT',
        observation_class: 'science',
        qa_state: 'Pass',
        object: 'NGC 1068',
        ra: 40.6696,
        dec: -0.0133,
        azimuth: 100,
        elevation: 60,
        exposure_time: 30,
        filter_name: 'r',
        disperser: 'B600_G5307',
        focal_plane_mask: '1.0arcsec',
        detector_binning: '2x2',
        detector_roi_setting: 'Full Frame',
        detector_gain_setting: 'low',
        detector_readspeed_setting: 'slow',
        central_wavelength: 0.6,
        spectroscopy: true,
        mode: 'LS',
        adaptive_optics: false,
        laser_guide_star: false,
        raw_cc: '50',
        raw_iq: '70',
        coadds: 1,
        reduction: 'RAW',
        processing: 'Raw',
        cass_rotator_pa: 45.5,
        keywords: { CRPA: 45.5, PREIMAGE: false },
      },
    },
  );
  await addFile('N20200101S0002.fits', {
    h: {
      ...GN,
      program_id: 'GN-2019A-FT-211',
      observation_id: 'GN-2019A-FT-211-2',
      data_label: 'GN-2019A-FT-211-2-001',
      instrument: 'GMOS-N',
      ut_datetime: '2020-01-01T06:00:00Z',
      observation_type: 'FLAT',
      observation_class: 'progCal',
      qa_state: 'Usable',
      object: 'GCALflat',
      exposure_time: 2,
      filter_name: 'g',
      disperser: 'MIRROR',
      focal_plane_mask: 'Imaging',
      detector_binning: '1x1',
      detector_roi_setting: 'Central Spectrum',
      spectroscopy: false,
      mode: 'imaging',
      adaptive_optics: false,
      raw_cc: '70-percentile',
      reduction: 'RAW',
      processing: 'Raw',
      keywords: { CRPA: 'unknown' },
    },
  });
  // Observed at 20:00 UT on 1 January: the 2 January night in Chile (17:00 CLST rollover).
  await addFile('S20200102S0001.fits', {
    h: {
      ...GS,
      program_id: 'GS-2019B-Q-5',
      observation_id: 'GS-2019B-Q-5-3',
      data_label: 'GS-2019B-Q-5-3-001',
      instrument: 'GMOS-S',
      ut_datetime: '2020-01-01T20:00:00Z',
      observation_type: 'OBJECT',
      observation_class: 'science',
      qa_state: 'Fail',
      object: INJECTION,
      ra: 150,
      dec: -30,
      exposure_time: 300,
      filter_name: 'i',
      disperser: 'R400',
      focal_plane_mask: 'GS2019BQ005-01',
      detector_binning: '1x1',
      detector_roi_setting: 'Fixed',
      spectroscopy: true,
      mode: 'MOS',
      adaptive_optics: false,
      raw_iq: '20',
      reduction: 'RAW',
      processing: 'Raw',
    },
  });
  await addFile('N20200103S0010.fits', {
    h: {
      ...GN,
      program_id: 'GN-ENG20200103',
      observation_id: 'GN-ENG20200103-1',
      data_label: 'GN-ENG20200103-1-001',
      instrument: 'NIRI',
      ut_datetime: '2020-01-03T10:00:00Z',
      observation_type: 'DARK',
      observation_class: 'dayCal',
      qa_state: 'Undefined',
      object: 'Dark',
      engineering: true,
      exposure_time: 10,
    },
  });
  // 5 arcsec from S20200102S0001 on the sky.
  await addFile('N20200105S0020.fits', {
    h: {
      ...GN,
      program_id: 'GN-2019A-FT-211',
      observation_id: 'GN-2019A-FT-211-3',
      data_label: 'GN-2019A-FT-211-3-001',
      instrument: 'NIRI',
      ut_datetime: '2020-01-05T08:00:00Z',
      observation_type: 'OBJECT',
      observation_class: 'science',
      qa_state: 'CHECK',
      object: UNICODE,
      ra: 150 + 0.001 / Math.cos((30 * Math.PI) / 180),
      dec: -30.001,
      exposure_time: 15,
      filter_name: 'K',
      adaptive_optics: true,
      laser_guide_star: true,
      science_verification: true,
      raw_cc: '50',
      coadds: 4,
    },
  });
  await addFile('S20200110S0100.fits', {
    h: {
      ...GS,
      program_id: 'GS-CAL20200110',
      observation_id: 'GS-CAL20200110-2',
      data_label: 'GS-CAL20200110-2-005',
      instrument: 'GMOS-S',
      ut_datetime: '2020-01-10T23:00:00Z',
      observation_type: 'FLAT',
      observation_class: 'partnerCal',
      qa_state: 'Pass',
      object: 'Twilight',
      calibration_program: true,
      detector_binning: '2x2',
    },
  });
  // A processed file whose header has no time.
  await addFile('N20200101S0001_flat.fits', {
    df: { mdready: false },
    h: {
      ...GN,
      program_id: 'GN-2019A-FT-211',
      instrument: 'GMOS-N',
      reduction: 'PROCESSED_FLAT',
      qa_state: 'Pass',
      procmode: 'sq',
      processing: 'Science-Quality',
      keywords: { PROCMODE: 'sq', PREIMAGE: true },
    },
  });
});
afterAll(async () => t?.drop());

/** File names a selection path matches, sorted. */
async function names(path: string | string[]): Promise<string[]> {
  const sel = parseSelection(path);
  expect(sel.unrecognised).toEqual([]);
  const { where, values } = selectionToSql(sel);
  const r = await t.db.query(
    `SELECT f.name FROM header h JOIN diskfile df ON df.id = h.diskfile_id JOIN file f ON f.id = df.file_id WHERE ${where} ORDER BY f.name`,
    values,
  );
  return r.rows.map((row) => row.name as string).sort();
}

const sorted = (...names: string[]) => names.sort();

const S1 = 'N20200101S0001.fits';
const S2 = 'N20200101S0002.fits';
const SS = 'S20200102S0001.fits';
const ENG = 'N20200103S0010.fits';
const AO = 'N20200105S0020.fits';
const TW = 'S20200110S0100.fits';
const PROC = 'N20200101S0001_flat.fits';

describe('selection against the database', () => {
  it('an empty selection gives every canonical, non-engineering file', async () => {
    expect(await names('')).toEqual(sorted(PROC, S1, S2, AO, SS, TW));
  });

  it('identifiers', async () => {
    expect(await names('/GN-2019A-FT-211')).toEqual(sorted(PROC, S1, S2, AO));
    expect(await names('/GN-2019A-FT-211-2')).toEqual(sorted(S2));
    expect(await names('/GN-2019A-FT-211-1-001')).toEqual(sorted(S1));
    expect(await names('/progid=GN-2019A-FT-211-3')).toEqual(sorted(AO));
    expect(await names('/GN-ENG20200103')).toEqual(sorted(ENG));
  });

  it('files and file prefixes', async () => {
    expect(await names('/N20200101S0001')).toEqual(sorted(S1));
    expect(await names('/N20200101S0001.fits.bz2')).toEqual(sorted(S1));
    expect(await names('/filename=N20200103S0010.fits')).toEqual(sorted(ENG));
    expect(await names('/N20200101')).toEqual(sorted(PROC, S1, S2));
    expect(await names('/filepre=S2020')).toEqual(sorted(SS, TW));
  });

  it('versions: canonical by default, present, notcanonical', async () => {
    expect(await names('/present/filename=N20200101S0001.fits')).toEqual(sorted(S1));
    expect(await names('/notcanonical')).toEqual(sorted(S1));
    expect(await names('/notcanonical/Fail')).toEqual(sorted(S1));
    expect(await names('/N20200101S0001/Fail')).toEqual(sorted());
  });

  it('instruments and telescopes', async () => {
    expect(await names('/GMOS-N')).toEqual(sorted(PROC, S1, S2));
    expect(await names('/gmos')).toEqual(sorted(PROC, S1, S2, SS, TW));
    expect(await names('/niri')).toEqual(sorted(AO));
    expect(await names('/GeminiSouth')).toEqual(sorted(SS, TW));
  });

  it('engineering data only when asked for or named', async () => {
    expect(await names('/NIRI/includeengineering')).toEqual(sorted(ENG, AO));
    expect(await names('/engineering')).toEqual(sorted(ENG));
    expect(await names('/NIRI/notengineering')).toEqual(sorted(AO));
    expect(await names('/GN-ENG20200103-1-001')).toEqual(sorted(ENG));
  });

  it('observation type and class', async () => {
    expect(await names('/OBJECT')).toEqual(sorted(S1, AO, SS));
    expect(await names('/FLAT')).toEqual(sorted(S2, TW));
    expect(await names('/DARK/includeengineering')).toEqual(sorted(ENG));
    expect(await names('/science')).toEqual(sorted(S1, AO, SS));
    expect(await names('/progCal')).toEqual(sorted(S2));
    expect(await names('/partnerCal')).toEqual(sorted(TW));
  });

  it('UT dates and ranges', async () => {
    expect(await names('/date=20200101')).toEqual(sorted(S1, S2, SS));
    expect(await names('/date=20200102')).toEqual(sorted());
    expect(await names('/daterange=20200101-20200105/includeengineering')).toEqual(
      sorted(S1, S2, ENG, AO, SS),
    );
    expect(await names('/daterange=20200105-20200103')).toEqual(sorted(AO));
  });

  it('bare dates and ranges are observing nights, as on archive.gemini.edu', async () => {
    expect(await names('/20200101')).toEqual(await names('/night=20200101'));
    expect(await names('/20200102')).toEqual(sorted(SS)); // the Chilean evening of 1 January
    expect(await names('/20200101-20200102')).toEqual(await names('/nightrange=20200101-20200102'));
  });

  it('nights: a Chilean evening belongs to the next night', async () => {
    expect(await names('/night=20200101')).toEqual(sorted(S1, S2));
    expect(await names('/night=20200102')).toEqual(sorted(SS));
    expect(await names('/nightrange=20200101-20200102')).toEqual(sorted(S1, S2, SS));
    expect(await names('/night=20200111')).toEqual(sorted(TW)); // 23:00 UT on the 10th
  });

  it('QA states', async () => {
    expect(await names('/Pass')).toEqual(sorted(PROC, S1, TW));
    expect(await names('/Usable')).toEqual(sorted(S2));
    expect(await names('/Fail')).toEqual(sorted(SS));
    expect(await names('/CHECK')).toEqual(sorted(AO));
    expect(await names('/Win')).toEqual(sorted(PROC, S1, S2, TW));
    expect(await names('/NotFail')).toEqual(sorted(PROC, S1, S2, AO, TW));
    expect(await names('/Lucky/includeengineering')).toEqual(sorted(PROC, S1, ENG, TW));
    expect(await names('/UndefinedQA/includeengineering')).toEqual(sorted(ENG));
    expect(await names('/AnyQA')).toEqual(sorted(PROC, S1, S2, AO, SS, TW));
  });

  it('flags', async () => {
    expect(await names('/AO')).toEqual(sorted(AO));
    expect(await names('/LGS')).toEqual(sorted(AO));
    expect(await names('/NGS')).toEqual(sorted());
    expect(await names('/NOTAO/GMOS')).toEqual(sorted(PROC, S1, S2, SS, TW));
    expect(await names('/science_verification')).toEqual(sorted(AO));
    expect(await names('/calprog')).toEqual(sorted(TW));
    expect(await names('/twilight')).toEqual(sorted(TW));
    expect(await names('/mdbad')).toEqual(sorted(PROC));
    expect(await names('/preimage')).toEqual(sorted(PROC));
  });

  it('modes', async () => {
    expect(await names('/spectroscopy')).toEqual(sorted(S1, SS));
    expect(await names('/imaging/GMOS')).toEqual(sorted(PROC, S2, TW));
    expect(await names('/LS')).toEqual(sorted(S1));
    expect(await names('/MOS')).toEqual(sorted(SS));
  });

  it('processing and reduction', async () => {
    expect(await names('/Raw')).toEqual(sorted(S1, S2, SS));
    expect(await names('/Science-Quality')).toEqual(sorted(PROC));
    expect(await names('/PROCESSED_FLAT')).toEqual(sorted(PROC));
  });

  it('instrument configuration', async () => {
    expect(await names('/B600')).toEqual(sorted(S1)); // stored with its component id
    expect(await names('/disperser=R400')).toEqual(sorted(SS));
    expect(await names('/1.0arcsec')).toEqual(sorted(S1));
    expect(await names('/GMOS-S/mask=GS2019BQ005')).toEqual(sorted(SS)); // GMOS masks by prefix
    expect(await names('/filter=K')).toEqual(sorted(AO));
    expect(await names('/2x2')).toEqual(sorted(S1, TW));
    expect(await names('/1x1')).toEqual(sorted(S2, SS));
    expect(await names('/fullframe')).toEqual(sorted(S1, SS)); // 'Fixed' counts as full frame
    expect(await names('/centralspectrum')).toEqual(sorted(S2));
    expect(await names('/low/slow')).toEqual(sorted(S1));
    expect(await names('/cenwlen=0.55-0.65')).toEqual(sorted(S1));
    expect(await names('/coadds=4')).toEqual(sorted(AO));
  });

  it('observing conditions in either stored spelling', async () => {
    expect(await names('/raw_cc=50')).toEqual(sorted(S1, AO));
    expect(await names('/raw_cc=CC70')).toEqual(sorted(S2));
    expect(await names('/raw_iq=20')).toEqual(sorted(SS));
  });

  it('exposure time: a value ±0.5 s, or a range', async () => {
    expect(await names('/exposure_time=30')).toEqual(sorted(S1));
    expect(await names('/exposure_time=29.6')).toEqual(sorted(S1));
    expect(await names('/exposure_time=10-30/includeengineering')).toEqual(sorted(S1, ENG, AO));
  });

  it('position: a cone, in arcseconds unless told', async () => {
    expect(await names('/ra=10:00:00/dec=-30:00:00/sr=10')).toEqual(sorted(AO, SS));
    expect(await names('/ra=150/dec=-30/sr=2')).toEqual(sorted(SS));
    expect(await names('/ra=150/dec=-30/sr=1d')).toEqual(sorted(AO, SS));
    expect(await names('/ra=40.6696/dec=-0.0133/sr=1')).toEqual(sorted(S1));
    expect(await names('/dec=-31--29')).toEqual(sorted(AO, SS));
    expect(await names('/ra=149-151')).toEqual(sorted(AO, SS));
    expect(await names('/az=90-110/el=50-70')).toEqual(sorted(S1));
    expect(await names('/crpa=40-50')).toEqual(sorted(S1)); // and the non-number CRPA is skipped, not an error
  });

  it('object names: case-insensitive, with * wildcards', async () => {
    expect(await names('/object=ngc*')).toEqual(sorted(S1));
    expect(await names('/object=NGC 1068')).toEqual(sorted(S1));
    expect(await names('/object=*flat')).toEqual(sorted(S2));
    expect(await names('/object=*1068*')).toEqual(sorted(S1));
    expect(await names('/object=NGC')).toEqual(sorted());
  });

  it('injection strings are only ever values', async () => {
    expect(await names(['object=' + INJECTION])).toEqual(sorted(SS));
    expect(await names('/object=' + encodeURIComponent(INJECTION))).toEqual(sorted(SS));
    expect(await names(["object=O'Brien*"])).toEqual(sorted(SS));
    expect(await names(["progid=GN' OR '1'='1"])).toEqual(sorted());
    expect(await names(["filename=x' OR 'a'='a"])).toEqual(sorted());
    expect(await names(["filter=r'; DELETE FROM file;--"])).toEqual(sorted());
    expect(await names(['object=%'])).toEqual(sorted()); // LIKE characters are literal
    expect(await names(['object=_*'])).toEqual(sorted());
    expect(await names(['filepre=N2020010_S'])).toEqual(sorted());
    expect(await names(['object=$1'])).toEqual(sorted());
    expect(await names(['object=' + UNICODE])).toEqual(sorted(AO));
    expect(await names('/object=' + encodeURIComponent('ümlaut') + '*')).toEqual(sorted(AO));
    // PostgreSQL text cannot hold NUL: such a term is reported, not sent.
    expect(parseSelection(['object=a\u0000b']).unrecognised).toEqual(['object=a\ufffdb']);
    const counts = await t.db.query(
      'SELECT (SELECT count(*) FROM file) AS files, (SELECT count(*) FROM header) AS headers',
    );
    expect(counts.rows[0]).toEqual({ files: 7, headers: 8 });
  });
});

describe('searchHeaders', () => {
  it('returns header, diskfile and file columns, oldest first for a closed query', async () => {
    const r = await searchHeaders(t.db, parseSelection('/GN-2019A-FT-211'));
    expect(r).toMatchObject({ truncated: false, open: false, limit: 10_000 });
    expect(r.rows.map((x) => x.name)).toEqual([S1, S2, AO, PROC]); // no time last
    const row = r.rows[0];
    expect(row).toMatchObject({
      name: S1,
      filename: S1 + '.bz2',
      data_label: 'GN-2019A-FT-211-1-001',
      present: true,
      canonical: true,
      compressed: false,
      mdready: true,
      ra: 40.6696,
    });
    expect(row.ut_datetime).toEqual(new Date('2020-01-01T05:00:00Z'));
    // The keyword document stays in the database: a search result carries the columns.
    expect(row.keywords).toEqual({});
    expect(row.cass_rotator_pa).toBe(45.5);
    expect(row).not.toHaveProperty('search_rank');
    for (const k of [
      'path',
      'file_md5',
      'file_size',
      'data_md5',
      'data_size',
      'lastmod',
      'entrytime',
      'diskfile_id',
      'id',
    ]) {
      expect(row).toHaveProperty(k);
    }
  });

  it('gives an open query newest first', async () => {
    const r = await searchHeaders(t.db, parseSelection('/GMOS'));
    expect(r).toMatchObject({ open: true, limit: 500, truncated: false });
    expect(r.rows.map((x) => x.name)).toEqual([TW, SS, S2, S1, PROC]);
  });

  it('orders by allow-listed columns, and refuses others', async () => {
    const r = await searchHeaders(t.db, parseSelection('/GN-2019A-FT-211'), {
      orderBy: 'exposure_time',
      desc: true,
    });
    expect(r.rows.map((x) => x.name)).toEqual([S1, AO, S2, PROC]);
    const f = await searchHeaders(t.db, parseSelection('/GMOS'), { orderBy: ['filter_name', 'filename'] });
    expect(f.rows.map((x) => x.filter_name)).toEqual(['g', 'i', 'r', null, null]);
    await expect(
      searchHeaders(t.db, parseSelection(''), { orderBy: 'ra; DROP TABLE header' as never }),
    ).rejects.toThrow(/cannot order/);
    expect(parseOrderBy('ut_datetime_desc')).toEqual({ column: 'ut_datetime', desc: true });
    expect(parseOrderBy('object')).toEqual({ column: 'object', desc: false });
    expect(parseOrderBy('password')).toBeNull();
  });

  it('under a limit keeps the first rows in the order asked (as the archive), and says it truncated', async () => {
    const all5 = (await searchHeaders(t.db, parseSelection('/GMOS'))).rows.map((x) => x.name);
    const r = await searchHeaders(t.db, parseSelection('/GMOS'), { limit: 2, orderBy: 'filename' });
    expect(r.truncated).toBe(true);
    expect(r.rows.map((x) => x.name)).toEqual([...all5].sort().slice(0, 2));
    // Without an order asked for, the newest two.
    const newest = await searchHeaders(t.db, parseSelection('/GMOS'), { limit: 2 });
    expect(newest.rows.map((x) => x.name)).toEqual([TW, SS]);
    const all = await searchHeaders(t.db, parseSelection('/GMOS'), { limit: null });
    expect(all).toMatchObject({ truncated: false, limit: null });
    expect(all.rows).toHaveLength(5);
    const exact = await searchHeaders(t.db, parseSelection('/GMOS'), { limit: 5 });
    expect(exact.truncated).toBe(false);
  });

  it('limits an open query to the newest 500', async () => {
    // 520 more GMOS-N files, one a minute from 2021-01-01.
    await t.db.query(`
      WITH f AS (INSERT INTO file (name) SELECT format('N20210101S%s.fits', lpad(i::text, 4, '0')) FROM generate_series(1, 520) i RETURNING id, name),
      d AS (INSERT INTO diskfile (file_id, filename) SELECT id, name FROM f RETURNING id, filename)
      INSERT INTO header (diskfile_id, instrument, engineering, ut_datetime)
      SELECT id, 'GMOS-N', false, '2021-01-01T00:00:00Z'::timestamptz + (substr(filename, 11, 4)::int * interval '1 minute') FROM d`);
    const open = await searchHeaders(t.db, parseSelection('/GMOS-N'));
    expect(open).toMatchObject({ open: true, truncated: true, limit: 500 });
    expect(open.rows).toHaveLength(500);
    expect(open.rows[0].name).toBe('N20210101S0520.fits');
    expect(open.rows[499].name).toBe('N20210101S0021.fits');
    const closed = await searchHeaders(t.db, parseSelection('/GMOS-N/N2021'));
    expect(closed).toMatchObject({ open: false, truncated: false });
    expect(closed.rows).toHaveLength(520);
    expect(closed.rows[0].name).toBe('N20210101S0001.fits');
  });
});
