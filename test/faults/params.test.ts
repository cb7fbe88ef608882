import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sampleFits, sampleName } from '../../src/gemini/samples.js';
import { sortkey } from '../../src/gemini/sortkey.js';
import { runCli } from '../helpers/cli.js';
import { createTestDb, type TestDb } from '../helpers/db.js';
import { count, ingestedCount, md5, Rig, settle } from './helpers.js';
import { queueRows } from '../helpers/fixtures.js';
import { waitFor } from '../helpers/wait.js';

// Live parameters (issue 7, item 6): "running daemons pick up changes within one poll interval".
// An ingest worker idles with poll_seconds = 600 and heartbeat_seconds = 1. A row is added without
// NOTIFY (a lost notification, or an enqueue from a tool that does not notify), so only polling
// finds it. `fitsstore params set poll_seconds 0.2` must take effect within a heartbeat, not when
// the 10-minute sleep that was already running happens to end: the test waits at most one minute,
// so it fails if the change is not picked up, however slow or loaded the machine.

let t: TestDb;
let r: Rig;

beforeAll(async () => {
  t = await createTestDb('faults_params');
  await t.db.query(`UPDATE system_parameters SET poll_seconds = 600, heartbeat_seconds = 1,
    dead_worker_seconds = 30, ingest_defer_seconds = 0, dhs_settle_seconds = 1`);
  r = new Rig(t.url);
});
afterAll(async () => {
  await r?.cleanup();
  await t?.drop();
});

describe('live parameters', () => {
  it('params set poll_seconds 0.2 reaches an idle worker (poll 10 min, no NOTIFY) within one heartbeat', async () => {
    const siq = await r.ingester('siq-params', '--debug');
    await siq.waitFor(/nothing on ingestqueue, waiting/);
    const spec = { serial: 1, date: '20251001' };
    const name = sampleName(spec);
    writeFileSync(path.join(r.store, name), sampleFits(spec));
    // No pg_notify: the worker can only find this by polling.
    const [{ added }] = await queueRows(t.db, 'ingest', { filename: name, path: '', sortkey: sortkey(name) });
    // Two heartbeats after the row was added (each re-reads the parameters), the worker is still
    // asleep on its poll: nothing but the parameter change below can wake it.
    await waitFor(
      async () =>
        (await count(
          t.db,
          `SELECT count(*) AS n FROM queue_worker WHERE queue = 'ingest' AND heartbeat_at > $1::timestamptz + interval '1.5 seconds'`,
          [added],
        )) === 1,
      { timeout: 30_000, what: () => `two heartbeats of the idle worker:\n${siq.output.slice(-1500)}` },
    );
    expect(await ingestedCount(t.db, [name]), 'nothing wakes the worker before its poll').toBe(0);

    const set = await runCli(['params', 'set', 'poll_seconds', '0.2'], { config: r.config });
    expect(set.code, set.stderr).toBe(0);
    expect(set.stdout).toMatch(/poll_seconds = 0\.2/);
    const changedAt = Date.now();
    await waitFor(async () => (await ingestedCount(t.db, [name])) === 1, {
      timeout: 60_000,
      what: () => `the change to reach the worker:\n${siq.output.slice(-1500)}`,
    });
    const took = Date.now() - changedAt;
    const history = await runCli(['params', 'history'], { config: r.config });
    expect(history.stdout).toMatch(/poll_seconds: 600 → 0\.2/);
    expect(await count(t.db, `SELECT count(*) AS n FROM ingestqueue`)).toBe(0);
    expect(await r.stopAll()).toEqual([0]);
    const s = await settle('live parameter change under a running worker', t.db, r.store, {
      good: new Map([[name, md5(sampleFits(spec))]]),
    });
    console.info(`poll_seconds change took effect: the file was ingested ${took} ms after it`);
    expect(s.problems).toEqual([]);
  }, 180_000);
});
