import { fork, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseConfig } from '../src/config/load.js';
import type { Db } from '../src/db/pool.js';
import type { SystemParameters } from '../src/db/params.js';
import { silentLogger } from '../src/log/logger.js';
import { enqueue } from '../src/queues/engine.js';
import { sortkey } from '../src/gemini/sortkey.js';
import { QUEUES } from '../src/queues/tables.js';
import { runWorker } from '../src/queues/worker.js';
import { makeExportHandler } from '../src/services/export/export.js';
import { getText } from '../src/services/export/exportclient.js';
import { LocalStorage } from '../src/storage/local.js';
import { appendSection, loadNote } from './history.js';
import { benchDb, benchName, emit, fmt, main, round, type BenchResult, type BenchRow } from './lib.js';

// Export of files the archive already has (same data_md5): nothing is transferred, each item is
// one GET /jsonfilelist/present/filename=<name>?pending_ingest plus the queue's claim/complete.
//  - Summit: scratch database with N (default 1,000) file/diskfile rows and one exportqueue row
//    each (engine.enqueue), LocalStorage (never read: nothing is sent).
//  - Archive: its own scratch database with the same N names as file/diskfile/header rows with
//    the same data_md5 (inserted directly: what ingest leaves), served by buildServer in a
//    process of its own (bench/archive-server.ts) on 127.0.0.1.
//  - Timed: runWorker({once: true}) with makeExportHandler draining the queue, from the first
//    claim to the empty queue. Default concurrency 1 (the export daemon's default, --workers 1),
//    then again with 4 workers on a freshly filled queue.

const N = Number(process.env.BENCH_EXPORT_PRESENT_FILES ?? 1000);
const SECRET = 'bench-upload-secret';

