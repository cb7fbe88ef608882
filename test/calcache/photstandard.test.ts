import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { associate, loadTarget } from '../../src/calcache/index.js';
import { createTestDb, type TestDb } from '../helpers/db.js';
import { type Frame, insertFrame } from './frames.js';

// photometric_standard: NIRI images are associated with images of standard fields
// (header.phot_standard, set by ingest) taken within a day through the same filter and camera.

let t: TestDb;
const ids: Record<string, number> = {};

beforeAll(async () => {
  t = await createTestDb('calcache_photstd');
  const image = (name: string, ut: string, over: Partial<Frame> = {}): Frame => ({
    name,
    instrument: 'NIRI',
    ut,
    observation_type: 'OBJECT',
    observation_class: 'science',
    spectroscopy: false,
    filter_name: 'J',
    camera: 'f6',
    ...over,
  });
  ids.science = await insertFrame(t.db, image('N20250110S0001.fits', '2025-01-10T05:00:00Z'));
  ids.standard = await insertFrame(t.db, image('N20250110S0002.fits', '2025-01-10T08:00:00Z'));
  ids.otherFilter = await insertFrame(
    t.db,
    image('N20250110S0003.fits', '2025-01-10T08:00:00Z', { filter_name: 'H' }),
  );
  ids.tooLate = await insertFrame(t.db, image('N20250113S0004.fits', '2025-01-13T08:00:00Z'));
  ids.notStandard = await insertFrame(t.db, image('N20250110S0005.fits', '2025-01-10T09:00:00Z'));
  await t.db.query('UPDATE header SET phot_standard = true WHERE id = ANY($1::bigint[])', [
    [ids.standard, ids.otherFilter, ids.tooLate],
  ]);
});
afterAll(async () => t?.drop());

describe('photometric_standard association', () => {
  it('finds standard-field images of the same filter and camera within a day', async () => {
    const target = await loadTarget(t.db, ids.science);
    const found = await associate(t.db, target!, ['photometric_standard']);
    expect(found.map((a) => [a.caltype, a.cal_hid])).toEqual([['photometric_standard', ids.standard]]);
  });
});
