import { createHash } from 'node:crypto';
import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { parseHeader } from '../../../src/fits/header.js';
import { readFitsFile } from '../../../src/fits/reader.js';
import { buildFits, headerBlocks, imageHdu, type CardInput } from '../../../src/fits/write.js';
import { parseSelection } from '../../../src/gemini/selection/index.js';
import { ingestFile, type IngestDeps } from '../../../src/services/ingest/ingest.js';
import { bzip2 } from '../../../src/gemini/samples.js';
import { searchHeaders } from '../../../src/services/archive/search.js';
import { copyFromVisitingInstrument, repairEdit } from '../../../src/services/visiting/visiting.js';
import { LocalStorage } from '../../../src/storage/local.js';
import { createTestDb, type TestDb } from '../../helpers/db.js';
import { putFile } from '../../helpers/fixtures.js';
import { fixedParams, quietLog, tempDir, testConfig } from '../../helpers/env.js';

// 'Alopeke files as the speckle camera writes them — no TELESCOP, program only as PROGID, no
// observation id, data label or release date, observation type in lower case, WCS values as
// strings, the start time only as a Unix time — copied into the store, repaired, ingested and
// found by program id.

let t: TestDb;
let tmp: ReturnType<typeof tempDir>;
let deps: IngestDeps;
let source: string;
let root: string;
const PROG = 'GN-2020B-Q-123';
const old = new Date(Date.now() - 3600_000);

/** The cards of a raw 'Alopeke cube (after the mandatory ones), modelled on real headers. */
function alopekeCards(serial: number): CardInput[] {
  return [
    ['BZERO', 32768, 'offset data range to that of unsigned short'],
    ['BSCALE', 1, 'default scaling factor'],
    ['CREATOR', 'Linux ANDOR CCD control', 'Speckle Data-taking program'],
    ['MJD-OBS', 59145.25, 'MJD at start of obs'],
    ['UTC', '06:00:10.0', 'UTC time at end of observation'],
    ['RA', '23:30:50.691', 'Telescope RA'],
    ['DEC', '+19:53:54.89', 'Telescope DEC'],
    ['AIRMASS', 1.02, 'airmass at start of exposure'],
    ['OBSERVAT', 'Gemini-North', 'Originating Observatory'],
    ['PROGID', PROG, 'from speckle.scope.ProgID'],
    ['INSTRUME', 'Alopeke', 'Instrument name'],
    ['DATE-OBS', '2020-10-23', 'Date of start of observation in UTC'],
    ['OBSTIME', 1603432800 + serial, 'UTC at start of observation'],
    ['OBSTYPE', 'object', 'Type of picture (object, dark, etc.)'],
    ['EXPTIME', 0.06, 'Frame Exposure time in seconds'],
    ['FILTER', '832@40', 'Filter name'],
    ['CRVAL1', '19.89833333333333', 'Declination of reference pixel [deg]'],
    ['CRVAL2', '352.7083333333333', 'RA of reference pixel [deg]'],
    ['CTYPE1', 'DEC--TAN', 'Coordinate type'],
    ['CTYPE2', 'RA--TAN', 'Coordinate type'],
  ];
}

/** A small 8x8x3 cube; OBJECT written under the camera's own lower-case keyword 'Object'. */
function alopekeFile(serial: number): Buffer {
  const pixels = new Uint16Array(8 * 8 * 3).map((_, i) => (i * 37 + serial) % 65535);
  const hdu = imageHdu(pixels, { primary: true, shape: [8, 8, 3], cards: alopekeCards(serial) });
  hdu.cards = hdu.cards.filter(
    (c) => !(Array.isArray(c) && (c[0] === 'BZERO' || c[0] === 'BSCALE') && c.length === 2),
  );
  const bytes = buildFits([hdu]);
  const end = 'END'.padEnd(80);
  const text = bytes.toString('latin1');
  const at = text.indexOf(end);
  return Buffer.concat([
    Buffer.from(text.slice(0, at) + `Object  = 'HD 1234 ${serial}'`.padEnd(80) + end, 'latin1'),
    bytes.subarray(at + 160),
  ]);
}

function stage(rel: string, bytes: Buffer) {
  putFile(path.join(source, rel), bytes, old);
}

async function pixelMd5(file: string) {
  const h = createHash('md5');
  await readFitsFile(file, { onData: (_hdu, c) => void h.update(c) });
  return h.digest('hex');
}

