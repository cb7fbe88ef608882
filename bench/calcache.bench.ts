import os from 'node:os';
import { associate, loadTarget, updateCalcache } from '../src/calcache/index.js';
import { createPool, type Db } from '../src/db/pool.js';
import { benchDb, emit, fmt, main, percentile, round, type BenchResult, type BenchRow } from './lib.js';
import { appendSection } from './history.js';

// Calibration association against 1,000,000 headers.
//  - The table: 20 years of six instruments (GMOS-N/S 60 %, F2, NIRI, GNIRS, GSAOI), 55 % science,
//    the rest biases, darks, flats, arcs, twilights and processed calibrations, with settings
//    drawn from realistic small sets (binning, ROI, gain, read speed, filters, gratings, masks,
//    central wavelengths, exposure times, read modes), generated in SQL (generate_series).
//  - One association: updateCalcache() for a random science frame = load the frame, one
//    statement finding all its calibration types, delete + insert its calcache rows, one
//    transaction. p50/p95 over 300 frames after a warm-up.
//  - Full rebuild: updateCalcache() over 3,000 random frames of every kind, 1 and 4 at a time.

const N = Number(process.env.BENCH_CALCACHE_HEADERS ?? 1_000_000);
/** An already generated database to reuse (iterating on the rules): skips the 3-minute generation. */
const REUSE = process.env.BENCH_CALCACHE_DB;
const SAMPLE = 300;
const REBUILD = Number(process.env.BENCH_CALCACHE_REBUILD ?? 3000);

