import { spawnSync, fork, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Db } from '../src/db/pool.js';
import { findOnPath } from '../src/fits/bzip2.js';
import { parseSelection } from '../src/gemini/selection/index.js';
import { searchHeaders } from '../src/services/archive/search.js';
import { appendSection, loadNote } from './history.js';
import { benchDb, emit, fmt, main, percentile, round, type BenchResult, type BenchRow } from './lib.js';

// GET /jsonsummary/<date> against 1,000,000 headers, 32 concurrent clients.
//  - The table: N (default 1,000,000) file/diskfile/header rows, ut_datetime spread evenly over
//    1,000 days from 2022-01-01 (~2.7 years) with a few minutes of jitter, so each date holds
//    ~1,000 headers; every column a summary shows, release one year after the observation, and
//    a ~1 kB `keywords` document per header (as ingest stores), generated in SQL; then ANALYZE.
//  - The server: buildServer (role archive) in a process of its own (bench/archive-server.ts),
//    pool of 10 connections, on 127.0.0.1.
//  - Correctness first: for 20 random dates the names /jsonsummary lists must equal, in order,
//    a direct SQL query (canonical, ut_datetime in the UTC day, not engineering, by filename).
//  - Load: wrk (when installed) -t2 -c32 for DURATION s over random dates via a Lua script, with
//    HdrHistogram percentiles; otherwise 32 concurrent keep-alive fetch loops in this process.
//    A warm-up of 5 s first (not counted).

const N = Number(process.env.BENCH_JSONSUMMARY_HEADERS ?? 1_000_000);
const DAYS = 1000;
const CONC = Number(process.env.BENCH_JSONSUMMARY_CLIENTS ?? 32);
const DURATION = Number(process.env.BENCH_JSONSUMMARY_SECONDS ?? 30);
/** Room for every date's answer (~1.7 MB each): the load below asks for all of them. */
const CACHE_MB = Number(process.env.BENCH_JSONSUMMARY_CACHE_MB ?? 2048);
const COLD_CLIENTS = 8;

