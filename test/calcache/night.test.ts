import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadTarget, rulesFor, updateCalcache } from '../../src/calcache/index.js';
import { enqueue } from '../../src/queues/engine.js';
import { QUEUES } from '../../src/queues/tables.js';
import { runWorker } from '../../src/queues/worker.js';
import { makeCalcacheHandler } from '../../src/services/archive/calcache.js';
import { createTestDb, type TestDb } from '../helpers/db.js';
import { quietLog } from '../helpers/env.js';
import { GMOS_N_DETECTOR, insertFrame, type Frame } from './frames.js';

// One observing night (2025-01-10 UT) at Gemini North and a few days around it: science frames and
// calibrations with matching and non-matching settings. Each calibration's name says why it
// should or should not be picked.

let t: TestDb;
const ids: Record<string, number> = {};

const GMOS = GMOS_N_DETECTOR;
const gmosBias = (name: string, ut: string, over: Partial<Frame> = {}): Frame =>
  ({
    ...GMOS,
    name,
    ut,
    observation_type: 'BIAS',
    observation_class: 'dayCal',
    object: 'Bias',
    ...over,
  }) as Frame;
const GMOS_IMAGING: Partial<Frame> = {
  ...GMOS,
  filter_name: 'r',
  focal_plane_mask: 'Imaging',
  disperser: 'MIRROR',
};
const GMOS_LS: Partial<Frame> = {
  ...GMOS,
  filter_name: 'open',
  focal_plane_mask: '1.0arcsec',
  disperser: 'B600',
  central_wavelength: 0.52,
  spectroscopy: true,
};
const F2: Partial<Frame> = {
  instrument: 'F2',
  filter_name: 'J',
  camera: 'f/16',
  focal_plane_mask: 'Open',
  disperser: 'Open',
  detector_roi_setting: 'Fixed',
  keywords: { LNRS: 8 },
};