async function generate(db: Db): Promise<void> {
  await db.query('SELECT setseed(0.42)');
  await db.query(
    `INSERT INTO file (id, name) SELECT g, 'B' || lpad(g::text, 7, '0') || '.fits' FROM generate_series(1, $1::int) g`,
    [N],
  );
  await db.query(
    `INSERT INTO diskfile (id, file_id, filename, path, present, canonical, file_md5, data_md5, file_size, data_size, mdready)
     SELECT g, g, 'B' || lpad(g::text, 7, '0') || '.fits', '', true, true, md5(g::text), md5(g::text), 1000, 1000, true
     FROM generate_series(1, $1::int) g`,
    [N],
  );
  await db.query(
    `WITH r AS (
       SELECT g, random() ri, random() rt, random() r1, random() r2, random() r3, random() r4, random() r5, random() r6,
              random() r7, timestamptz '2005-01-01 00:00+00' + (g::float8 / $1::int) * interval '7305 days'
                           + random() * interval '1 hour' AS ut
       FROM generate_series(1, $1::int) g),
     i AS (
       SELECT r.*, CASE WHEN ri < 0.3 THEN 'GMOS-N' WHEN ri < 0.6 THEN 'GMOS-S' WHEN ri < 0.7 THEN 'F2'
                        WHEN ri < 0.8 THEN 'NIRI' WHEN ri < 0.9 THEN 'GNIRS' ELSE 'GSAOI' END AS inst
       FROM r),
     k AS (
       SELECT i.*, inst LIKE 'GMOS%' AS gmos,
              CASE WHEN rt < 0.55 THEN 'OBJECT'
                   WHEN rt < 0.70 THEN CASE WHEN inst LIKE 'GMOS%' THEN 'BIAS' ELSE 'DARK' END
                   WHEN rt < 0.82 THEN 'FLAT' WHEN rt < 0.88 THEN 'ARC' WHEN rt < 0.95 THEN 'DARK'
                   WHEN rt < 0.97 THEN 'TWILIGHT' ELSE 'PROCESSED' END AS kind,
              (ARRAY['BIAS', 'FLAT', 'ARC', 'DARK', 'BPM'])[1 + floor(r7 * 5)::int] AS pkind
       FROM i),
     s AS (
       SELECT k.*, kind IN ('OBJECT', 'FLAT', 'ARC') AND inst <> 'GSAOI' AND r1 < 0.4 AS spect FROM k)
     INSERT INTO header (id, diskfile_id, data_label, instrument, ut_datetime, observation_type, observation_class, object,
       reduction, spectroscopy, filter_name, disperser, camera, focal_plane_mask, central_wavelength, exposure_time,
       detector_binning, detector_roi_setting, detector_gain_setting, detector_readspeed_setting,
       detector_welldepth_setting, coadds, qa_state, engineering, keywords)
     SELECT g, g, 'GX-' || g, inst, ut,
       CASE kind WHEN 'TWILIGHT' THEN 'OBJECT' WHEN 'PROCESSED' THEN pkind ELSE kind END,
       CASE WHEN kind = 'OBJECT' THEN 'science' ELSE 'dayCal' END,
       CASE WHEN kind = 'TWILIGHT' THEN 'Twilight' ELSE 'target' END,
       CASE WHEN kind = 'PROCESSED' THEN 'PROCESSED_' || pkind ELSE 'RAW' END,
       spect,
       CASE WHEN gmos THEN (ARRAY['g', 'r', 'i', 'z', 'open', 'Ha'])[1 + floor(r2 * 6)::int]
            ELSE (ARRAY['J', 'H', 'K', 'Ks', 'Y'])[1 + floor(r2 * 5)::int] END,
       CASE WHEN spect THEN (ARRAY['B600', 'R400', 'B1200', 'R831'])[1 + floor(r3 * 4)::int] ELSE 'MIRROR' END,
       CASE WHEN gmos THEN inst ELSE (ARRAY['f/16', 'f/32'])[1 + floor(r5 * 2)::int] END,
       CASE WHEN spect THEN (ARRAY['0.5arcsec', '1.0arcsec', 'IFU-2'])[1 + floor(r4 * 3)::int] ELSE 'Imaging' END,
       CASE WHEN spect THEN round((0.45 + floor(r4 * 40) * 0.01)::numeric, 3)::float8 END,
       (ARRAY[1, 3, 10, 30, 60, 120, 300])[1 + floor(r5 * 7)::int],
       CASE WHEN gmos THEN (ARRAY['1x1', '2x2', '2x1', '4x4'])[1 + floor(r6 * 4)::int] ELSE '1x1' END,
       CASE WHEN gmos THEN (ARRAY['Full Frame', 'Full Frame', 'Central Spectrum', 'CCD2'])[1 + floor(r7 * 4)::int]
            ELSE 'Fixed' END,
       CASE WHEN gmos THEN CASE WHEN r1 > 0.7 THEN 'high' ELSE 'low' END END,
       CASE WHEN gmos THEN CASE WHEN r2 > 0.6 THEN 'fast' ELSE 'slow' END END,
       CASE WHEN NOT gmos THEN CASE WHEN r3 > 0.8 THEN 'Deep' ELSE 'Shallow' END END,
       CASE WHEN gmos THEN 1 ELSE (ARRAY[1, 1, 4, 10])[1 + floor(r6 * 4)::int] END,
       CASE WHEN r3 < 0.02 THEN 'Fail' ELSE 'Pass' END,
       false,
       jsonb_build_object(
         'DETTYPE', CASE WHEN inst = 'GMOS-N' THEN CASE WHEN ut > '2017-02-01' THEN 'S10892-N' ELSE 'SDSU II e2v DD CCD42-90' END
                         WHEN inst = 'GMOS-S' THEN CASE WHEN ut > '2014-06-01' THEN 'S10892' ELSE 'SDSU II CCD' END END,
         'LNRS', CASE WHEN NOT gmos THEN (ARRAY[1, 2, 8])[1 + floor(r4 * 3)::int] END)
     FROM s`,
    [N],
  );
  for (const seq of ['file_id_seq', 'diskfile_id_seq', 'header_id_seq']) {
    await db.query(`SELECT setval($1, $2::bigint)`, [seq, N]);
  }
  await db.query('VACUUM ANALYZE file');
  await db.query('VACUUM ANALYZE diskfile');
  await db.query('VACUUM ANALYZE header');
}

async function timeEach(
  db: Db,
  ids: number[],
  fn: (db: Db, id: number) => Promise<unknown>,
): Promise<number[]> {
  const ms: number[] = [];
  for (const id of ids) {
    const t0 = performance.now();
    await fn(db, id);
    ms.push(performance.now() - t0);
  }
  return ms.sort((a, b) => a - b);
}

async function rebuildRate(db: Db, ids: number[], parallel: number): Promise<number> {
  let next = 0;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: parallel }, async () => {
      while (next < ids.length) await updateCalcache(db, ids[next++]);
    }),
  );
  return ids.length / ((performance.now() - t0) / 1000);
}

