import { execFile } from 'node:child_process';
import { mkdirSync, unlinkSync, utimesSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmbedded } from '../../src/db/embedded.js';
import { freePort } from '../../src/ops/cluster-backup.js';
import { ingestFile } from '../../src/services/ingest/ingest.js';
import { sampleFits } from '../../src/gemini/samples.js';
import { LocalStorage } from '../../src/storage/local.js';
import { CLI_MAIN, nodeArgs } from '../helpers/cli.js';
import { createTestDb, type TestDb } from '../helpers/db.js';
import { putFile, queueError, queueRows } from '../helpers/fixtures.js';
import { fixedParams, quietLog, tempDir, testConfig } from '../helpers/env.js';

// The commands as an operator runs them: real processes, real database, exit codes and output.

const NAME = 'N20250501S0001.fits';
let t: TestDb;
let tmp: ReturnType<typeof tempDir>;
let cfgFile: string;
let cfgPaths: Record<string, string>;

beforeAll(async () => {
  t = await createTestDb('ops_cli');
  tmp = tempDir('cli');
  const paths = {
    dhs_dir: path.join(tmp.dir, 'dhs'),
    storage_root: path.join(tmp.dir, 'dataflow'),
    upload_staging: path.join(tmp.dir, 'staging'),
    log_dir: path.join(tmp.dir, 'logs'),
    lock_dir: path.join(tmp.dir, 'lock'),
    var_dir: tmp.dir,
  };
  for (const d of Object.values(paths)) mkdirSync(d, { recursive: true });
  cfgPaths = paths;
  const raw = {
    role: 'archive',
    database: { url: t.url },
    paths,
    mail: { admin: 'ops@example.org' },
    server: { upload_auth: 's' },
  };
  cfgFile = path.join(tmp.dir, 'config.json');
  writeFileSync(cfgFile, JSON.stringify(raw));
  const config = testConfig(tmp.dir, raw);
  putFile(path.join(paths.storage_root, NAME), sampleFits({ serial: 1, date: '20250501' }));
  await ingestFile(
    { db: t.db, storage: new LocalStorage(paths.storage_root), config, log: quietLog, params: fixedParams() },
    { filename: NAME, path: '' },
  );
  await t.db.query('TRUNCATE previewqueue, calcachequeue');
  await t.db.query(`INSERT INTO preview (diskfile_id, filename) SELECT id, 'p.jpg' FROM diskfile`);
});
afterAll(async () => {
  await t?.drop();
  tmp?.cleanup();
});

function cli(...args: string[]) {
  return cliWith(cfgFile, ...args);
}

async function cliWith(
  config: string,
  ...args: string[]
): Promise<{ code: number; out: string; err: string }> {
  try {
    const r = await promisify(execFile)(
      process.execPath,
      [...nodeArgs(CLI_MAIN), ...args, '--config', config],
      {
        env: { ...process.env, FITSSTORE_CONFIG: '', DATABASE_URL: '', FITSSTORE_DATABASE_URL: '' },
      },
    );
    return { code: 0, out: r.stdout, err: r.stderr };
  } catch (e) {
    const x = e as { code: number; stdout: string; stderr: string };
    return { code: x.code, out: x.stdout, err: x.stderr };
  }
}