const FRAMES: Frame[] = [
  // Science.
  {
    ...GMOS_IMAGING,
    name: 'sci_gmos_image',
    ut: '2025-01-10T08:00:00Z',
    observation_type: 'OBJECT',
  } as Frame,
  { ...GMOS_LS, name: 'sci_gmos_ls', ut: '2025-01-10T09:00:00Z', observation_type: 'OBJECT' } as Frame,
  {
    ...F2,
    name: 'sci_f2',
    ut: '2025-01-10T07:00:00Z',
    observation_type: 'OBJECT',
    exposure_time: 60,
  } as Frame,
  {
    ...GMOS_IMAGING,
    name: 'acq_gmos',
    ut: '2025-01-10T07:55:00Z',
    observation_type: 'OBJECT',
    observation_class: 'acq',
  } as Frame,

  // GMOS biases.
  gmosBias('bias_ok_prev_evening', '2025-01-09T21:00:00Z'), // 11 h before the image, 12 h before the spectrum
  gmosBias('bias_ok_next_evening', '2025-01-10T20:00:00Z'), // 12 h after the image, 11 h after the spectrum
  gmosBias('bias_ok_80_days', '2025-03-31T08:00:00Z'),
  gmosBias('bias_x_100_days', '2025-04-20T08:00:00Z'),
  gmosBias('bias_x_binning', '2025-01-10T10:00:00Z', { detector_binning: '1x1' }),
  gmosBias('bias_x_gain', '2025-01-10T10:00:00Z', { detector_gain_setting: 'high' }),
  gmosBias('bias_x_readspeed', '2025-01-10T10:00:00Z', { detector_readspeed_setting: 'fast' }),
  gmosBias('bias_x_roi', '2025-01-10T10:00:00Z', { detector_roi_setting: 'Central Spectrum' }),
  gmosBias('bias_x_detector', '2025-01-10T10:00:00Z', { keywords: { DETTYPE: 'SDSU II e2v DD CCD42-90' } }),
  gmosBias('bias_x_gmos_s', '2025-01-10T10:00:00Z', { instrument: 'GMOS-S' }),
  gmosBias('bias_x_failed_qa', '2025-01-10T10:00:00Z', { qa_state: 'Fail' }),
  gmosBias('bias_x_not_canonical', '2025-01-10T10:00:00Z', { canonical: false }),
  gmosBias('bias_x_engineering', '2025-01-10T10:00:00Z', { engineering: true }),
  gmosBias('pbias_ok', '2025-01-11T00:00:00Z', { reduction: 'PROCESSED_BIAS' }),
  gmosBias('pbias_x_binning', '2025-01-10T09:00:00Z', {
    reduction: 'PROCESSED_BIAS',
    detector_binning: '1x1',
  }),

  // GMOS imaging flats: twilight skies in the same filter.
  {
    ...GMOS_IMAGING,
    name: 'twilight_ok',
    ut: '2025-01-10T04:00:00Z',
    observation_type: 'OBJECT',
    observation_class: 'dayCal',
    object: 'Twilight',
  } as Frame,
  {
    ...GMOS_IMAGING,
    name: 'twilight_ok_later',
    ut: '2025-01-11T16:00:00Z',
    observation_type: 'OBJECT',
    observation_class: 'dayCal',
    object: 'Twilight',
  } as Frame,
  {
    ...GMOS_IMAGING,
    name: 'twilight_x_filter',
    ut: '2025-01-10T04:01:00Z',
    observation_type: 'OBJECT',
    observation_class: 'dayCal',
    object: 'Twilight',
    filter_name: 'g',
  } as Frame,
  {
    ...GMOS_IMAGING,
    name: 'twilight_x_binning',
    ut: '2025-01-10T04:02:00Z',
    observation_type: 'OBJECT',
    observation_class: 'dayCal',
    object: 'Twilight',
    detector_binning: '1x1',
  } as Frame,
  {
    ...GMOS_IMAGING,
    name: 'gcalflat_x_for_imaging',
    ut: '2025-01-10T08:01:00Z',
    observation_type: 'FLAT',
    observation_class: 'dayCal',
    object: 'GCALflat',
  } as Frame,
  {
    ...GMOS_IMAGING,
    name: 'pflat_ok_imaging',
    ut: '2025-01-01T00:00:00Z',
    observation_type: 'OBJECT',
    object: 'Twilight',
    reduction: 'PROCESSED_FLAT',
  } as Frame,

  // GMOS spectroscopic flats and arcs (science at 09:00, B600, 1.0arcsec, 0.520 µm).
  {
    ...GMOS_LS,
    name: 'lsflat_ok_5min',
    ut: '2025-01-10T09:05:00Z',
    observation_type: 'FLAT',
    observation_class: 'partnerCal',
  } as Frame,
  {
    ...GMOS_LS,
    name: 'lsflat_ok_30min',
    ut: '2025-01-10T08:30:00Z',
    observation_type: 'FLAT',
    observation_class: 'partnerCal',
    central_wavelength: 0.5205,
  } as Frame,
  {
    ...GMOS_LS,
    name: 'lsflat_x_third_nearest',
    ut: '2025-01-10T10:00:00Z',
    observation_type: 'FLAT',
    observation_class: 'partnerCal',
  } as Frame,
  {
    ...GMOS_LS,
    name: 'lsflat_x_wavelength',
    ut: '2025-01-10T09:01:00Z',
    observation_type: 'FLAT',
    observation_class: 'partnerCal',
    central_wavelength: 0.53,
  } as Frame,
  {
    ...GMOS_LS,
    name: 'lsflat_x_mask',
    ut: '2025-01-10T09:02:00Z',
    observation_type: 'FLAT',
    observation_class: 'partnerCal',
    focal_plane_mask: '0.5arcsec',
  } as Frame,
  {
    ...GMOS_LS,
    name: 'lsflat_x_imaging',
    ut: '2025-01-10T09:03:00Z',
    observation_type: 'FLAT',
    observation_class: 'partnerCal',
    spectroscopy: false,
  } as Frame,
  {
    ...GMOS_LS,
    name: 'arc_ok',
    ut: '2025-01-11T18:00:00Z',
    observation_type: 'ARC',
    observation_class: 'dayCal',
  } as Frame,
  {
    ...GMOS_LS,
    name: 'arc_x_second_nearest',
    ut: '2025-01-12T18:00:00Z',
    observation_type: 'ARC',
    observation_class: 'dayCal',
  } as Frame,
  {
    ...GMOS_LS,
    name: 'arc_x_grating',
    ut: '2025-01-10T09:00:00Z',
    observation_type: 'ARC',
    observation_class: 'dayCal',
    disperser: 'R400',
  } as Frame,
  {
    ...GMOS_LS,
    name: 'arc_ok_gain_irrelevant',
    ut: '2025-01-09T10:00:00Z',
    observation_type: 'ARC',
    observation_class: 'dayCal',
    detector_gain_setting: 'high',
    reduction: 'PROCESSED_ARC',
  } as Frame,
  {
    ...GMOS,
    name: 'pbpm_ok',
    ut: '2024-06-01T00:00:00Z',
    observation_type: 'BPM',
    observation_class: 'dayCal',
    reduction: 'PROCESSED_BPM',
  } as Frame,
  {
    ...GMOS,
    name: 'pbpm_x_after',
    ut: '2025-01-10T23:00:00Z',
    observation_type: 'BPM',
    observation_class: 'dayCal',
    reduction: 'PROCESSED_BPM',
  } as Frame,

  // F2 darks and flats (science at 07:00, 60 s, J, read mode LNRS 8).
  {
    ...F2,
    name: 'dark_ok_60s',
    ut: '2025-01-09T12:00:00Z',
    observation_type: 'DARK',
    observation_class: 'dayCal',
    exposure_time: 60,
  } as Frame,
  {
    ...F2,
    name: 'dark_ok_60.3s',
    ut: '2025-01-08T12:00:00Z',
    observation_type: 'DARK',
    observation_class: 'dayCal',
    exposure_time: 60.3,
  } as Frame,
  {
    ...F2,
    name: 'dark_x_30s',
    ut: '2025-01-10T07:01:00Z',
    observation_type: 'DARK',
    observation_class: 'dayCal',
    exposure_time: 30,
  } as Frame,
  {
    ...F2,
    name: 'dark_x_readmode',
    ut: '2025-01-10T07:02:00Z',
    observation_type: 'DARK',
    observation_class: 'dayCal',
    exposure_time: 60,
    keywords: { LNRS: 1 },
  } as Frame,
  {
    ...F2,
    name: 'dark_x_gmos',
    ut: '2025-01-10T07:03:00Z',
    observation_type: 'DARK',
    observation_class: 'dayCal',
    exposure_time: 60,
    instrument: 'GMOS-N',
  } as Frame,
  {
    ...F2,
    name: 'f2flat_ok',
    ut: '2025-01-10T15:00:00Z',
    observation_type: 'FLAT',
    observation_class: 'dayCal',
    exposure_time: 10,
  } as Frame,
  {
    ...F2,
    name: 'f2flat_x_filter',
    ut: '2025-01-10T07:30:00Z',
    observation_type: 'FLAT',
    observation_class: 'dayCal',
    filter_name: 'H',
  } as Frame,
  {
    ...F2,
    name: 'pdark_ok',
    ut: '2025-01-05T12:00:00Z',
    observation_type: 'DARK',
    observation_class: 'dayCal',
    exposure_time: 60,
    reduction: 'PROCESSED_DARK',
  } as Frame,
];

