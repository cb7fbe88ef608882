// The searches behind the archive's terms that need more than a header column: read modes,
// pupil masks, photometric and astrometric standards, programs (full-text PI and title search),
// publications, file paths, entry and modification ranges, processing tags, NOAO. One row per
// term: the files it must find among a handful that differ in exactly that.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseSelection } from '../../../src/gemini/selection/index.js';
import { searchHeaders } from '../../../src/services/archive/search.js';
import { createTestDb, type TestDb } from '../../helpers/db.js';
import { fileRows, headerRow } from '../../helpers/fixtures.js';

let t: TestDb;

type Row = Record<string, unknown>;

async function addFile(name: string, h: Row, df: Row = {}): Promise<void> {
  const {
    diskfileIds: [id],
  } = await fileRows(t.db, name, { filename: name, path: '', present: true, canonical: true, ...df });
  await headerRow(t.db, id, {
    engineering: false,
    instrument: 'GMOS-N',
    telescope: 'Gemini-North',
    ut_datetime: '2024-03-01T10:00:00Z',
    reduction: 'RAW',
    ...h,
  });
}

beforeAll(async () => {
  t = await createTestDb('selection_terms');
  await addFile('N20240301S0001.fits', {
    program_id: 'GN-2024A-Q-1',
    detector_readmode_setting: 'NodAndShuffle',
    adaptive_optics: false,
  });
  await addFile('N20240301S0002.fits', {
    program_id: 'GN-2024A-Q-2',
    detector_readmode_setting: 'Classic',
    phot_standard: true,
    adaptive_optics: true,
  });
  await addFile(
    'N20240301S0003.fits',
    {
      program_id: 'GN-2024A-Q-3',
      instrument: 'NIRI',
      detector_readmode_setting: 'Very Faint Objects',
      keywords: { FILTER3: 'pupil38_G5207' },
    },
    { path: '2024/03', entrytime: '2024-03-05T00:00:00Z', lastmod: '2024-03-02T00:00:00Z' },
  );
  await addFile('S20240301S0004.fits', {
    program_id: 'GS-2024A-Q-4',
    instrument: 'GPI',
    telescope: 'Gemini-South',
    keywords: { ASTROMTC: true, APODIZER: 'APOD_H_G6205' },
  });
  await addFile('N20240301S0005.fits', {
    program_id: 'GN-2024A-Q-1',
    reduction: 'PROCESSED_SCIENCE',
    keywords: { PROCTAG: 'GMOS-2024' },
  });
  await addFile('N20240301S0006.fits', {
    program_id: 'GN-2024A-Q-1',
    reduction: 'PROCESSED_SCIENCE',
    keywords: { PROCTAG: 'GMOS-2023' },
  });
  await t.db.query(`INSERT INTO program (program_id, title, pi_coi_names) VALUES
    ('GN-2024A-Q-1', 'Dark matter in dwarf galaxies', 'Jane Hirst, Kumar Patel'),
    ('GN-2024A-Q-2', 'Supernova light curves', 'Ana Gomez'),
    ('GN-2024A-Q-3', 'Brown dwarfs in young clusters', 'Kumar Patel')`);
  await t.db.query(`INSERT INTO publication (bibcode, title) VALUES ('2025ApJ...900..123H', 'Dwarfs')`);
  await t.db.query(`INSERT INTO programpublication (program_id, publication_id)
    SELECT p.id, pub.id FROM program p, publication pub WHERE p.program_id IN ('GN-2024A-Q-1', 'GN-2024A-Q-3')`);
}, 60_000);

afterAll(async () => {
  await t?.drop();
});

const names = async (path: string) => {
  const sel = parseSelection(path);
  expect(sel.unrecognised, path).toEqual([]);
  return (await searchHeaders(t.db, sel, { orderBy: 'filename' })).rows
    .map((r) => r.name.slice(10, 14))
    .sort();
};

const ROWS: Array<[string, string[]]> = [
  ['NodAndShuffle', ['0001']],
  ['Classic', ['0002']],
  ['Very_Faint_Objects', ['0003']],
  ['readmode=NodAndShuffle', ['0001']],
  ['pupil_mask=pupil38', ['0003']],
  ['pupil_mask=APOD_H', ['0004']],
  ['photstandard', ['0002']],
  ['gpi_astrometric_standard', ['0004']],
  ['PIname=Hirst', ['0001', '0005', '0006']],
  ['PIname=kumar patel', ['0001', '0003', '0005', '0006']],
  ['PIname=Hirst Gomez', []],
  ['ProgramText=dwarf', ['0001', '0003', '0005', '0006']],
  ['ProgramText=supernova', ['0002']],
  ['publication=2025ApJ...900..123H', ['0001', '0003', '0005', '0006']],
  ['publication=1999Natur.000....0X', []],
  ['path=2024%2F03', ['0003']],
  ['entrytimedaterange=20240304-20240305', ['0003']],
  ['lastmoddaterange=20240301-20240302', ['0003']],
  ['processing_tag=GMOS-2024', ['0001', '0002', '0003', '0004', '0005']],
  ['NOAO', ['0001', '0003', '0004', '0005', '0006']], // no AO recorded counts as none
  ['NOTAO', ['0001', '0003', '0004', '0005', '0006']],
  ['AO', ['0002']],
  ['missing', ['0001', '0002', '0003', '0004', '0005', '0006']], // calibration-report options select nothing
];

describe('the searches behind the terms', () => {
  it.each(ROWS)('%s', async (term, expected) => {
    expect(await names('/' + term)).toEqual(expected);
  });
});