function startArchive(url: string): Promise<{ proc: ChildProcess; port: number }> {
  return new Promise((resolve, reject) => {
    const proc = fork(fileURLToPath(new URL('./archive-server.ts', import.meta.url)), [url, SECRET], {
      execArgv: ['--import', 'tsx'],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    proc.once('message', (m: { ready?: boolean; port?: number }) =>
      m.ready ? resolve({ proc, port: m.port! }) : reject(new Error('archive server did not start')),
    );
    proc.once('exit', (c) => reject(new Error(`archive server exited (${c})`)));
  });
}

async function fill(db: Db, names: string[], withHeader: boolean): Promise<void> {
  await db.query(`INSERT INTO file (name) SELECT unnest($1::text[])`, [names]);
  await db.query(
    `INSERT INTO diskfile (file_id, filename, path, present, canonical, file_md5, data_md5, file_size, data_size, mdready, lastmod)
     SELECT id, name, '', true, true, md5('f' || name), md5('d' || name), 1000000, 4000000, true, now() FROM file`,
  );
  if (withHeader) {
    await db.query(
      `INSERT INTO header (diskfile_id, program_id, observation_id, data_label, telescope, instrument, ut_datetime, observation_type, observation_class, engineering)
       SELECT df.id, 'GN-2024A-Q-1', 'GN-2024A-Q-1-1', 'GN-2024A-Q-1-1-' || df.id, 'Gemini-North', 'GMOS-N', timestamptz '2024-01-01' + df.id * interval '1 minute', 'OBJECT', 'science', false
       FROM diskfile df`,
    );
  }
  for (const t of ['file', 'diskfile', 'header']) await db.query(`ANALYZE ${t}`);
}

main(async () => {
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'fitsstore-bench-export-present-'));
  const adb = await benchDb('export_present_archive', 5);
  const sdb = await benchDb('export_present_summit', 5);
  let archive: ChildProcess | undefined;
  try {
    const names = Array.from({ length: N }, (_, i) => benchName(i));
    await fill(adb.db, names, true);
    await fill(sdb.db, names, false);
    const a = await startArchive(adb.url);
    archive = a.proc;
    const url = `http://127.0.0.1:${a.port}`;
    const config = parseConfig({
      role: 'summit',
      export: { destinations: [{ url, upload_auth: SECRET }] },
      paths: { var_dir: tmp, storage_root: tmp, log_dir: tmp, lock_dir: tmp, dhs_dir: tmp },
    });
    const p: SystemParameters = {
      poll_seconds: 0.2,
      heartbeat_seconds: 5,
      dead_worker_seconds: 30,
      max_attempts: 3,
      ingest_defer_seconds: 0,
      export_retry_seconds: 60,
      dhs_settle_seconds: 20,
      updated_at: new Date(),
      updated_by: null,
    };
    const log = silentLogger();

    const drain = async (concurrency: number) => {
      await sdb.db.query('DELETE FROM exportqueue');
      await enqueue(
        sdb.db,
        QUEUES.export,
        names.map((filename) => ({ filename, path: '', destination: url, sortkey: sortkey(filename) })),
      );
      const ac = new AbortController();
      const handler = makeExportHandler({
        config,
        db: sdb.db,
        storage: new LocalStorage(tmp),
        log,
        params: () => p,
        signal: ac.signal,
        autoRetry: false,
      });
      const start = performance.now();
      try {
        const stats = await runWorker({
          db: sdb.db,
          url: sdb.url,
          queue: QUEUES.export,
          name: `bexp${concurrency}`,
          handler,
          log,
          signal: ac.signal,
          concurrency,
          once: true,
        });
        const s = (performance.now() - start) / 1000;
        if (stats.done !== N || stats.failed || stats.deferred)
          throw new Error(`drain: ${JSON.stringify(stats)}, expected ${N} done`);
        const left = await sdb.db.query('SELECT count(*)::int AS n FROM exportqueue');
        if (left.rows[0].n !== 0) throw new Error(`${left.rows[0].n} rows left in exportqueue`);
        return s;
      } finally {
        ac.abort();
        handler.stop();
      }
    };

    // Nothing may have been uploaded: the archive's upload log stays empty.
    const warm = await drain(1); // warm-up pass (JIT, connections, plans): reported, not the result
    const s1 = await drain(1);
    const s4 = await drain(4);
    // Where the time goes: the presence GETs alone, sequentially, with the same client.
    const g0 = performance.now();
    for (const n of names) {
      const r = await getText(
        `${url}/jsonfilelist/present/filename=${encodeURIComponent(n)}?pending_ingest`,
        {
          idleTimeoutMs: 60_000,
        },
      );
      if (r.status !== 200 || !r.body.includes('data_md5')) throw new Error(`presence GET ${n}: ${r.status}`);
    }
    const getS = (performance.now() - g0) / 1000;
    const uploads = await adb.db.query('SELECT count(*)::int AS n FROM fileuploadlog');
    if (uploads.rows[0].n !== 0) throw new Error(`${uploads.rows[0].n} uploads reached the archive`);

    const rate1 = N / s1;
    const rate4 = N / s4;
    const machine = loadNote();
    const rows: BenchRow[] = [
      {
        name: `export of ${fmt(N)} already-present files, 1 worker (daemon default)`,
        value: round(rate1, 0),
        unit: 'files/s',
        target: '≥ 200 files/s',
        ratio: { of: 'target 200 files/s', value: round(rate1 / 200, 2), target: '≥ 1×' },
        pass: rate1 >= 200,
        detail: `${s1.toFixed(2)} s for ${fmt(N)}; warm-up pass ${(N / warm).toFixed(0)} files/s`,
      },
      {
        name: `export of ${fmt(N)} already-present files, 4 workers`,
        value: round(rate4, 0),
        unit: 'files/s',
        target: '≥ 200 files/s',
        pass: rate4 >= 200,
        detail: `${s4.toFixed(2)} s for ${fmt(N)}`,
      },
      {
        name: 'presence GET alone, sequential (no queue)',
        value: round(N / getS, 0),
        unit: 'requests/s',
        detail: `${((getS / N) * 1000).toFixed(2)} ms each; the rest of an item's ${((s1 / N) * 1000).toFixed(2)} ms is the queue's claim/complete and the diskfile lookup`,
      },
    ];
    const result: BenchResult = {
      bench: 'export-present',
      title: `Export of ${fmt(N)} files the archive already has`,
      method:
        `${fmt(N)} exportqueue rows on a summit database; the archive (buildServer in its own process, own database) already lists every ` +
        `name with the same data_md5, so each item is a presence GET and no transfer. Timed: runWorker({once}) with makeExportHandler ` +
        `draining the queue (claim, GET, complete); checked: all done, queue empty, zero uploads at the archive.`,
      rows,
      notes: [`Machine: ${machine}; a CI run was active on the box at the same time.`],
    };
    emit(result);
    appendSection(result, machine);
  } finally {
    archive?.send({ cmd: 'exit' });
    await new Promise((r) => setTimeout(r, 300));
    archive?.kill();
    await adb.drop();
    await sdb.drop();
    rmSync(tmp, { recursive: true, force: true });
  }
});
