import { spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { tempDir } from '../helpers/env.js';

// `npm test` must not report green when a test fails (issue 12: the embedded-PostgreSQL wrapper's
// exit hook turned vitest's exit status 1 into 0). The failing fixtures run through the project's
// own runner and global setup in a child process, on the embedded path (no TEST_DATABASE_URL),
// with a temp directory of their own so the embedded server they start can be looked for after.

const CONFIG = 'test/fixtures/failing/vitest.config.ts';
const tmp = tempDir('exit-status');
// As root the server runs as the postgres user, who must reach its data (src/db/embedded.ts).
chmodSync(tmp.dir, 0o755);
afterAll(() => tmp.cleanup());

interface Run {
  code: number | null;
  signal: NodeJS.Signals | null;
  output: string;
}

function runFixture(file: string, tmpdir: string, interruptOn?: string): Promise<Run> {
  const env: NodeJS.ProcessEnv = { ...process.env, TMPDIR: tmpdir };
  delete env.TEST_DATABASE_URL;
  delete env.FITSSTORE_FAULT_LOG; // the fixture's run must not delete this run's fault tallies
  const [cmd, args] = interruptOn
    ? // vitest itself, in a process group of its own: Ctrl-C signals the whole group.
      [process.execPath, ['node_modules/vitest/vitest.mjs', 'run', '--config', CONFIG, file]]
    : ['npm', ['test', '--', '--config', CONFIG, file]];
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    const take = (d: Buffer) => {
      output += d;
      if (interruptOn && output.includes(interruptOn)) {
        interruptOn = undefined;
        process.kill(-child.pid!, 'SIGINT');
      }
    };
    child.stdout.on('data', take);
    child.stderr.on('data', take);
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal, output }));
  });
}

/** Servers whose postmaster.pid is still under `dir` and whose process still lives. */
function livePostmasters(dir: string): number[] {
  const found: number[] = [];
  for (const f of readdirSync(dir, { recursive: true, encoding: 'utf8' })) {
    if (path.basename(f) !== 'postmaster.pid') continue;
    const pidFile = path.join(dir, f);
    if (!existsSync(pidFile)) continue;
    const pid = Number(readFileSync(pidFile, 'utf8').split('\n')[0]);
    try {
      process.kill(pid, 0);
      found.push(pid);
    } catch {
      // gone
    }
  }
  return found;
}

describe('npm test exit status on the embedded PostgreSQL', () => {
  it('a failing test makes npm test exit non-zero, and the embedded server is stopped', async () => {
    const dir = path.join(tmp.dir, 'failing');
    mkdirSync(dir);
    const run = await runFixture('test/fixtures/failing/fails.test.ts', dir);
    expect(run.output).toContain('fails on purpose');
    expect(run.output).toMatch(/1 failed/);
    expect(run.code, run.output.slice(-2000)).toBe(1);
    await expect.poll(() => livePostmasters(dir), { timeout: 15_000 }).toEqual([]);
  }, 120_000);

  it('a run interrupted with Ctrl-C (SIGINT) exits non-zero and leaves no server running', async () => {
    const dir = path.join(tmp.dir, 'interrupted');
    mkdirSync(dir);
    const run = await runFixture('test/fixtures/failing/hangs.test.ts', dir, 'HANGING');
    expect(run.output).toContain('HANGING');
    expect(run.code ?? run.signal, run.output.slice(-2000)).not.toBe(0);
    await expect.poll(() => livePostmasters(dir), { timeout: 15_000 }).toEqual([]);
  }, 120_000);
});
