import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { mkdtempSync, rmSync } from 'node:fs';
import { parseConfig } from '../src/config/load.js';
import type { Db } from '../src/db/pool.js';
import { silentLogger } from '../src/log/logger.js';
import { buildServer } from '../src/server/app.js';
import { registerSite } from '../src/server/site.js';
import { LocalStorage } from '../src/storage/local.js';
import { benchDb, emit, fmt, main, median, percentile, round } from './lib.js';

// /searchform/<program id> against 1,000,000 headers.
//  - The table: 1,000,000 file/diskfile/header rows over 20 years, in 4,000 programs (250 files
//    each on average). As at a telescope, files come in runs of 50 consecutive ones (an
//    observation), each run from one of the semester's 100 programs: a program's files sit in a
//    few clumps of the table, not one per page. Every column the pages show, and a ~1 kB
//    `keywords` document per header, generated in SQL; then ANALYZE.
//  - The server: buildServer + registerSite, usage log on, listening on loopback.
//  - One sample: GET /searchform/<random program id> by an anonymous user, body read to the end.
//    "Server time" is Fastify's reply.elapsedTime at onResponse (request in → last byte handed
//    to the socket); the client's round trip is reported beside it. p50/p95 over 300 requests
//    after 30 warm-up ones.

const N = Number(process.env.BENCH_SEARCHFORM_HEADERS ?? 1_000_000);
const PROGRAMS = Math.max(1, Math.round(N / 250));
const SAMPLES = Number(process.env.BENCH_SEARCHFORM_SAMPLES ?? 300);
const WARMUP = 30;

function programId(i: number): string {
  // GN-2005A-Q-1 … : the semester advances with i, so a program's files share a semester.
  const sem = Math.floor((i * 40) / PROGRAMS);
  return `G${i % 2 ? 'S' : 'N'}-${2005 + Math.floor(sem / 2)}${sem % 2 ? 'B' : 'A'}-Q-${(i % 997) + 1}`;
}

async function generate(db: Db): Promise<void> {
  await db.query('SELECT setseed(0.17)');
  const progs = Array.from({ length: PROGRAMS }, (_, i) => programId(i));
  await db.query(
    'CREATE TEMP TABLE progs AS SELECT * FROM unnest($1::text[]) WITH ORDINALITY AS p(program_id, n)',
    [progs],
  );
  await db.query(
    `INSERT INTO file (id, name) SELECT g, 'N' || to_char(date '2005-01-01' + (g / 500), 'YYYYMMDD') || 'S' || lpad((g % 500 + 1)::text, 4, '0') || '.fits'
     FROM generate_series(1, $1::int) g`,
    [N],
  );
  await db.query(
    `INSERT INTO diskfile (id, file_id, filename, path, present, canonical, file_md5, data_md5, file_size, data_size, mdready, lastmod)
     SELECT f.id, f.id, f.name || '.bz2', '', true, true, md5(f.id::text), md5(f.id::text), 1500000, 4200000, true, now()
     FROM file f`,
  );
  await db.query(
    `WITH r AS (
       SELECT g, 1 + (g * 40 / $1::int) * ($2::int / 40) + abs(hashint4(g / 50)) % ($2::int / 40) AS p, random() AS r1, random() AS r2, random() AS r3,
              timestamptz '2005-01-01 00:00+00' + (g::float8 / $1::int) * interval '7305 days' AS ut
       FROM generate_series(1, $1::int) g)
     INSERT INTO header (id, diskfile_id, program_id, observation_id, data_label, telescope, instrument, ut_datetime,
       observation_type, observation_class, object, ra, dec, airmass, exposure_time, filter_name, detector_binning,
       qa_state, release, engineering, raw_iq, raw_cc, raw_wv, raw_bg, keywords)
     SELECT g, g, progs.program_id, progs.program_id || '-' || (1 + g % 40), progs.program_id || '-' || (1 + g % 40) || '-' || lpad((g % 300)::text, 3, '0'),
       CASE WHEN progs.program_id LIKE 'GN%' THEN 'Gemini-North' ELSE 'Gemini-South' END,
       (ARRAY['GMOS-N', 'GMOS-S', 'NIRI', 'GNIRS', 'F2', 'GSAOI'])[1 + floor(r1 * 6)::int], ut,
       CASE WHEN r2 < 0.6 THEN 'OBJECT' WHEN r2 < 0.8 THEN 'FLAT' WHEN r2 < 0.9 THEN 'ARC' ELSE 'BIAS' END,
       CASE WHEN r2 < 0.6 THEN 'science' ELSE 'partnerCal' END,
       'NGC ' || (g % 7000), r3 * 360, r3 * 180 - 90, 1 + r1, 30 + floor(r2 * 10) * 30,
       (ARRAY['g', 'r', 'i', 'z', 'J', 'H', 'K'])[1 + floor(r3 * 7)::int], '2x2',
       (ARRAY['Pass', 'Usable', 'Fail', 'Undefined'])[1 + floor(r2 * 4)::int],
       (ut + interval '1 year')::date, false, '70', '50', '100', '80',
       jsonb_build_object('INSTRUME', 'GMOS-N', 'OBJECT', 'NGC ' || (g % 7000), 'OBSTYPE', 'OBJECT', 'OBSCLASS', 'science',
         'GEMPRGID', progs.program_id, 'OBSID', progs.program_id || '-1', 'DATALAB', progs.program_id || '-1-001',
         'OBSERVAT', 'Gemini-North', 'TELESCOP', 'Gemini-North', 'DATE-OBS', to_char(ut, 'YYYY-MM-DD'),
         'TIME-OBS', to_char(ut, 'HH24:MI:SS'), 'RA', r3 * 360, 'DEC', r3 * 180 - 90, 'AIRMASS', 1 + r1, 'EXPTIME', 30,
         'RAWIQ', '70-percentile', 'RAWCC', '50-percentile', 'RAWWV', 'Any', 'RAWBG', '80-percentile',
         'RAWGEMQA', 'UNKNOWN', 'RAWPIREQ', 'UNKNOWN', 'RELEASE', to_char(ut + interval '1 year', 'YYYY-MM-DD'),
         'FILTER1', 'open1-6', 'FILTER2', 'r_G0303', 'GRATING', 'MIRROR', 'MASKNAME', 'None', 'DETECTOR', 'GMOS + Hamamatsu',
         'CCDSUM', '2 2', 'GAIN', 1.83, 'RDNOISE', 3.9, 'AMPINTEG', 5000, 'DETSIZE', '[1:6144,1:4224]', 'NEXTEND', 12,
         'OBSEPOCH', 2024.5, 'ELEVATIO', 60.5, 'AZIMUTH', 120.2, 'CRPA', 45.1, 'HUMIDITY', 12, 'TAMBIENT', 3.2, 'PRESSURE', 615.1)
     FROM r JOIN progs ON progs.n = r.p`,
    [N, PROGRAMS],
  );
  for (const t of ['file', 'diskfile', 'header']) {
    await db.query(`SELECT setval(pg_get_serial_sequence('${t}', 'id'), (SELECT max(id) FROM ${t}))`);
    await db.query(`ANALYZE ${t}`);
  }
}