// Each command is a fresh process (a few seconds under load), hence the generous timeout.
describe('operator commands, end to end', { timeout: 180_000 }, () => {
  it('triage: healthy → exit 0 with OK; unknown file → exit 1 with the problem and the fix', async () => {
    const ok = await cli('triage', NAME);
    expect(ok.code).toBe(0);
    expect(ok.out).toMatch(/^OK: ingested as diskfile \d+/m);
    const bad = await cli('triage', 'N20250501S0999.fits', '--json');
    expect(bad.code).toBe(1);
    expect(JSON.parse(bad.out).verdict).toMatch(/^PROBLEM: not found anywhere/);
  });

  it('queue: list, bad options (exit 2), retry --dry-run then retry, release refusing a live worker (exit 1)', async () => {
    await queueRows(t.db, 'ingest', { filename: 'N20250501S0002.fits', failed: true, error: 'boom' });
    await queueError(t.db, 'ingest', { filename: 'N20250501S0002.fits', error: 'boom' });
    const list = await cli('queue', 'list', '--status', 'failed', '--json');
    expect(JSON.parse(list.out).map((r: any) => r.filename)).toEqual(['N20250501S0002.fits']);
    expect((await cli('queue', 'errors', '--queue', 'ingest')).out).toMatch(/boom/);
    const usage = await cli('queue', 'list', '--status', 'stuck');
    expect(usage.code).toBe(2);
    expect(usage.err).toMatch(/--status: expected one of/);
    expect((await cli('queue', 'list', '--filename', '(')).err).toMatch(
      /--filename: invalid regular expression/,
    );

    const dry = await cli('queue', 'retry', '--queue', 'ingest', '--dry-run');
    expect(dry.code).toBe(0);
    expect(dry.out.split('\n')[0]).toBe('dry run: would delete 0, un-fail 1, release 0');
    expect((await t.db.query('SELECT failed FROM ingestqueue')).rows).toEqual([{ failed: true }]);
    const real = await cli('queue', 'retry', '--queue', 'ingest');
    expect(real.out).toMatch(/^retry: deleted 0, un-failed 1, released 0$/m);
    expect((await t.db.query('SELECT failed FROM ingestqueue')).rows).toEqual([{ failed: false }]);

    await t.db.query(`UPDATE ingestqueue SET in_progress = true, worker = $1, heartbeat_at = now()`, [
      `siq1@${os.hostname()}:${process.pid}#0`,
    ]);
    const rel = await cli('queue', 'release');
    expect(rel.code).toBe(1);
    expect(rel.out).toMatch(/refused 1 held by live workers/);
    await t.db.query('TRUNCATE ingestqueue, queue_error');
  });

  it('check: consistent → exit 0; an orphan → exit 1, and --fix queues it', async () => {
    const ok = await cli('check');
    expect(ok.code).toBe(0);
    expect(ok.out).toMatch(/checked 1 present diskfiles and 1 store files.*0 missing/);
    writeFileSync(path.join(tmp.dir, 'dataflow', 'N20250501S0003.fits'), 'orphan');
    utimesSync(path.join(tmp.dir, 'dataflow', 'N20250501S0003.fits'), new Date(0), new Date(0));
    const bad = await cli('check');
    expect(bad.code).toBe(1);
    expect(bad.out).toMatch(/1 orphans/);
    expect(bad.out).toMatch(/report only: run again with --fix/);
    const fixed = await cli('check', '--fix');
    expect(fixed.out).toMatch(/fixed: 0 marked not present, 1 queued for ingest/);
    expect((await t.db.query('SELECT filename FROM ingestqueue')).rows).toEqual([
      { filename: 'N20250501S0003.fits' },
    ]);
    unlinkSync(path.join(tmp.dir, 'dataflow', 'N20250501S0003.fits'));
    await t.db.query('TRUNCATE ingestqueue');
    expect((await cli('check', '--byte-budget', '1G')).code).toBe(2);
    expect((await cli('check', '--md5', '--byte-budget', '1G')).out).toMatch(/md5 of 1 files/);
  });

  it('doctor: FAIL lines make exit 1 (no workers while items wait)', async () => {
    await queueRows(t.db, 'ingest', { filename: 'x.fits' });
    const r = await cli('doctor', '--warn-free', '0', '--fail-free', '0');
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/^FAIL workers ingest +1 items waiting and no live ingest worker/m);
    expect(r.out).toMatch(/^OK {3}migrations/m);
    await t.db.query('TRUNCATE ingestqueue');
  });

  it('db on the embedded default, nothing installed: backup (a physical copy), --list, restore (--yes), migrate --rehearse', async () => {
    // Its own embedded cluster, as `npm start` has one: a configuration that asks for the embedded server.
    // Under the temp directory itself: as root, postgres runs as another user, who cannot pass
    // through this file's 0700 temp directory.
    const embVar = tempDir('cli-embedded');
    const varDir = embVar.dir;
    const port = await freePort();
    const embCfg = path.join(tmp.dir, 'embedded.json');
    writeFileSync(
      embCfg,
      JSON.stringify({
        role: 'summit',
        database: { embedded: true, embedded_port: port },
        paths: { ...cfgPaths, var_dir: varDir },
      }),
    );
    const emb = (...args: string[]) => cliWith(embCfg, ...args);
    let server = await startEmbedded(varDir, port);
    const q = async (sql: string) => {
      const c = new pg.Client({ connectionString: server.url });
      await c.connect();
      try {
        return (await c.query(sql)).rows;
      } finally {
        await c.end();
      }
    };
    try {
      expect((await emb('db', 'migrate')).code).toBe(0);
      await q(`INSERT INTO notification (label, selection) VALUES ('in the backup', 'x')`);
      const b = await emb('db', 'backup');
      expect(b.code).toBe(0);
      expect(b.out).toMatch(
        /^backup: .*\/backups\/fitsstore-fitsstore-\d{8}T\d{6}Z\.cluster\.tar\.gz \(\d+ bytes, [\d.]+ s, physical copy of the embedded cluster/m,
      );
      const file = /^backup: (\S+)/m.exec(b.out)![1];
      expect((await emb('db', 'backup', '--list')).out).toContain(path.basename(file));

      const r = await emb('db', 'restore', file);
      expect(r.code).toBe(2);
      expect(r.err).toMatch(/run again with --yes/);
      await q(`DELETE FROM notification`);
      const yes = await emb('db', 'restore', file, '--yes');
      expect(yes.code).toBe(0);
      expect(yes.out).toMatch(/restored .* in [\d.]+ s \(physical copy\); now run: fitsstore db migrate/);
      server = await startEmbedded(varDir, port); // the restore left the cluster stopped
      expect(await q(`SELECT label FROM notification`)).toEqual([{ label: 'in the backup' }]);

      const m = await emb('db', 'migrate', '--rehearse');
      expect(m.code).toBe(0);
      expect(m.err).toMatch(/no pending migrations: nothing to rehearse/);
      // Make 004 pending again: rehearsed on a scratch copy first, then applied to the live database.
      await q(`DROP TABLE ops_scrub_state; DELETE FROM schema_migrations WHERE number = 4`);
      const p = await emb('db', 'migrate', '--rehearse');
      expect(p.code).toBe(0);
      expect(p.err).toMatch(/rehearsing 1 pending migrations: 004_ops.sql/);
      expect(p.err).toMatch(
        /passed on \S+rehearse-\w+ in [\d.]+ s \(dropped\); applying to the live database/,
      );
      expect((await q(`SELECT to_regclass('ops_scrub_state') IS NOT NULL AS ok`))[0].ok).toBe(true);
    } finally {
      await server.stop();
      embVar.cleanup();
    }
  }, 180_000);
});