main(async () => {
  const b = REUSE
    ? { url: REUSE, db: createPool(REUSE, 8), drop: async () => {} }
    : await benchDb('calcache', 8);
  try {
    const g0 = performance.now();
    if (REUSE) await b.db.query('DELETE FROM calcache');
    else await generate(b.db);
    const genSeconds = (performance.now() - g0) / 1000;
    const science = (
      await b.db.query(
        `SELECT id FROM header WHERE observation_type = 'OBJECT' AND observation_class = 'science' AND reduction = 'RAW'
         ORDER BY md5(id::text) LIMIT $1::int`,
        [SAMPLE + 50],
      )
    ).rows.map((r) => Number(r.id));
    const any = (
      await b.db.query(`SELECT id FROM header ORDER BY md5(id::text || 'x') LIMIT $1::int`, [REBUILD * 2])
    ).rows.map((r) => Number(r.id));
    await timeEach(b.db, science.slice(0, 50), updateCalcache); // warm-up: caches, JIT
    const sample = science.slice(50);
    const readMs = await timeEach(b.db, sample, async (db, id) => associate(db, (await loadTarget(db, id))!));
    const writeMs = await timeEach(b.db, sample, updateCalcache);
    const found = await b.db.query(
      'SELECT count(DISTINCT obs_hid)::int AS frames, count(*)::int AS rows FROM calcache WHERE obs_hid = ANY($1::bigint[])',
      [sample],
    );
    const rate1 = await rebuildRate(b.db, any.slice(0, REBUILD), 1);
    const rate4 = await rebuildRate(b.db, any.slice(REBUILD), 4);
    const p50 = percentile(writeMs, 50);
    const p95 = percentile(writeMs, 95);
    const rows: BenchRow[] = [
      {
        name: `one frame's association (calcache replace), ${fmt(N)} headers, p50`,
        value: round(p50, 1),
        unit: 'ms',
        target: '≤ 50 ms',
        pass: p50 <= 50,
        detail: `p95 ${round(p95, 1)} ms, max ${round(writeMs[writeMs.length - 1], 1)} ms over ${sample.length} science frames; ${found.rows[0].rows} calcache rows for ${found.rows[0].frames} frames`,
      },
      {
        name: 'association query only (what /calmgr runs), p50',
        value: round(percentile(readMs, 50), 1),
        unit: 'ms',
        detail: `p95 ${round(percentile(readMs, 95), 1)} ms`,
      },
      {
        name: 'full rebuild, one worker',
        value: round(rate1),
        unit: 'frames/s',
        detail: `${REBUILD} random frames of every kind; 1,000,000 frames ≈ ${round(N / rate1 / 3600, 1)} h`,
      },
      {
        name: 'full rebuild, 4 concurrent',
        value: round(rate4),
        unit: 'frames/s',
        detail: `${REBUILD} more frames; 1,000,000 frames ≈ ${round(N / rate4 / 3600, 1)} h (the system this replaces: 4 days on 4 cores)`,
      },
    ];
    const result: BenchResult = {
      bench: 'calcache',
      title: 'Calibration association',
      method:
        `${fmt(N)} generated headers (20 years, GMOS-N/S, F2, NIRI, GNIRS, GSAOI; 55 % science, the rest calibrations of ` +
        `every kind with realistic settings), ${REUSE ? 'a database generated earlier' : `generated in SQL in ${round(genSeconds)} s`}. One association = updateCalcache(): ` +
        'load the frame, then one statement that finds all its calibration types (nearest-in-time index scans on the ' +
        'partial indexes of migration 003) and replaces its calcache rows; timed after a 50-frame warm-up.',
      rows,
      notes: [`PostgreSQL at ${new URL(b.url).host}; client and server share the machine.`],
    };
    emit(result);
    const doc = appendSection(
      result,
      `${os.cpus().length} × ${os.cpus()[0]?.model ?? 'cpu'}, load ${os.loadavg()[0].toFixed(1)}`,
    );
    for (const r of rows) {
      process.stdout.write(`| ${r.name} | ${r.value} ${r.unit} | ${r.target ?? ''} | ${r.detail ?? ''} |\n`);
    }
    if (doc) process.stdout.write(`section appended to ${doc}\n`);
  } finally {
    if (REUSE) await b.db.end();
    await b.drop();
  }
});