async function ingestQueue() {
  const q = await t.db.query('DELETE FROM ingestqueue RETURNING filename, path');
  for (const row of q.rows) await ingestFile(deps, { filename: row.filename, path: row.path });
  return q.rows.map((r) => `${r.path}/${r.filename}`).sort();
}

beforeAll(async () => {
  t = await createTestDb('visiting');
  tmp = tempDir('visiting');
  const config = testConfig(tmp.dir);
  root = config.paths.storage_root;
  source = path.join(tmp.dir, 'visiting', 'alopeke');
  deps = { db: t.db, storage: new LocalStorage(root), config, log: quietLog, params: fixedParams() };
});
afterAll(async () => {
  await t?.drop();
  tmp?.cleanup();
});

describe('copy-from-visiting-instrument --alopeke', () => {
  beforeEach(() => {
    stage('20201023/N20201023A0021r.fits.bz2', bzip2(alopekeFile(1)));
    stage('20201023/N20201023A0021b.fits.bz2', bzip2(alopekeFile(2)));
    stage('N20201023A0022r.fits', alopekeFile(3));
    stage('20201023/notes.txt', Buffer.from('not data'));
    stage('20201023/.N20201023A0023r.fits.bz2.tmp', Buffer.from('being written'));
  });

  it('a dry run says what it would repair and writes nothing', async () => {
    const r = await copyFromVisitingInstrument(
      { db: t.db, storage: deps.storage, log: quietLog },
      { instrument: 'alopeke', source, dryrun: true },
    );
    expect(r.wouldCopy.map((c) => c.key).sort()).toEqual([
      'alopeke/20201023/N20201023A0021b.fits.bz2',
      'alopeke/20201023/N20201023A0021r.fits.bz2',
      'alopeke/20201023/N20201023A0022r.fits',
    ]);
    expect(r.wouldCopy[0].changes.map((c) => c.keyword)).toEqual(
      expect.arrayContaining([
        'TELESCOP',
        'GEMPRGID',
        'OBSID',
        'DATALAB',
        'OBSTYPE',
        'OBJECT',
        'UT',
        'RELEASE',
        'HISTORY',
      ]),
    );
    expect(existsSync(path.join(root, 'alopeke'))).toBe(false);
    expect((await t.db.query('SELECT count(*)::int AS n FROM ingestqueue')).rows[0].n).toBe(0);
  });

  it('repairs, stores under alopeke/<date>/, queues ingest; the files are then searchable by program id', async () => {
    const r = await copyFromVisitingInstrument(
      { db: t.db, storage: deps.storage, log: quietLog },
      { instrument: 'alopeke', source },
    );
    expect(r.errors).toEqual([]);
    expect(r.copied).toHaveLength(3);
    expect(readdirSync(path.join(root, 'alopeke', '20201023')).sort()).toEqual([
      'N20201023A0021b.fits.bz2',
      'N20201023A0021r.fits.bz2',
      'N20201023A0022r.fits',
    ]);

    const stored = path.join(root, 'alopeke/20201023/N20201023A0021r.fits.bz2');
    const h = (await readFitsFile(stored, { wantData: () => false })).hdus[0].header;
    expect(h.get('TELESCOP')).toBe('Gemini-North');
    expect(h.get('GEMPRGID')).toBe(PROG);
    expect(h.get('OBSID')).toBe(`${PROG}-0`);
    expect(h.get('DATALAB')).toBe(`${PROG}-0-0`);
    expect(h.get('OBSTYPE')).toBe('OBJECT');
    expect(h.get('OBJECT')).toBe('HD 1234 1');
    expect(h.get('CRVAL1')).toBeCloseTo(19.8983333);
    expect(h.get('UT')).toBe('06:00:01.000');
    expect(h.get('RELEASE')).toBe('2021-10-23');
    expect(h.get('ORIGNAME')).toBe('N20201023A0021r.fits');
    expect(h.cards.filter((c) => c.keyword === 'HISTORY').map((c) => c.comment)).toContain(
      'Corrected metadata: Alopeke fixes',
    );
    // OBJECT now under its proper keyword, once.
    expect(h.cards.filter((c) => c.keyword === 'OBJECT').map((c) => c.raw.slice(0, 8))).toEqual(['OBJECT  ']);
    expect(h.get('PROGID')).toBe(PROG); // what the camera wrote stays
    // The pixels are the camera's.
    const src = path.join(source, '20201023/N20201023A0021r.fits.bz2');
    expect(await pixelMd5(stored)).toBe(await pixelMd5(src));

    expect(await ingestQueue()).toEqual([
      'alopeke/20201023/N20201023A0021b.fits.bz2',
      'alopeke/20201023/N20201023A0021r.fits.bz2',
      'alopeke/20201023/N20201023A0022r.fits',
    ]);
    const found = await searchHeaders(t.db, parseSelection(PROG));
    expect(found.rows.map((row) => row.name).sort()).toEqual([
      'N20201023A0021b.fits',
      'N20201023A0021r.fits',
      'N20201023A0022r.fits',
    ]);
    expect(found.rows[0]).toMatchObject({
      program_id: PROG,
      telescope: 'Gemini-North',
      observation_id: `${PROG}-0`,
      path: 'alopeke/20201023',
    });
    expect(found.rows.every((row) => row.ut_datetime?.toISOString().startsWith('2020-10-23T06:00:0'))).toBe(
      true,
    );
  });

  it('is idempotent: a second run copies and queues nothing', async () => {
    const r = await copyFromVisitingInstrument(
      { db: t.db, storage: deps.storage, log: quietLog },
      { instrument: 'alopeke', source },
    );
    expect(r.copied).toEqual([]);
    expect(r.skipped.map((s) => s.reason)).toEqual(Array(3).fill('already present in the database'));
    expect((await t.db.query('SELECT count(*)::int AS n FROM ingestqueue')).rows[0].n).toBe(0);
  });
});

