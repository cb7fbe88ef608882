import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDb, type TestDb } from '../helpers/db.js';
import { tempDir } from '../helpers/env.js';
import { writeServerConfig } from '../helpers/cli.js';
import { waitFor } from '../helpers/wait.js';

// bin/fitsstore-server as operators run it: a separate process, configured by file, listening
// until SIGTERM, then closing gracefully and exiting 0.

const BIN = fileURLToPath(new URL('../../bin/fitsstore-server', import.meta.url));

let t: TestDb;
let tmp: ReturnType<typeof tempDir>;

beforeAll(async () => {
  t = await createTestDb('servermain');
  tmp = tempDir('servermain');
});
afterAll(async () => {
  await t?.drop();
  tmp?.cleanup();
});

describe('fitsstore-server', () => {
  it('starts from its config file, answers /health, and stops cleanly on SIGTERM', async () => {
    const config = writeServerConfig(tmp.dir, t.url);
    const env = { ...process.env } as Record<string, string>;
    delete env.FITSSTORE_CONFIG;
    const child = spawn(process.execPath, [BIN, '--config', config], {
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    const exited = new Promise<number | null>((r) => child.on('close', (code) => r(code)));
    try {
      const url = await waitFor(async () => /listening on (http:\/\/[\d.]+:\d+)/.exec(stderr)?.[1], {
        timeout: 30_000,
        what: 'the server to listen',
      });
      const health = await fetch(`${url}/health`);
      expect(health.status).toBe(200);
      expect(health.headers.get('cache-control')).toBe('no-cache');
      expect(await health.json()).toMatchObject({ status: 'ok' });
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
      expect(stderr).toMatch(/SIGTERM received: closing/);
    } finally {
      child.kill('SIGKILL');
    }
  });
});
