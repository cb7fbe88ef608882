import { createHash } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Config } from '../../src/config/schema.js';
import { QUEUES } from '../../src/queues/tables.js';
import { runWorker, type Handler } from '../../src/queues/worker.js';
import { buildServer } from '../../src/server/app.js';
import { DhsCopier } from '../../src/services/summit/copyfromdhs.js';
import { exportFile, makeExportHandler } from '../../src/services/export/export.js';
import { DestinationError } from '../../src/services/export/exportclient.js';
import { makeIngestHandler } from '../../src/services/ingest/ingest.js';
import { sampleFits, writeSample, type SampleSpec } from '../../src/gemini/samples.js';
import { LocalStorage } from '../../src/storage/local.js';
import { S3Storage } from '../../src/storage/s3.js';
import { createTestDb, type TestDb } from '../helpers/db.js';
import { fixedParams, quietLog, tempDir, testConfig } from '../helpers/env.js';
import { freePort } from '../helpers/fakearchive.js';
import { storeSample } from '../helpers/fixtures.js';
import { startS3, type TestS3 } from '../helpers/s3.js';
import { listen } from '../helpers/server.js';
import { waitFor } from '../helpers/wait.js';

// Two complete instances on one machine, as in production:
//   summit:  its own database, DHS directory, dataflow store (local disk), ingest and export daemons
//   archive: its own database, fitsstore-server on a random port, an S3 store (s3rver), ingest
// Files dropped into the summit's DHS directory end up downloadable from the archive with the
// same data md5, listed by /jsonsummary. A second, dead destination does not hold anything up.

const md5 = (b: Buffer) => createHash('md5').update(b).digest('hex');
const SECRET = 'upload-secret-for-the-archive';
const params = fixedParams({ ingest_defer_seconds: 0, export_retry_seconds: 1 });

interface Instance {
  t: TestDb;
  config: Config;
}

let tmp: ReturnType<typeof tempDir>;
let s3: TestS3;
let summit: Instance & { storage: LocalStorage };
let archive: Instance & { storage: S3Storage; app: FastifyInstance; url: string };
let deadUrl: string;

const SAMPLES: SampleSpec[] = [
  { date: '20250310', serial: 1, size: 200, extensions: 2 },
  { date: '20250310', serial: 2, size: 64 },
  { date: '20250310', serial: 3, size: 64, bz2: true },
];

async function drain(inst: Instance, queue: typeof QUEUES.ingest, handler: Handler, name: string) {
  const ac = new AbortController();
  try {
    return await runWorker({
      db: inst.t.db,
      url: inst.t.url,
      queue,
      name,
      handler,
      log: quietLog,
      signal: ac.signal,
      once: true,
    });
  } finally {
    ac.abort();
  }
}

beforeAll(async () => {
  tmp = tempDir('e2e');
  s3 = await startS3('archive-data');
  deadUrl = `http://127.0.0.1:${await freePort()}`;

  const at = await createTestDb('e2e_archive');
  const aconfig = testConfig(path.join(tmp.dir, 'archive'), {
    role: 'archive',
    server: { upload_auth: SECRET },
    storage: { type: 's3', s3: s3.config },
  });
  const astorage = new S3Storage(aconfig.storage.s3!);
  const app = buildServer({ config: aconfig, db: at.db, storage: astorage, log: quietLog });
  const url = await listen(app);
  archive = { t: at, config: aconfig, storage: astorage, app, url };

  const st = await createTestDb('e2e_summit');
  const sconfig = testConfig(path.join(tmp.dir, 'summit'), {
    role: 'summit',
    export: {
      destinations: [
        { url, upload_auth: SECRET },
        { url: deadUrl, upload_auth: 'x' },
      ],
    },
  });
  summit = { t: st, config: sconfig, storage: new LocalStorage(sconfig.paths.storage_root) };
  for (const i of [at, st]) {
    await i.db.query(
      'UPDATE system_parameters SET poll_seconds = 0.2, heartbeat_seconds = 0.5, export_retry_seconds = 1, dhs_settle_seconds = 1',
    );
  }
});

afterAll(async () => {
  await archive?.app.close();
  await archive?.t.drop();
  await summit?.t.drop();
  await s3?.stop();
  tmp?.cleanup();
});