main(async () => {
  const t0 = performance.now();
  const bench = await benchDb('searchform', 20);
  const dir = mkdtempSync(path.join(os.tmpdir(), 'fitsstore-bench-searchform-'));
  try {
    await generate(bench.db);
    const genSeconds = (performance.now() - t0) / 1000;
    const config = parseConfig({
      role: 'archive',
      paths: { var_dir: dir, storage_root: dir, log_dir: dir, lock_dir: dir },
    });
    const log = silentLogger();
    const storage = new LocalStorage(dir);
    const app = buildServer({ config, db: bench.db, storage, log });
    registerSite(app, { config, db: bench.db, storage, log, access: app.access, background: () => {} });
    const server: number[] = [];
    app.addHook('onResponse', (req, reply, done) => {
      if (req.url.startsWith('/searchform/')) server.push(reply.elapsedTime);
      done();
    });
    await app.listen({ host: '127.0.0.1', port: 0 });
    const base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;

    const progs = (await bench.db.query('SELECT program_id, count(*)::int AS n FROM header GROUP BY 1'))
      .rows as { program_id: string; n: number }[];
    const client: number[] = [];
    const rows: number[] = [];
    let bytes = 0;
    for (let i = 0; i < WARMUP + SAMPLES; i++) {
      const p = progs[Math.floor(Math.random() * progs.length)];
      const start = performance.now();
      const res = await fetch(`${base}/searchform/${p.program_id}`);
      const body = await res.text();
      const ms = performance.now() - start;
      if (res.status !== 200) throw new Error(`/searchform/${p.program_id}: HTTP ${res.status}`);
      const shown = (body.match(/<th scope="row">/g) ?? []).length;
      if (shown !== p.n) throw new Error(`/searchform/${p.program_id}: ${shown} rows shown, ${p.n} expected`);
      if (i >= WARMUP) {
        client.push(ms);
        rows.push(shown);
        bytes += body.length;
      }
    }
    await app.close();
    const srv = server.slice(WARMUP).sort((a, b) => a - b);
    const cli = [...client].sort((a, b) => a - b);
    const p50 = percentile(srv, 50);
    emit({
      bench: 'searchform',
      title: '/searchform/<program id> with 1,000,000 headers',
      method:
        `${fmt(N)} headers in ${fmt(PROGRAMS)} programs (${round(N / PROGRAMS)} files each on average) with ~1 kB keywords each; ` +
        `buildServer + registerSite with the usage log on; ${SAMPLES} sequential anonymous GETs of random programs after ${WARMUP} warm-up; ` +
        'server time = Fastify reply.elapsedTime at onResponse.',
      rows: [
        { name: 'server time p50', value: round(p50, 1), unit: 'ms', target: '≤ 50 ms', pass: p50 <= 50 },
        { name: 'server time p95', value: round(percentile(srv, 95), 1), unit: 'ms' },
        {
          name: 'client round trip p50 (loopback, body read)',
          value: round(percentile(cli, 50), 1),
          unit: 'ms',
        },
        { name: 'client round trip p95', value: round(percentile(cli, 95), 1), unit: 'ms' },
        {
          name: 'rows per page (median)',
          value: median(rows),
          unit: 'rows',
          detail: `${round(bytes / SAMPLES / 1024)} kB of HTML per page on average`,
        },
      ],
      notes: [
        `table generated in ${round(genSeconds)} s`,
        `${os.cpus().length} CPUs, ${os.cpus()[0]?.model ?? 'unknown CPU'}`,
      ],
    });
  } finally {
    await bench.drop();
    rmSync(dir, { recursive: true, force: true });
  }
});