async function generate(db: Db): Promise<void> {
  await db.query('SELECT setseed(0.42)');
  await db.query(
    `INSERT INTO file (id, name)
     SELECT g, (CASE WHEN g % 2 = 0 THEN 'N' ELSE 'S' END) || to_char(date '2022-01-01' + ((g - 1) * $2::int / $1::int), 'YYYYMMDD')
               || 'S' || lpad(((g - 1) % ($1::int / $2::int) + 1)::text, 4, '0') || '.fits'
     FROM generate_series(1, $1::int) g`,
    [N, DAYS],
  );
  await db.query(
    `INSERT INTO diskfile (id, file_id, filename, path, present, canonical, file_md5, data_md5, file_size, data_size, compressed, mdready, lastmod)
     SELECT f.id, f.id, f.name || '.bz2', '', true, true, md5(f.id::text), md5('d' || f.id), 1500000, 4200000, true, true, now()
     FROM file f`,
  );
  await db.query(
    `WITH r AS (
       SELECT g, random() AS r1, random() AS r2, random() AS r3,
              timestamptz '2022-01-01 00:00+00' + ((g - 1)::float8 / $1::int) * ($2::int * interval '1 day') + random() * interval '60 seconds' AS ut,
              'G' || (CASE WHEN g % 2 = 0 THEN 'N' ELSE 'S' END) || '-' || (2022 + (g - 1) * 3 / $1::int) || (CASE WHEN g % 3 = 0 THEN 'A' ELSE 'B' END) || '-Q-' || (1 + (g / 50) % 120) AS prog
       FROM generate_series(1, $1::int) g)
     INSERT INTO header (id, diskfile_id, program_id, observation_id, data_label, telescope, instrument, ut_datetime, local_time,
       observation_type, observation_class, object, ra, dec, azimuth, elevation, airmass, exposure_time, filter_name, disperser,
       focal_plane_mask, detector_binning, detector_roi_setting, wavelength_band, central_wavelength, spectroscopy, mode,
       adaptive_optics, laser_guide_star, qa_state, release, reduction, engineering, science_verification, calibration_program,
       raw_iq, raw_cc, raw_wv, raw_bg, requested_iq, requested_cc, requested_wv, requested_bg, types, keywords)
     SELECT g, g, prog, prog || '-' || (1 + g % 40), prog || '-' || (1 + g % 40) || '-' || lpad((g % 300)::text, 3, '0'),
       CASE WHEN g % 2 = 0 THEN 'Gemini-North' ELSE 'Gemini-South' END,
       (ARRAY['GMOS-N', 'GMOS-S', 'NIRI', 'GNIRS', 'F2', 'GSAOI'])[1 + floor(r1 * 6)::int], ut, to_char(ut - interval '10 hours', 'HH24:MI:SS'),
       CASE WHEN r2 < 0.6 THEN 'OBJECT' WHEN r2 < 0.8 THEN 'FLAT' WHEN r2 < 0.9 THEN 'ARC' ELSE 'BIAS' END,
       CASE WHEN r2 < 0.6 THEN 'science' ELSE 'partnerCal' END,
       'NGC ' || (g % 7000), r3 * 360, r3 * 180 - 90, r1 * 360, 30 + r2 * 60, 1 + r1, 30 + floor(r2 * 10) * 30,
       (ARRAY['g', 'r', 'i', 'z', 'J', 'H', 'K'])[1 + floor(r3 * 7)::int], CASE WHEN r3 < 0.3 THEN 'B600' ELSE 'MIRROR' END,
       CASE WHEN r3 < 0.3 THEN '1.0arcsec' ELSE 'None' END, '2x2', 'Full Frame', 'r', 0.65 + r3, r3 < 0.3, CASE WHEN r3 < 0.3 THEN 'LS' ELSE 'imaging' END,
       false, false, (ARRAY['Pass', 'Usable', 'Fail', 'Undefined'])[1 + floor(r2 * 4)::int],
       (ut + interval '1 year')::date, 'RAW', false, false, r2 >= 0.6,
       '70-percentile', '50-percentile', 'Any', '80-percentile', '85-percentile', '70-percentile', 'Any', 'Any',
       ARRAY['GMOS', 'IMAGE', 'RAW', 'UNPREPARED'],
       jsonb_build_object('INSTRUME', 'GMOS-N', 'OBJECT', 'NGC ' || (g % 7000), 'OBSTYPE', 'OBJECT', 'OBSCLASS', 'science',
         'GEMPRGID', prog, 'OBSID', prog || '-1', 'DATALAB', prog || '-1-001',
         'OBSERVAT', 'Gemini-North', 'TELESCOP', 'Gemini-North', 'DATE-OBS', to_char(ut, 'YYYY-MM-DD'),
         'TIME-OBS', to_char(ut, 'HH24:MI:SS'), 'RA', r3 * 360, 'DEC', r3 * 180 - 90, 'AIRMASS', 1 + r1, 'EXPTIME', 30,
         'RAWIQ', '70-percentile', 'RAWCC', '50-percentile', 'RAWWV', 'Any', 'RAWBG', '80-percentile',
         'RAWGEMQA', 'UNKNOWN', 'RAWPIREQ', 'UNKNOWN', 'RELEASE', to_char(ut + interval '1 year', 'YYYY-MM-DD'),
         'FILTER1', 'open1-6', 'FILTER2', 'r_G0303', 'GRATING', 'MIRROR', 'MASKNAME', 'None', 'DETECTOR', 'GMOS + Hamamatsu',
         'CCDSUM', '2 2', 'GAIN', 1.83, 'RDNOISE', 3.9, 'AMPINTEG', 5000, 'DETSIZE', '[1:6144,1:4224]', 'NEXTEND', 12,
         'OBSEPOCH', 2024.5, 'ELEVATIO', 60.5, 'AZIMUTH', 120.2, 'CRPA', 45.1, 'HUMIDITY', 12, 'TAMBIENT', 3.2, 'PRESSURE', 615.1)
     FROM r`,
    [N, DAYS],
  );
  for (const t of ['file', 'diskfile', 'header']) {
    await db.query(`SELECT setval(pg_get_serial_sequence('${t}', 'id'), (SELECT max(id) FROM ${t}))`);
    await db.query(`VACUUM ANALYZE ${t}`);
  }
}

