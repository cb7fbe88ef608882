import { spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { waitFor } from './wait.js';

// Runs the CLI from the TypeScript sources (never a stale dist/), as a real separate process.
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const MAIN = path.join(ROOT, 'src/cli/main.ts');

export function writeConfig(dir: string, config: Record<string, any>): string {
  const file = path.join(dir, 'config.json');
  writeFileSync(file, JSON.stringify(config, null, 2));
  return file;
}

export function spawnCli(
  args: string[],
  opts: { config?: string; env?: Record<string, string> } = {},
): ChildProcess {
  const env: Record<string, string> = { ...(process.env as Record<string, string>), ...(opts.env ?? {}) };
  delete env.FITSSTORE_CLI_MAIN;
  if (opts.config) env.FITSSTORE_CONFIG = opts.config;
  return spawn(process.execPath, ['--import', 'tsx', MAIN, ...args], {
    cwd: ROOT,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export function runCli(
  args: string[],
  opts: { config?: string; env?: Record<string, string>; timeoutMs?: number } = {},
) {
  return new Promise<CliResult>((resolve) => {
    const child = spawnCli(args, opts);
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (d) => (stdout += d));
    child.stderr!.on('data', (d) => (stderr += d));
    const t = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 60_000);
    child.on('close', (code) => {
      clearTimeout(t);
      resolve({ code, stdout, stderr });
    });
  });
}

/** Collects a long-running child's output and lets a test wait for a line. */
export function watch(child: ChildProcess) {
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  return {
    get output() {
      return out;
    },
    async waitFor(re: RegExp, timeoutMs = 30_000) {
      await waitFor(() => re.test(out), {
        timeout: timeoutMs,
        what: () => `${re}; output:\n${out.slice(-3000)}`,
      });
    },
    exited: new Promise<number | null>((resolve) => child.on('close', (c) => resolve(c))),
  };
}
