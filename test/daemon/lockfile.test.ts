import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeFileSync, existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { acquireLock, LockHeldError } from '../../src/daemon/lockfile.js';
import { createTestDb, type TestDb } from '../helpers/db.js';
import { runCli, spawnCli, watch, writeConfig } from '../helpers/cli.js';
import { tempDir } from '../helpers/env.js';

let t: TestDb;
let tmp: ReturnType<typeof tempDir>;
beforeAll(async () => {
  t = await createTestDb('lockfile');
  tmp = tempDir('lock');
});
afterAll(async () => {
  await t?.drop();
  tmp?.cleanup();
});

describe('--lockfile', () => {
  it('a live holder makes a second acquire refuse; a dead holder is taken over', () => {
    const file = path.join(tmp.dir, 'a.lock');
    const lock = acquireLock(file);
    expect(readFileSync(file, 'utf8').trim()).toBe(String(process.pid));
    writeFileSync(file, '1\n'); // pid 1 is alive (init): a live holder
    expect(() => acquireLock(file)).toThrow(LockHeldError);
    writeFileSync(file, '999999\n'); // no such process: stale
    const again = acquireLock(file);
    expect(readFileSync(file, 'utf8').trim()).toBe(String(process.pid));
    again.release();
    lock.release();
    expect(existsSync(file)).toBe(false);
  });

  it('two `service-queue ingest --lockfile --name siq1`: the second refuses with a clear message', async () => {
    const config = writeConfig(tmp.dir, {
      database: { url: t.url },
      paths: {
        var_dir: tmp.dir,
        log_dir: path.join(tmp.dir, 'logs'),
        lock_dir: path.join(tmp.dir, 'lock'),
        storage_root: path.join(tmp.dir, 'df'),
      },
    });
    const first = spawnCli(['service-queue', 'ingest', '--lockfile', '--name', 'siq1'], { config });
    const w = watch(first);
    await w.waitFor(/servicing ingestqueue as siq1/);
    const second = await runCli(['service-queue', 'ingest', '--lockfile', '--name', 'siq1'], { config });
    expect(second.code).toBe(1);
    expect(second.stderr).toMatch(
      /another instance is already running \(pid \d+, lock file .*service-queue-ingest-siq1\.lock\)/,
    );
    first.kill('SIGTERM');
    expect(await w.exited).toBe(0);
  });
});