function startArchive(url: string): Promise<{ proc: ChildProcess; port: number }> {
  return startServer('./archive-server.ts', [url, 'x', '10', String(CACHE_MB)]);
}

function startServer(script: string, args: string[]): Promise<{ proc: ChildProcess; port: number }> {
  return new Promise((resolve, reject) => {
    const proc = fork(fileURLToPath(new URL(script, import.meta.url)), args, {
      execArgv: ['--import', 'tsx'],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    proc.once('message', (m: { ready?: boolean; port?: number }) =>
      m.ready ? resolve({ proc, port: m.port! }) : reject(new Error(`${script} did not start`)),
    );
    proc.once('exit', (c) => reject(new Error(`${script} exited (${c})`)));
  });
}

const ymd = (d: Date) => d.toISOString().slice(0, 10).replace(/-/g, '');

interface Load {
  tool: string;
  requests: number;
  seconds: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
  errors: number;
}

function runWrk(base: string, dates: string[], seconds: number, dir: string): Load {
  const script = path.join(dir, 'archive-jsonsummary.lua');
  writeFileSync(
    script,
    `local dates = {${dates.map((d) => `"${d}"`).join(',')}}
math.randomseed(os.time())
request = function() return wrk.format("GET", "/jsonsummary/" .. dates[math.random(#dates)]) end
done = function(summary, latency, requests)
  io.write(string.format("JSONRESULT {\\"requests\\":%d,\\"us\\":%d,\\"p50\\":%d,\\"p90\\":%d,\\"p99\\":%d,\\"max\\":%d,\\"errors\\":%d}\\n",
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.status + summary.errors.timeout))
end
`,
  );
  const r = spawnSync('wrk', ['-t2', `-c${CONC}`, `-d${seconds}s`, '--timeout', '10s', '-s', script, base], {
    encoding: 'utf8',
  });
  const m = /JSONRESULT (\{.*\})/.exec(r.stdout ?? '');
  if (!m) throw new Error(`wrk: ${r.stdout} ${r.stderr}`);
  const j = JSON.parse(m[1]) as Record<string, number>;
  return {
    tool: 'wrk -t2 -c32',
    requests: j.requests,
    seconds: j.us / 1e6,
    p50: j.p50 / 1000,
    p90: j.p90 / 1000,
    p99: j.p99 / 1000,
    max: j.max / 1000,
    errors: j.errors,
  };
}

async function runNode(base: string, dates: string[], seconds: number): Promise<Load> {
  const lat: number[] = [];
  let errors = 0;
  const end = performance.now() + seconds * 1000;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: CONC }, async () => {
      while (performance.now() < end) {
        const d = dates[Math.floor(Math.random() * dates.length)];
        const s = performance.now();
        const res = await fetch(`${base}/jsonsummary/${d}`);
        await res.arrayBuffer();
        lat.push(performance.now() - s);
        if (res.status !== 200) errors++;
      }
    }),
  );
  lat.sort((a, b) => a - b);
  return {
    tool: `${CONC} keep-alive fetch loops (Node)`,
    requests: lat.length,
    seconds: (performance.now() - t0) / 1000,
    p50: percentile(lat, 50),
    p90: percentile(lat, 90),
    p99: percentile(lat, 99),
    max: lat.at(-1) ?? NaN,
    errors,
  };
}

