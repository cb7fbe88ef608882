import { spawn } from 'node:child_process';
import { createWriteStream, linkSync, mkdirSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { once } from 'node:events';
import { parseConfig } from '../src/config/load.js';
import type { SystemParameters } from '../src/db/params.js';
import { headerBlocks, imageHdu } from '../src/fits/write.js';
import { silentLogger } from '../src/log/logger.js';
import { buildServer } from '../src/server/app.js';
import { exportFile, UPLOAD_COOKIE } from '../src/services/export/export.js';
import { samplePrimaryCards } from '../src/gemini/samples.js';
import { LocalStorage } from '../src/storage/local.js';
import { appendSection, loadNote } from './history.js';
import { baseline } from './baseline-tools.js';
import { benchDb, emit, fmt, main, median, round, type BenchResult } from './lib.js';

// Export throughput over loopback, one big file, against `lbzip2 | curl` to the same server (or
// what the machine has: bzip2, the npm codec, node:http; see baseline-tools.ts, named in the result).
//  - The file: a FITS primary HDU of int16 pixels, 8192 wide, BENCH_EXPORT_MB (default 500) MB:
//    a smooth gradient plus ±64 of noise (xorshift), so bzip2 has real work (it shrinks to ~55%).
//  - The archive: buildServer (role archive, upload_auth set) over LocalStorage in a temp dir,
//    its own scratch database, listening on 127.0.0.1 in this process (as test/e2e does).
//  - fitsstore: exportFile() of a summit diskfile row (its own scratch database, LocalStorage):
//    the GET /jsonfilelist/present check, then the streamed compress + POST + echo check.
//  - Baseline: `lbzip2 -c file | curl --data-binary @- -H 'Cookie: …' …/upload_file/<name>.bz2`,
//    and the streaming form `curl -T - -X POST` (curl's @- reads all of stdin before sending).
//  - Each run uploads under a new name; the archive's hand-off to its store is awaited (outside
//    the timing) and the stored copy removed before the next run. Runs alternate.
//  - RSS: process.memoryUsage().rss sampled every 50 ms during each export (server and exporter
//    share this process); reported as peak − RSS just before the export.

const MB = Number(process.env.BENCH_EXPORT_MB ?? 500);
const RUNS = Number(process.env.BENCH_EXPORT_RUNS ?? 2);
const SECRET = 'bench-upload-secret';
const WIDTH = 8192;

async function writeBigFits(file: string): Promise<number> {
  const rows = Math.ceil((MB * 1048576) / (WIDTH * 2));
  const hdr = imageHdu(null, {
    primary: true,
    bitpix: 16,
    shape: [WIDTH, rows],
    cards: samplePrimaryCards({ date: '20240101', serial: 1 }).filter(
      (c) => !Array.isArray(c) || !['SIMPLE', 'BITPIX', 'NAXIS', 'NAXIS1', 'NAXIS2', 'EXTEND'].includes(c[0]),
    ),
  });
  const out = createWriteStream(file);
  const write = async (b: Buffer) => {
    if (!out.write(b)) await once(out, 'drain');
  };
  await write(headerBlocks(hdr.cards));
  let s = 0x9e3779b9 | 0;
  const chunkRows = 256;
  for (let r0 = 0; r0 < rows; r0 += chunkRows) {
    const n = Math.min(chunkRows, rows - r0);
    const buf = Buffer.allocUnsafe(n * WIDTH * 2);
    for (let r = 0; r < n; r++) {
      const y = r0 + r;
      for (let x = 0; x < WIDTH; x++) {
        s ^= s << 13;
        s ^= s >>> 17;
        s ^= s << 5;
        const v = 1000 + ((x * 7 + y * 3) >> 4) + ((s >>> 25) - 64);
        buf.writeInt16BE(v, (r * WIDTH + x) * 2);
      }
    }
    await write(buf);
  }
  const dataBytes = rows * WIDTH * 2;
  const pad = (2880 - (dataBytes % 2880)) % 2880;
  if (pad) await write(Buffer.alloc(pad));
  out.end();
  await once(out, 'finish');
  return statSync(file).size;
}

function sh(cmd: string, env: Record<string, string>): Promise<{ code: number; out: string; err: string }> {
  return new Promise((resolve) => {
    const p = spawn('bash', ['-o', 'pipefail', '-c', cmd], { env: { ...process.env, ...env } });
    let out = '';
    let err = '';
    p.stdout.on('data', (d) => (out += d));
    p.stderr.on('data', (d) => (err += d));
    p.on('close', (code) => resolve({ code: code ?? -1, out, err }));
  });
}

main(async () => {
  const tools = baseline();
  const bufName = `${tools.compressName} | ${tools.uploadName(false)}`;
  const strName = `${tools.compressName} | ${tools.uploadName(true)}`;
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'fitsstore-bench-export-'));
  const adb = await benchDb('export_archive', 5);
  const sdb = await benchDb('export_summit', 5);
  const log = silentLogger();
  try {
    const t0 = performance.now();
    const src = path.join(tmp, 'source.fits');
    const size = await writeBigFits(src);
    const genSeconds = (performance.now() - t0) / 1000;
    const sizeMB = size / 1048576;

    const aroot = path.join(tmp, 'archive');
    const aconfig = parseConfig({
      role: 'archive',
      server: { upload_auth: SECRET },
      paths: {
        var_dir: aroot,
        storage_root: path.join(aroot, 'store'),
        upload_staging: path.join(aroot, 'staging'),
        log_dir: aroot,
        lock_dir: aroot,
        dhs_dir: path.join(aroot, 'dhs'),
      },
    });
    const astorage = new LocalStorage(aconfig.paths.storage_root);
    const app = buildServer({ config: aconfig, db: adb.db, storage: astorage, log });
    await app.listen({ host: '127.0.0.1', port: 0 });
    const url = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;

    const sroot = path.join(tmp, 'summit');
    const sstore = path.join(sroot, 'dataflow');
    mkdirSync(sstore, { recursive: true });
    const sconfig = parseConfig({
      role: 'summit',
      export: { destinations: [{ url, upload_auth: SECRET }] },
      paths: {
        var_dir: sroot,
        storage_root: sstore,
        log_dir: sroot,
        lock_dir: sroot,
        dhs_dir: path.join(sroot, 'dhs'),
      },
    });
    const sstorage = new LocalStorage(sstore);
    const p: SystemParameters = {
      poll_seconds: 0.2,
      heartbeat_seconds: 0.5,
      dead_worker_seconds: 3,
      max_attempts: 3,
      ingest_defer_seconds: 0,
      export_retry_seconds: 1,
      dhs_settle_seconds: 20,
      updated_at: new Date(),
      updated_by: null,
    };
    const deps = { config: sconfig, db: sdb.db, storage: sstorage, log, params: () => p };

    let serial = 0;
    const handedOff = async (n: number) => {
      for (let i = 0; i < 1200; i++) {
        const r = await adb.db.query(
          'SELECT count(*)::int AS n FROM fileuploadlog WHERE processed_cleanly IS NOT NULL',
        );
        if (r.rows[0].n >= n) return;
        await new Promise((r) => setTimeout(r, 100));
      }
      throw new Error('archive upload hand-off did not finish');
    };
    const cleanArchive = () => {
      rmSync(aconfig.paths.storage_root, { recursive: true, force: true });
    };

    const ours: { s: number; sent: number; rssDelta: number; rssPeak: number; rss0: number }[] = [];
    const curlBuffered: number[] = [];
    const curlStreaming: number[] = [];
    let uploads = 0;
    let compressed = 0;

    const runOurs = async () => {
      const name = `N20240101S${String(++serial).padStart(4, '0')}.fits`;
      linkSync(src, path.join(sstore, name));
      await sdb.db.query(`INSERT INTO file (name) VALUES ($1)`, [name]);
      await sdb.db.query(
        `INSERT INTO diskfile (file_id, filename, path, present, canonical, file_md5, data_md5, file_size, data_size, mdready)
         SELECT id, $1, '', true, true, md5($1), md5($1), $2, $2, true FROM file WHERE name = $1`,
        [name, size],
      );
      (globalThis as { gc?: () => void }).gc?.();
      const rss0 = process.memoryUsage().rss;
      let peak = rss0;
      const timer = setInterval(() => {
        peak = Math.max(peak, process.memoryUsage().rss);
      }, 50);
      const start = performance.now();
      const out = await exportFile(deps, { filename: name, path: '', destination: url });
      const s = (performance.now() - start) / 1000;
      clearInterval(timer);
      peak = Math.max(peak, process.memoryUsage().rss);
      if (out.action !== 'sent') throw new Error(`export of ${name}: ${out.action}`);
      compressed = out.bytes;
      ours.push({
        s,
        sent: out.bytes,
        rssDelta: (peak - rss0) / 1048576,
        rssPeak: peak / 1048576,
        rss0: rss0 / 1048576,
      });
      await handedOff(++uploads);
      cleanArchive();
    };

    const runCurl = async (streaming: boolean) => {
      const name = `N20240101S${String(++serial).padStart(4, '0')}.fits.bz2`;
      const cmd = `${tools.compress} | ${tools.upload(name, streaming)}`;
      const start = performance.now();
      const r = await sh(cmd, { SRC: src, COOKIE: `${UPLOAD_COOKIE}=${SECRET}`, URL: url });
      const s = (performance.now() - start) / 1000;
      if (r.code !== 0) throw new Error(`baseline failed (${r.code}): ${r.err} ${r.out}`);
      const echo = (JSON.parse(r.out) as { size: number }[])[0];
      if (!echo || !(echo.size > 0)) throw new Error(`baseline: unexpected answer ${r.out}`);
      (streaming ? curlStreaming : curlBuffered).push(s);
      await handedOff(++uploads);
      cleanArchive();
    };

    for (let i = 0; i < RUNS; i++) {
      await runCurl(false);
      await runOurs();
      await runCurl(true);
      process.stderr.write(
        `run ${i + 1}: curl@- ${curlBuffered.at(-1)!.toFixed(1)} s, fitsstore ${ours.at(-1)!.s.toFixed(1)} s, curl -T ${curlStreaming.at(-1)!.toFixed(1)} s\n`,
      );
    }
    await app.close();

    const ourS = median(ours.map((o) => o.s));
    const bufS = median(curlBuffered);
    const strS = median(curlStreaming);
    const best = Math.min(bufS, strS);
    const ourMBs = sizeMB / ourS;
    const ratioBuffered = bufS / ourS;
    const ratioBest = best / ourS;
    const rssDelta = Math.max(...ours.map((o) => o.rssDelta));
    const machine = loadNote();
    const result: BenchResult = {
      bench: 'export',
      title: `Export of one ${fmt(sizeMB)} MB FITS file over loopback`,
      method:
        `One ${fmt(sizeMB)} MB int16 FITS file (gradient + ±64 noise, bzip2 → ${fmt(compressed / 1048576)} MB) exported by exportFile() ` +
        `(presence GET, bzip2 on the way out (${tools.compressName}), streamed POST, echo check) to a real archive (buildServer, LocalStorage, upload cookie) ` +
        `on 127.0.0.1 in the same process; baseline \`${bufName}\` (and \`${strName}\`) to the same server. ` +
        `${RUNS} alternating run(s) each, median; archive hand-off awaited between runs (untimed). ` +
        `RSS sampled every 50 ms during each export.`,
      rows: [
        {
          name: 'fitsstore exportFile throughput (uncompressed MB/s)',
          value: round(ourMBs, 1),
          unit: 'MB/s',
          target: `≥ 0.5× ${bufName}`,
          ratio: { of: bufName, value: round(ratioBuffered, 2), target: '≥ 0.5×' },
          pass: ratioBuffered >= 0.5,
          detail: `runs ${ours.map((o) => o.s.toFixed(1)).join(', ')} s; ${fmt(compressed / 1048576, 1)} MB sent each`,
        },
        {
          name: `baseline ${bufName}`,
          value: round(sizeMB / bufS, 1),
          unit: 'MB/s',
          detail: `runs ${curlBuffered.map((s) => s.toFixed(1)).join(', ')} s`,
        },
        {
          name: `baseline ${strName}`,
          value: round(sizeMB / strS, 1),
          unit: 'MB/s',
          detail: `runs ${curlStreaming.map((s) => s.toFixed(1)).join(', ')} s`,
        },
        {
          name: 'fitsstore vs the faster baseline',
          value: round(ratioBest, 2),
          unit: '×',
          ratio: { of: 'faster of the two baseline forms', value: round(ratioBest, 2), target: '≥ 0.5×' },
          pass: ratioBest >= 0.5,
        },
        {
          name: 'RSS growth during export (peak − before)',
          value: round(rssDelta, 1),
          unit: 'MB',
          target: 'flat (independent of file size)',
          detail: ours
            .map((o) => `before ${fmt(o.rss0)} MB, peak ${fmt(o.rssPeak)} MB, +${o.rssDelta.toFixed(1)} MB`)
            .join('; '),
        },
      ],
      notes: [
        `File generated in ${genSeconds.toFixed(1)} s (not timed). Archive server, its hand-off and the exporter share one Node process; ${tools.compressName} compresses in every variant.`,
        `Machine: ${machine}; another CI run was active on the box, so absolute MB/s are low and noisy — the ratio is the measure.`,
      ],
    };
    emit(result);
    appendSection(result, machine);
  } finally {
    await adb.drop();
    await sdb.drop();
    rmSync(tmp, { recursive: true, force: true });
  }
});
