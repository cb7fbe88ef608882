import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { nodeArgs, SERVER_MAIN, writeServerConfig } from '../helpers/cli.js';
import { createTestDb, type TestDb } from '../helpers/db.js';
import { tempDir } from '../helpers/env.js';
import { recordFault } from './helpers.js';
import { paddedSample } from '../helpers/fixtures.js';
import { waitFor } from '../helpers/wait.js';

// kill -9 of fitsstore-server at points of an upload: before the body, in the middle of it, and
// at several moments after the last byte (writing staging, storing, queueing, answering). After a
// restart (which finishes what staging holds), every upload has left either nothing, or the
// complete file in the store and a row on the ingest queue: never a partial file, never a stored
// file nobody will ingest.

const SECRET = 'fault-upload-secret';

let t: TestDb;
let tmp: ReturnType<typeof tempDir>;
let configFile: string;
let store: string;
let staging: string;

beforeAll(async () => {
  t = await createTestDb('faults_upload_kill');
  tmp = tempDir('faults_upload_kill');
  store = path.join(tmp.dir, 'store');
  staging = path.join(tmp.dir, 'staging');
  configFile = writeServerConfig(tmp.dir, t.url, { upload_auth: SECRET });
});
afterAll(async () => {
  await t?.drop();
  tmp?.cleanup();
});

async function startServer(): Promise<{ child: ChildProcess; url: string; output: () => string }> {
  const env = { ...process.env } as Record<string, string>;
  delete env.FITSSTORE_CONFIG;
  // This run's build of the sources, as spawnCli runs the CLI: never a stale dist/.
  const child = spawn(process.execPath, [...nodeArgs(SERVER_MAIN), '--config', configFile], {
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stderr!.on('data', (d) => (out += d));
  child.stdout!.on('data', (d) => (out += d));
  let url = '';
  await waitFor(() => !!(url = /listening on (http:\/\/[\d.]+:\d+)/.exec(out)?.[1] ?? ''), {
    timeout: 60_000,
    what: () => `the server to listen:\n${out}`,
  });
  return { child, url, output: () => out };
}

function killed(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    child.once('exit', () => resolve());
    child.kill('SIGKILL');
  });
}

/**
 * Sends the upload; kills the server after `sent` bytes of the body plus `delayMs`, or, with
 * 'answered', once the server has answered (the status is returned).
 */
async function uploadAndKill(
  url: string,
  child: ChildProcess,
  name: string,
  body: Buffer,
  sent: number,
  delayMs: number | 'answered',
): Promise<number | undefined> {
  const u = new URL(url);
  const req = http.request({
    host: u.hostname,
    port: u.port,
    path: `/upload_file/${name}`,
    method: 'POST',
    agent: false,
    headers: { cookie: `gemini_fits_upload_auth=${SECRET}`, 'content-length': String(body.length) },
  });
  req.on('error', () => {});
  const answered = new Promise<number | undefined>((resolve) => {
    req.on('response', (r) => {
      r.resume();
      resolve(r.statusCode);
    });
  });
  await new Promise<void>((resolve) => req.write(body.subarray(0, sent), () => resolve()));
  if (sent === body.length) req.end();
  const status = delayMs === 'answered' ? await answered : undefined;
  if (delayMs !== 'answered') await new Promise((r) => setTimeout(r, delayMs));
  await killed(child);
  req.destroy();
  return status;
}

/** Every file of the tree, dot-files (temporaries) included. */
function files(root: string): string[] {
  if (!existsSync(root)) return [];
  return readdirSync(root, { recursive: true })
    .map(String)
    .filter((f) => statSync(path.join(root, f)).isFile());
}

describe('SIGKILL of fitsstore-server during an upload', () => {
  it('leaves, after a restart, either nothing or the complete file and an ingest queue row', async () => {
    const cases: Array<{ name: string; body: Buffer; sent: number; delayMs: number | 'answered' }> = [];
    const body = (serial: number) => paddedSample({ date: '20240801', serial }, 4 * 1024 * 1024);
    let serial = 1;
    for (const [fraction, delayMs] of [
      [0, 100], // headers only
      [0.5, 100], // in the middle of the body
      [1, 0], // at the last byte
      [1, 5],
      [1, 20],
      [1, 60],
      [1, 200],
      // Killed only once the server has answered: whatever the machine's load, a 200 was sent,
      // and a 200 means the file is stored and queued.
      [1, 'answered'],
    ] as const) {
      const b = body(serial);
      cases.push({
        name: `N20240801S${String(serial++).padStart(4, '0')}.fits`,
        body: b,
        sent: Math.floor(b.length * fraction),
        delayMs,
      });
    }
    const answers = new Map<string, number | undefined>();
    for (const c of cases) {
      const { child, url } = await startServer();
      answers.set(c.name, await uploadAndKill(url, child, c.name, c.body, c.sent, c.delayMs));
    }
    // The restart finishes what staging holds, then the end state is checked.
    const { child } = await startServer();
    try {
      await waitFor(() => files(staging).length === 0, {
        what: () => `staging to empty: ${files(staging).join(', ')}`,
      });
      for (const c of cases) {
        const st = existsSync(path.join(store, c.name)) ? statSync(path.join(store, c.name)) : null;
        const queued = (await t.db.query('SELECT 1 FROM ingestqueue WHERE filename = $1', [c.name])).rowCount;
        if (st) {
          expect(st.size, c.name).toBe(c.body.length);
          expect(queued, `${c.name} stored but not queued`).toBe(1);
        } else expect(queued, `${c.name} queued but not stored`).toBe(0);
      }
      // The upload that was answered before the kill: answered 200, and kept.
      const last = cases[cases.length - 1];
      expect(answers.get(last.name), `${last.name}: the server's answer`).toBe(200);
      expect(existsSync(path.join(store, last.name)), `${last.name} answered 200, then lost`).toBe(true);
      // No temporary or partial file anywhere in the store.
      expect(files(store).filter((f) => !cases.some((c) => c.name === f))).toEqual([]);
      recordFault('fitsstore-server SIGKILL during upload', cases.length, 0);
    } finally {
      await killed(child);
    }
  });
});