main(async () => {
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'fitsstore-bench-jsonsummary-'));
  const bench = await benchDb('jsonsummary', 5);
  let archive: ChildProcess | undefined;
  let staticServer: ChildProcess | undefined;
  try {
    const t0 = performance.now();
    await generate(bench.db);
    const genSeconds = (performance.now() - t0) / 1000;
    const a = await startArchive(bench.url);
    archive = a.proc;
    const base = `http://127.0.0.1:${a.port}`;

    // Dates inside the data (the first and last partial days left out).
    const dates = Array.from({ length: DAYS - 2 }, (_, i) => ymd(new Date(Date.UTC(2022, 0, 2 + i))));
    const perDate: number[] = [];
    let bytes = 0;
    for (let i = 0; i < 20; i++) {
      const d = dates[Math.floor(Math.random() * dates.length)];
      const res = await fetch(`${base}/jsonsummary/${d}`);
      const body = await res.text();
      if (res.status !== 200) throw new Error(`/jsonsummary/${d}: HTTP ${res.status} ${body.slice(0, 200)}`);
      bytes += body.length;
      const got = (JSON.parse(body) as { name: string }[]).map((e) => e.name);
      const day = new Date(`${d.slice(0, 4)}-${d.slice(4, 6)}-${d.slice(6, 8)}T00:00:00Z`);
      const sql = await bench.db.query(
        `SELECT f.name FROM header h JOIN diskfile df ON df.id = h.diskfile_id JOIN file f ON f.id = df.file_id
         WHERE df.canonical AND h.ut_datetime >= $1 AND h.ut_datetime < $1::timestamptz + interval '1 day'
           AND h.engineering IS NOT TRUE
         ORDER BY df.filename, h.ut_datetime, h.id`,
        [day],
      );
      const want = sql.rows.map((r) => r.name as string);
      if (got.length !== want.length || got.some((n, j) => n !== want[j])) {
        throw new Error(
          `/jsonsummary/${d}: ${got.length} names listed, SQL gives ${want.length} (or a different order/set)`,
        );
      }
      perDate.push(got.length);
    }

    // Where one request's time goes, without concurrency: the whole request (1 client, sequential)
    // and searchHeaders alone in this process (SQL + pg row parsing, no JSON building).
    const seq: number[] = [];
    const searchOnly: number[] = [];
    for (let i = 0; i < 20; i++) {
      const d = dates[Math.floor(Math.random() * dates.length)];
      let s = performance.now();
      const res = await fetch(`${base}/jsonsummary/${d}`);
      await res.arrayBuffer();
      seq.push(performance.now() - s);
      s = performance.now();
      await searchHeaders(bench.db, parseSelection(d), { orderBy: 'filename' });
      searchOnly.push(performance.now() - s);
    }
    seq.sort((x, y) => x - y);
    searchOnly.sort((x, y) => x - y);

    // Cold: every date asked once (8 clients), before anything is cached: what a request costs
    // when the answer has to be built. This also fills the cache for the load below.
    const cold: number[] = [];
    const coldStart = performance.now();
    let nextDate = 0;
    await Promise.all(
      Array.from({ length: COLD_CLIENTS }, async () => {
        while (nextDate < dates.length) {
          const d = dates[nextDate++];
          const s = performance.now();
          const res = await fetch(`${base}/jsonsummary/${d}`);
          await res.arrayBuffer();
          if (res.status !== 200) throw new Error(`/jsonsummary/${d}: HTTP ${res.status}`);
          cold.push(performance.now() - s);
        }
      }),
    );
    const coldSeconds = (performance.now() - coldStart) / 1000;
    cold.sort((x, y) => x - y);

    const haveWrk = findOnPath('wrk') !== null;
    const loadOn = async (url: string) =>
      haveWrk
        ? (runWrk(url, dates, 5, tmp), runWrk(url, dates, DURATION, tmp))
        : (await runNode(url, dates, 5), await runNode(url, dates, DURATION));
    const load = await loadOn(base);

    // Baseline in the same run: the same load on a bare server sending one saved answer of the
    // typical size, so the cost of moving the bytes alone is known on this machine today.
    const sample = path.join(tmp, 'answer.json');
    const mid = dates[Math.floor(dates.length / 2)];
    writeFileSync(sample, Buffer.from(await (await fetch(`${base}/jsonsummary/${mid}`)).arrayBuffer()));
    const st = await startServer('./static-server.ts', [sample]);
    staticServer = st.proc;
    const bare = await loadOn(`http://127.0.0.1:${st.port}`);

    const machine = loadNote();
    const rps = load.requests / load.seconds;
    const rows: BenchRow[] = [
      {
        name: `p50 latency, ${CONC} concurrent clients`,
        value: round(load.p50, 1),
        unit: 'ms',
        target: '≤ 20 ms',
        ratio: { of: 'the bare server below', value: round(load.p50 / bare.p50, 2) },
        pass: load.p50 <= 20,
      },
      {
        name: `p99 latency, ${CONC} concurrent clients`,
        value: round(load.p99, 1),
        unit: 'ms',
        target: '≤ 100 ms',
        ratio: { of: 'the bare server below', value: round(load.p99 / bare.p99, 2) },
        pass: load.p99 <= 100,
      },
      {
        name: `baseline: a bare node:http server sending one saved answer (${fmt(statSync(sample).size / 1024)} kB), same load`,
        value: round(bare.p50, 1),
        unit: 'ms p50',
        detail: `p90 ${bare.p90.toFixed(1)} ms, p99 ${bare.p99.toFixed(1)} ms, ${fmt(bare.requests / bare.seconds, 1)} req/s`,
      },
      { name: 'p90 latency', value: round(load.p90, 1), unit: 'ms' },
      {
        name: `cold: each date's first request (answer built, then cached), ${COLD_CLIENTS} clients, p50`,
        value: round(percentile(cold, 50), 1),
        unit: 'ms',
        detail: `${fmt(cold.length)} dates in ${coldSeconds.toFixed(1)} s (${fmt(cold.length / coldSeconds, 1)} req/s), p99 ${percentile(cold, 99).toFixed(1)} ms`,
      },
      {
        name: 'one client, sequential: p50 of a whole request',
        value: round(percentile(seq, 50), 1),
        unit: 'ms',
        detail: `20 requests, p90 ${percentile(seq, 90).toFixed(1)} ms`,
      },
      {
        name: 'searchHeaders alone (SQL + row parsing, no JSON), p50',
        value: round(percentile(searchOnly, 50), 1),
        unit: 'ms',
        detail: `20 dates, p90 ${percentile(searchOnly, 90).toFixed(1)} ms; the rest of a request is building and serialising ~1,000 summary entries`,
      },
      { name: 'max latency', value: round(load.max, 1), unit: 'ms' },
      {
        name: 'throughput',
        value: round(rps, 1),
        unit: 'req/s',
        detail: `${fmt(load.requests)} requests in ${load.seconds.toFixed(1)} s, ${load.errors} errors; ~${fmt((rps * (bytes / 20)) / 1048576, 1)} MB/s of JSON`,
      },
      {
        name: 'results identical to direct SQL (20 random dates)',
        value: perDate.length,
        unit: 'dates checked',
        pass: true,
        detail: `rows per date ${Math.min(...perDate)}–${Math.max(...perDate)}; ~${fmt(bytes / 20 / 1024)} kB of JSON per answer`,
      },
    ];
    const result: BenchResult = {
      bench: 'jsonsummary',
      title: `/jsonsummary/<date> with ${fmt(N)} headers, ${CONC} concurrent clients`,
      method:
        `${fmt(N)} file/diskfile/header rows (~1 kB keywords each) over ${DAYS} days, ~${fmt(N / DAYS)} per date; buildServer in its own process ` +
        `(pool 10) on 127.0.0.1; load by ${load.tool} for ${DURATION} s over random dates after a 5 s warm-up; ` +
        `answers first checked name by name against a direct SQL query for 20 random dates. Every date is then asked once ` +
        `(the cold row) before the load, so the load measures answers served from the answer cache ` +
        `(server.answer_cache_mb = ${fmt(CACHE_MB)}, enough for all ${fmt(dates.length)} dates; the default 256 MB holds ~150).`,
      rows,
      notes: [
        `Data generated in ${genSeconds.toFixed(0)} s (not timed).`,
        `By Little's law, ${CONC} clients at a p50 of 20 ms would need ~${fmt(CONC / 0.02)} req/s, i.e. ~${fmt(((CONC / 0.02) * (bytes / 20)) / 1048576)} MB/s of JSON from one Node process; the load generator shares the 2 cores.`,
        `Machine: ${machine}.`,
      ],
    };
    emit(result);
    appendSection(result, machine);
  } finally {
    staticServer?.send({ cmd: 'exit' });
    archive?.send({ cmd: 'exit' });
    await new Promise((r) => setTimeout(r, 300));
    archive?.kill();
    staticServer?.kill();
    await bench.drop();
    rmSync(tmp, { recursive: true, force: true });
  }
});
