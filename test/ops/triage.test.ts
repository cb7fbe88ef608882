import { createHash } from 'node:crypto';
import { mkdirSync, rmSync, unlinkSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Config } from '../../src/config/schema.js';
import { triage } from '../../src/ops/triage.js';
import type { QueueName } from '../../src/queues/tables.js';
import { ingestFile } from '../../src/services/ingest/ingest.js';
import { sampleFits } from '../../src/gemini/samples.js';
import { LocalStorage } from '../../src/storage/local.js';
import { createTestDb, type TestDb } from '../helpers/db.js';
import { fixedParams, quietLog, tempDir, testConfig } from '../helpers/env.js';
import { ago, liveWorker, putFile, queueError, queueRows } from '../helpers/fixtures.js';

const NAME = 'N20250301S0007.fits';
let t: TestDb;
let tmp: ReturnType<typeof tempDir>;
let config: Config;
let storage: LocalStorage;
let server: http.Server;
/** What the fake archive holds: name → data_md5. */
const archive = new Map<string, string>();
const bytes = sampleFits({ serial: 7, date: '20250301' });
const md5 = createHash('md5').update(bytes).digest('hex');
const old = new Date(Date.now() - 3600_000);

beforeAll(async () => {
  t = await createTestDb('ops_triage');
  tmp = tempDir('triage');
  server = http.createServer((req, res) => {
    const m = /\/jsonfilelist\/present\/filename=([^?]+)/.exec(req.url ?? '');
    const name = m ? decodeURIComponent(m[1]) : '';
    res.setHeader('content-type', 'application/json');
    res.end(
      JSON.stringify(
        archive.has(name) ? [{ name, filename: name + '.bz2', data_md5: archive.get(name) }] : [],
      ),
    );
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  config = testConfig(tmp.dir, { role: 'summit', export: { destinations: [{ url, upload_auth: 'x' }] } });
  storage = new LocalStorage(config.paths.storage_root);
});
afterAll(async () => {
  await t?.drop();
  tmp?.cleanup();
  await new Promise((r) => server?.close(r));
});
beforeEach(async () => {
  await t.db.query(
    'TRUNCATE file, diskfile, header, fulltextheader, ingestqueue, exportqueue, queue_error, queue_worker CASCADE',
  );
  rmSync(config.paths.storage_root, { recursive: true, force: true });
  rmSync(config.paths.dhs_dir, { recursive: true, force: true });
  mkdirSync(config.paths.storage_root, { recursive: true });
  mkdirSync(config.paths.dhs_dir, { recursive: true });
  archive.clear();
});

function put(dir: string, key: string) {
  putFile(path.join(dir, key), bytes, old);
}
async function ingest(key = NAME) {
  put(config.paths.storage_root, key);
  const dir = path.posix.dirname(key) === '.' ? '' : path.posix.dirname(key);
  await ingestFile(
    { db: t.db, storage, config, log: quietLog, params: fixedParams() },
    { filename: path.posix.basename(key), path: dir },
  );
}
async function workers(...queues: QueueName[]) {
  for (const q of queues) await liveWorker(t.db, q, `${q}1@${os.hostname()}:${process.pid}`);
}
const run = (name = NAME, o: Partial<Parameters<typeof triage>[1]> = {}) =>
  triage(name, { db: t.db, storage, config, timeoutMs: 2000, ...o });

describe('triage', () => {
  it('healthy: ingested, exported, nothing queued → OK and no problems', async () => {
    await ingest();
    await t.db.query('DELETE FROM exportqueue'); // the export service sent it
    archive.set(NAME, md5);
    await workers('ingest', 'export');
    const r = await run();
    expect(r.problems).toEqual([]);
    expect(r.verdict).toMatch(/^OK: ingested as diskfile \d+, header \d+; at 1\/1 destinations/);
    expect(r.store.found).toEqual([{ key: NAME, size: bytes.length, lastmod: old }]);
    expect(r.diskfiles).toHaveLength(1);
    expect(r.header).toMatchObject({ instrument: 'GMOS-N' });
    expect(r.exports[0]).toMatchObject({ state: 'present' });
  });

  it('only in the DHS directory → copy-from-dhs is the suspect', async () => {
    put(config.paths.dhs_dir, NAME);
    const r = await run();
    expect(r.dhs.found?.size).toBe(bytes.length);
    expect(r.problems[0].problem).toMatch(/in the DHS directory .* not copied into the store/);
    expect(r.problems[0].fix).toContain('fits-copy_from_dhs');
  });

  it('nowhere at all → says so, after searching the whole store', async () => {
    const r = await run();
    expect(r.store.searchedTree).toBe(true);
    expect(r.verdict).toMatch(/^PROBLEM: not found anywhere/);
  });

  it('in a subdirectory of the store, never ingested, not queued → the add-to-ingest-queue command with --path', async () => {
    put(config.paths.storage_root, `alopeke/20201023/${NAME}`);
    const r = await run();
    expect(r.store.found.map((f) => f.key)).toEqual([`alopeke/20201023/${NAME}`]);
    expect(r.problems[0].fix).toBe(
      `fitsstore add-to-ingest-queue --path=alopeke/20201023 --filename=${NAME}`,
    );
  });

  it('queued for ingest but no ingest worker alive → start the services', async () => {
    put(config.paths.storage_root, NAME);
    await queueRows(t.db, 'ingest', { filename: NAME });
    const r = await run();
    expect(r.problems[0]).toEqual({
      problem: 'waiting in the ingest queue, but no ingest worker is alive',
      fix: 'sudo systemctl start fits-service_ingest_queue1 fits-service_ingest_queue2',
    });
  });

  it('queued with live workers → just waiting, not a problem', async () => {
    put(config.paths.storage_root, NAME);
    await queueRows(t.db, 'ingest', { filename: NAME });
    await workers('ingest', 'export');
    const r = await run();
    expect(r.problems).toEqual([]);
    expect(r.verdict).toMatch(/^OK: not ingested yet/);
  });

  it('failed ingest → the error message and the exact retry command', async () => {
    put(config.paths.storage_root, NAME);
    await queueRows(t.db, 'ingest', { filename: NAME, failed: true, error: 'not a valid FITS file: no END' });
    await queueError(t.db, 'ingest', { filename: NAME, error: 'not a valid FITS file: no END\n  at stack' });
    const r = await run();
    expect(r.problems[0].problem).toBe('ingest failed: not a valid FITS file: no END');
    expect(r.problems[0].fix).toMatch(
      /^fitsstore queue retry --queue ingest --filename '\^N20250301S0007\\\.fits\(\\\.bz2\)\?\$'/,
    );
    expect(r.errors[0].error).toContain('no END');
  });

  it('in progress under a dead worker → release', async () => {
    put(config.paths.storage_root, NAME);
    await queueRows(t.db, 'ingest', {
      filename: NAME,
      in_progress: true,
      worker: 'siq1@elsewhere:1#0',
      heartbeat_at: ago('1 hour'),
    });
    const r = await run();
    expect(r.queues[0].holder).toMatch(/^DEAD/);
    expect(r.problems[0].fix).toMatch(/^fitsstore queue release --queue ingest/);
  });

  it('stuck failed duplicate next to a pending row → dedupe', async () => {
    put(config.paths.storage_root, NAME);
    await queueRows(t.db, 'ingest', [
      { filename: NAME, failed: true },
      { filename: NAME, failed: false },
    ]);
    await workers('ingest');
    const r = await run();
    expect(r.problems[0].fix).toMatch(/^fitsstore queue dedupe --queue ingest/);
  });

  it('present in the database but gone from the store → check --fix', async () => {
    await ingest();
    unlinkSync(path.join(config.paths.storage_root, NAME));
    const r = await run(NAME, { search: false });
    expect(r.problems[0].problem).toMatch(/says N20250301S0007.fits is present, but it is not in the store/);
    expect(r.problems[0].fix).toMatch(/^fitsstore check --fix/);
  });

  it('not at the destination and not queued for export → a forced re-ingest', async () => {
    await ingest();
    await t.db.query('DELETE FROM exportqueue');
    await workers('ingest', 'export');
    const r = await run(NAME + '.bz2');
    expect(r.exports[0].state).toBe('absent');
    expect(r.problems[0].fix).toMatch(
      /^fitsstore add-to-ingest-queue --filename=N20250301S0007.fits --force/,
    );
  });

  it('destination unreachable → reported, with a short timeout', async () => {
    await ingest();
    const dead = testConfig(tmp.dir, {
      role: 'summit',
      export: { destinations: [{ url: 'http://127.0.0.1:9' }] },
    });
    const t0 = Date.now();
    const r = await triage(NAME, { db: t.db, storage, config: dead, timeoutMs: 1000 });
    expect(Date.now() - t0).toBeLessThan(5000);
    expect(r.exports[0].state).toBe('unreachable');
    expect(r.problems.some((p) => /unreachable/.test(p.problem))).toBe(true);
  });
});