describe('per-instrument repairs', () => {
  const header = (cards: CardInput[]) =>
    parseHeader(headerBlocks([['SIMPLE', true], ['BITPIX', 8], ['NAXIS', 0], ...cards])).header;
  const setOf = (e: ReturnType<typeof repairEdit>) =>
    Object.fromEntries((e.set ?? []).map((c) => [c.keyword, c.value]));

  it('leaves a correct header alone', () => {
    const good = header([
      ['INSTRUME', 'Alopeke'],
      ['TELESCOP', 'Gemini-North'],
      ['OBSERVAT', 'Gemini-North'],
      ['GEMPRGID', PROG],
      ['OBSID', `${PROG}-0`],
      ['DATALAB', `${PROG}-0-0`],
      ['OBSTYPE', 'OBJECT'],
      ['DATE-OBS', '2020-10-23'],
      ['UT', '06:00:00'],
      ['RELEASE', '2021-10-23'],
      ['ORIGNAME', 'x.fits'],
    ]);
    expect(repairEdit('alopeke', good, 'N20201023A0021r.fits.bz2')).toEqual({});
  });

  it('IGRINS: the telescope spelled the archive way, a numeric OBSID under its program', () => {
    const e = setOf(
      repairEdit(
        'igrins',
        header([
          ['TELESCOP', 'Gemini South'],
          ['INSTRUME', 'IGRINS'],
          ['PROGID', 'GS-2020B-Q-211'],
          ['OBSID', 52],
          ['DATE-OBS', '2020-11-20T05:44:45.594'],
        ]),
        'SDCH_20201119_0052.fits',
      ),
    );
    expect(e).toMatchObject({
      TELESCOP: 'Gemini-South',
      GEMPRGID: 'GS-2020B-Q-211',
      OBSID: 'GS-2020B-Q-211-52',
      DATALAB: 'GS-2020B-Q-211-52-0',
      RELEASE: '2021-11-20',
    });
    expect(e.UT).toBeUndefined();
  });

  it('Zorro and MAROON-X: their telescope, program from PROGID or the MAROON-X HIERARCH card', () => {
    expect(
      setOf(
        repairEdit(
          'zorro',
          header([
            ['INSTRUME', 'Zorro'],
            ['PROGID', 'GS-2019A-DD-109'],
          ]),
          'S20190716Z0925b.fits.bz2',
        ),
      ),
    ).toMatchObject({
      TELESCOP: 'Gemini-South',
      GEMPRGID: 'GS-2019A-DD-109',
      OBSID: 'GS-2019A-DD-109-0',
      'DATE-OBS': '2019-07-16',
      RELEASE: '2020-07-15',
      ORIGNAME: 'S20190716Z0925b.fits',
    });
    const m = setOf(
      repairEdit(
        'maroonx',
        header([
          ['MAROONX TELESCOPE PROGRAMID', 'GN-CAL20250101'],
          ['DATE-OBS', '2025-01-01T17:19:57.000'],
        ]),
        'N20250101M0624.fits',
      ),
    );
    expect(m).toMatchObject({
      INSTRUME: 'MAROON-X',
      TELESCOP: 'Gemini-North',
      GEMPRGID: 'GN-CAL20250101',
      OBSID: 'GN-CAL20250101-0',
    });
  });
});