describe('summit → archive', () => {
  it('files dropped into the DHS directory are exported, stored in S3, ingested and served with the same data md5', async () => {
    // Summit: the DHS writes files; copy-from-dhs copies them into the dataflow store.
    mkdirSync(summit.config.paths.dhs_dir, { recursive: true });
    const names = SAMPLES.map((s) => writeSample(summit.config.paths.dhs_dir, s));
    const copier = new DhsCopier({
      db: summit.t.db,
      dhsDir: summit.config.paths.dhs_dir,
      storage: summit.storage,
      log: quietLog,
      minAgeSeconds: 0,
      settleSeconds: () => 1,
      now: () => Date.now() + 10_000,
    });
    await waitFor(
      async () => {
        await copier.pass();
        const r = await summit.t.db.query('SELECT count(*)::int AS n FROM ingestqueue');
        return r.rows[0].n === names.length;
      },
      { what: 'copy-from-dhs' },
    );

    // Summit: ingest, which queues one export per destination.
    const sIngest = makeIngestHandler({
      db: summit.t.db,
      storage: summit.storage,
      config: summit.config,
      log: quietLog,
      params,
    });
    expect((await drain(summit, QUEUES.ingest, sIngest, 'siq1')).done).toBe(names.length);
    const queued = await summit.t.db.query(
      'SELECT destination, count(*)::int AS n FROM exportqueue GROUP BY destination ORDER BY destination',
    );
    expect(queued.rows).toEqual(
      expect.arrayContaining([
        { destination: archive.url, n: 3 },
        { destination: deadUrl, n: 3 },
      ]),
    );

    // Summit: the export daemon. The archive gets everything; the dead destination backs off and fails.
    const ac = new AbortController();
    const exporter = makeExportHandler({
      config: summit.config,
      db: summit.t.db,
      storage: summit.storage,
      log: quietLog,
      params,
      signal: ac.signal,
      idleTimeoutMs: 5000,
      autoRetry: false, // a drain (--empty): failed rows stay failed until retried below
    });
    try {
      const stats = await drain(summit, QUEUES.export, exporter, 'seq1');
      expect(stats.done).toBe(3);
      const left = await summit.t.db.query('SELECT destination, failed, error FROM exportqueue');
      expect(left.rows.every((r) => r.destination === deadUrl && r.failed)).toBe(true);
      expect(left.rows[0].error).toContain(`GET ${deadUrl}/jsonfilelist/present/filename=`);
      expect(exporter.backoff.remaining(archive.url)).toBe(0);
    } finally {
      ac.abort();
      exporter.stop();
    }

    // Archive: the uploads were handed off to S3 and the ingest queue; ingest them.
    await waitFor(
      async () => {
        const r = await archive.t.db.query(
          'SELECT count(*)::int AS n FROM fileuploadlog WHERE processed_cleanly',
        );
        return r.rows[0].n === 3;
      },
      { what: 'upload hand-offs' },
    );
    for (const n of names) {
      const sent = n.endsWith('.bz2') ? n : `${n}.bz2`;
      expect(await archive.storage.stat(sent), sent).not.toBeNull();
    }
    const aIngest = makeIngestHandler({
      db: archive.t.db,
      storage: archive.storage,
      config: archive.config,
      log: quietLog,
      params,
    });
    expect((await drain(archive, QUEUES.ingest, aIngest, 'aiq1')).done).toBe(3);

    // Listed by /jsonsummary, with the summit's data md5s, and downloadable from /file/.
    const summary = (await (await fetch(`${archive.url}/jsonsummary/20250310`)).json()) as Record<
      string,
      unknown
    >[];
    expect(summary.map((e) => e.name).sort()).toEqual(names.map((n) => n.replace(/\.bz2$/, '')).sort());
    for (const spec of SAMPLES) {
      const raw = sampleFits(spec);
      const name = `N20250310S000${spec.serial}.fits`;
      const local = await summit.t.db.query('SELECT data_md5 FROM diskfile WHERE filename LIKE $1', [
        `${name}%`,
      ]);
      const entry = summary.find((e) => e.name === name)!;
      expect(entry.data_md5).toBe(md5(raw));
      expect(entry.data_md5).toBe(local.rows[0].data_md5);
      expect(entry).toMatchObject({ compressed: true, filename: `${name}.bz2`, instrument: 'GMOS-N' });
      const plain = Buffer.from(await (await fetch(`${archive.url}/file/${name}`)).arrayBuffer());
      expect(md5(plain)).toBe(md5(raw));
    }
    const listed = (await (
      await fetch(`${archive.url}/jsonfilelist/present/filename=${names[0]}?pending_ingest`)
    ).json()) as Record<string, unknown>[];
    expect(listed).toHaveLength(1);
    expect(listed[0]).toMatchObject({ pending_ingest: false, data_md5: md5(sampleFits(SAMPLES[0])) });
  });

  it('exporting a file the archive already has (same data_md5) makes no upload', async () => {
    const before = await archive.t.db.query('SELECT count(*)::int AS n FROM fileuploadlog');
    const name = 'N20250310S0001.fits';
    const out = await exportFile(
      { config: summit.config, db: summit.t.db, storage: summit.storage, log: quietLog, params },
      { filename: name, path: '', destination: archive.url },
    );
    expect(out).toMatchObject({ action: 'skipped' });
    const after = await archive.t.db.query('SELECT count(*)::int AS n FROM fileuploadlog');
    expect(after.rows[0].n).toBe(before.rows[0].n);
  });

  it('a summit with the wrong upload cookie gets 403 and sends nothing', async () => {
    const wrong = testConfig(path.join(tmp.dir, 'summit'), {
      role: 'summit',
      export: { destinations: [{ url: archive.url, upload_auth: 'not-the-secret' }] },
    });
    await storeSample(summit.storage, { date: '20250310', serial: 9 });
    await makeIngestHandler({
      db: summit.t.db,
      storage: summit.storage,
      config: summit.config,
      log: quietLog,
      params,
    })({ filename: 'N20250310S0009.fits', path: '', id: 0 } as never, {
      signal: new AbortController().signal,
      log: quietLog,
    });
    const err = await exportFile(
      { config: wrong, db: summit.t.db, storage: summit.storage, log: quietLog, params },
      { filename: 'N20250310S0009.fits', path: '', destination: archive.url },
    ).catch((e) => e);
    expect(err).toBeInstanceOf(DestinationError);
    expect(err.message).toMatch(/upload_file\/N20250310S0009\.fits\.bz2: HTTP 403/);
    expect(await archive.storage.stat('N20250310S0009.fits.bz2')).toBeNull();
  });

  it('once the dead destination comes back, its failed rows are retried after the back-off and go through', async () => {
    // The "dead" destination turns out to be a second archive: start one on that port.
    const port = Number(new URL(deadUrl).port);
    const t2 = await createTestDb('e2e_mirror');
    const mconfig = testConfig(path.join(tmp.dir, 'mirror'), {
      role: 'archive',
      server: { upload_auth: 'x' },
    });
    const mirror = buildServer({
      config: mconfig,
      db: t2.db,
      storage: new LocalStorage(mconfig.paths.storage_root),
      log: quietLog,
    });
    await mirror.listen({ host: '127.0.0.1', port });
    const ac = new AbortController();
    const exporter = makeExportHandler({
      config: summit.config,
      db: summit.t.db,
      storage: summit.storage,
      log: quietLog,
      params,
      signal: ac.signal,
      autoRetry: false,
    });
    try {
      // export_retry_seconds (1 s) have passed since the failures: their evidence is made that old
      // rather than slept through.
      await summit.t.db.query(`UPDATE queue_error SET added = added - interval '2 seconds'`);
      expect(await exporter.retryFailed()).toBe(3);
      await summit.t.db.query('DELETE FROM exportqueue WHERE filename = $1', ['N20250310S0009.fits']);
      const stats = await drain(summit, QUEUES.export, exporter, 'seq2');
      expect(stats.done).toBe(3);
      expect((await summit.t.db.query('SELECT * FROM exportqueue')).rowCount).toBe(0);
      await waitFor(
        async () => {
          const r = await t2.db.query('SELECT count(*)::int AS n FROM fileuploadlog WHERE processed_cleanly');
          return r.rows[0].n === 3;
        },
        { timeout: 30_000, what: 'the mirror to hand off the three uploads' },
      );
    } finally {
      ac.abort();
      exporter.stop();
      await mirror.close();
      await t2.drop();
    }
  });
});