async function cached(name: string): Promise<Record<string, string[]>> {
  const r = await t.db.query(
    `SELECT c.caltype, f.name FROM calcache c JOIN header h ON h.id = c.cal_hid
     JOIN diskfile df ON df.id = h.diskfile_id JOIN file f ON f.id = df.file_id
     WHERE c.obs_hid = $1 ORDER BY c.caltype, c.rank`,
    [ids[name]],
  );
  const out: Record<string, string[]> = {};
  for (const row of r.rows) (out[row.caltype] ??= []).push(row.name);
  return out;
}

beforeAll(async () => {
  t = await createTestDb('calcache_night');
  for (const f of FRAMES) ids[f.name] = await insertFrame(t.db, f);
});
afterAll(async () => {
  await t?.drop();
});

describe('calibration association for one night', () => {
  it('a GMOS image: biases by detector, binning, ROI, gain and read speed, nearest first; twilight flats in its filter', async () => {
    await updateCalcache(t.db, ids.sci_gmos_image);
    expect(await cached('sci_gmos_image')).toEqual({
      bias: ['bias_ok_prev_evening', 'bias_ok_next_evening', 'bias_ok_80_days'],
      processed_bias: ['pbias_ok'],
      flat: ['twilight_ok', 'twilight_ok_later'],
      processed_flat: ['pflat_ok_imaging'],
      processed_bpm: ['pbpm_ok'],
    });
  });

  it('a GMOS long-slit spectrum: the two nearest flats at its central wavelength, the nearest arc', async () => {
    await updateCalcache(t.db, ids.sci_gmos_ls);
    expect(await cached('sci_gmos_ls')).toEqual({
      bias: ['bias_ok_next_evening', 'bias_ok_prev_evening', 'bias_ok_80_days'],
      processed_bias: ['pbias_ok'],
      flat: ['lsflat_ok_5min', 'lsflat_ok_30min'],
      arc: ['arc_ok'],
      processed_arc: ['arc_ok_gain_irrelevant'],
      processed_bpm: ['pbpm_ok'],
    });
  });

  it('an F2 image: darks by exposure time (±0.5 s) and read mode, flats by filter', async () => {
    await updateCalcache(t.db, ids.sci_f2);
    expect(await cached('sci_f2')).toEqual({
      dark: ['dark_ok_60s', 'dark_ok_60.3s'],
      processed_dark: ['pdark_ok'],
      flat: ['f2flat_ok'],
    });
  });

  it('calibrations and acquisitions get what they need: a bias nothing, an acquisition no bias or flat', async () => {
    expect(rulesFor((await loadTarget(t.db, ids.bias_ok_prev_evening))!).map((r) => r.caltype)).toEqual([
      'processed_bpm',
    ]);
    expect(rulesFor((await loadTarget(t.db, ids.acq_gmos))!).map((r) => r.caltype)).toEqual([
      'processed_bpm',
    ]);
    const flat = rulesFor((await loadTarget(t.db, ids.lsflat_ok_5min))!).map((r) => r.caltype);
    expect(flat).toEqual(['bias', 'processed_bias', 'arc', 'processed_arc', 'processed_bpm']);
    expect(rulesFor((await loadTarget(t.db, ids.pbias_ok))!)).toEqual([]);
  });

  it('re-running a frame replaces its rows: a calibration failed since then drops out', async () => {
    await updateCalcache(t.db, ids.sci_gmos_image);
    const before = await t.db.query('SELECT count(*)::int AS n FROM calcache WHERE obs_hid = $1', [
      ids.sci_gmos_image,
    ]);
    expect(before.rows[0].n).toBe(8);
    await t.db.query(`UPDATE header SET qa_state = 'Fail' WHERE id = $1`, [ids.bias_ok_prev_evening]);
    await updateCalcache(t.db, ids.sci_gmos_image);
    expect((await cached('sci_gmos_image')).bias).toEqual(['bias_ok_next_evening', 'bias_ok_80_days']);
    const ranks = await t.db.query(
      `SELECT rank FROM calcache WHERE obs_hid = $1 AND caltype = 'bias' ORDER BY rank`,
      [ids.sci_gmos_image],
    );
    expect(ranks.rows.map((r) => r.rank)).toEqual([1, 2]);
    await t.db.query(`UPDATE header SET qa_state = 'Pass' WHERE id = $1`, [ids.bias_ok_prev_evening]);
  });

  it('the calcache queue service processes frames and records a missing header as an error', async () => {
    await t.db.query('DELETE FROM calcache');
    await enqueue(t.db, QUEUES.calcache, [
      { obs_hid: ids.sci_gmos_ls, filename: 'sci_gmos_ls', sortkey: 'z1' },
      { obs_hid: 999_999, filename: 'ghost.fits', sortkey: 'z2' },
      { obs_hid: ids.sci_f2, filename: 'sci_f2', sortkey: 'z0' },
    ]);
    const stats = await runWorker({
      db: t.db,
      url: t.url,
      queue: QUEUES.calcache,
      name: 'cc-test',
      handler: makeCalcacheHandler({ db: t.db }),
      log: quietLog,
      signal: new AbortController().signal,
      once: true,
    });
    expect(stats).toMatchObject({ done: 2, failed: 1 });
    expect((await cached('sci_f2')).dark).toEqual(['dark_ok_60s', 'dark_ok_60.3s']);
    const err = await t.db.query(`SELECT filename, error FROM queue_error WHERE queue = 'CALCACHE'`);
    expect(err.rows).toHaveLength(1);
    expect(err.rows[0].filename).toBe('ghost.fits');
    expect(err.rows[0].error).toMatch(/header 999999 not found/);
  });
});
