import { spawn } from 'node:child_process';
import os from 'node:os';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { queueStatus } from '../../src/queues/status.js';
import { forgetDeadWorkers } from '../../src/queues/workers.js';
import { runCli, writeConfig } from '../helpers/cli.js';
import { createTestDb, type TestDb } from '../helpers/db.js';
import { ago, NOW, queueRows, workerRow } from '../helpers/fixtures.js';
import { tempDir } from '../helpers/env.js';

// A worker killed with -9 leaves its queue_worker row with a fresh heartbeat: it is dead at once
// when its pid is gone on this host, and `queue forget-worker` clears it after releasing its rows.

let t: TestDb;
let tmp: ReturnType<typeof tempDir>;
const HOST = os.hostname();

/** The pid of a process that has exited (killed with -9). */
async function deadPid(): Promise<number> {
  const c = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)']);
  const pid = c.pid!;
  const gone = new Promise((r) => c.on('exit', r));
  c.kill('SIGKILL');
  await gone;
  return pid;
}

beforeAll(async () => {
  t = await createTestDb('queue_workers');
  tmp = tempDir('workers');
});
afterAll(async () => {
  await t?.drop();
  tmp?.cleanup();
});

describe('dead workers', () => {
  it('queue status calls a kill -9’d worker dead at once (pid gone on this host) and a silent one dead; forget-worker releases their rows and removes them', async () => {
    const killed = await deadPid();
    const killedName = `siq1@${HOST}:${killed}`;
    const liveName = `siq2@${HOST}:${process.pid}`;
    await workerRow(t.db, [
      { name: killedName, queue: 'ingest', host: HOST, pid: killed, heartbeat_at: NOW },
      { name: liveName, queue: 'ingest', host: HOST, pid: process.pid, heartbeat_at: NOW },
      { name: 'seq1@elsewhere:7', queue: 'export', host: 'elsewhere', pid: 7, heartbeat_at: ago('1 hour') },
    ]);
    await queueRows(t.db, 'ingest', [
      { filename: 'N20250101S0001.fits', in_progress: true, worker: `${killedName}#0`, heartbeat_at: NOW },
      { filename: 'N20250101S0002.fits', in_progress: true, worker: `${liveName}#0`, heartbeat_at: NOW },
    ]);

    const s = await queueStatus(t.db);
    const alive = Object.fromEntries(s.workers.map((w) => [w.name, [w.alive, w.reason]]));
    expect(alive[killedName]).toEqual([false, `process ${killed} on this host is gone`]);
    expect(alive[liveName][0]).toBe(true);
    expect(alive['seq1@elsewhere:7'][0]).toBe(false);

    const config = writeConfig(tmp.dir, {
      database: { url: t.url },
      paths: { var_dir: tmp.dir, log_dir: `${tmp.dir}/logs`, lock_dir: `${tmp.dir}/lock` },
    });
    const dry = await runCli(['queue', 'forget-worker', '--dry-run'], { config });
    expect(dry.code).toBe(0);
    expect(dry.stdout).toMatch(/dry run: would forget 2 dead workers/);
    expect((await t.db.query('SELECT count(*)::int AS n FROM queue_worker')).rows[0].n).toBe(3);

    const real = await runCli(['queue', 'forget-worker'], { config });
    expect(real.code).toBe(0);
    expect(real.stdout).toMatch(/forgot 2 dead workers, released 1 items they held/);
    const left = await t.db.query('SELECT name FROM queue_worker');
    expect(left.rows.map((r) => r.name)).toEqual([liveName]);
    const rows = await t.db.query('SELECT filename, in_progress, worker FROM ingestqueue ORDER BY filename');
    expect(rows.rows).toEqual([
      { filename: 'N20250101S0001.fits', in_progress: false, worker: null },
      { filename: 'N20250101S0002.fits', in_progress: true, worker: `${liveName}#0` },
    ]);

    // Naming a live worker leaves it alone and says so (exit 1).
    const named = await forgetDeadWorkers(t.db, { deadSeconds: 30, names: ['siq2'] });
    expect(named.forgotten).toEqual([]);
    expect(named.refused.map((w) => w.name)).toEqual([liveName]);
  }, 60_000);
});
