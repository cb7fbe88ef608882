import { spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { inject } from 'vitest';
import { waitFor } from './wait.js';

// Runs the CLI as a real separate process, from this run's own build of the sources
// (test/setup/cli-build.ts: plain node, no TypeScript compiler in each child; never a stale
// dist/). A configuration without that set-up runs the sources through tsx instead.
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const SRC = path.join(ROOT, 'src');

/**
 * node's arguments that run a module of src/ (given as its .ts path), e.g.
 * `spawn(process.execPath, [...nodeArgs(CLI_MAIN), 'fitsheader', file])`.
 */
export function nodeArgs(source: string): string[] {
  const rel = path.relative(SRC, source);
  const build = inject('cliBuild');
  if (!build || rel.startsWith('..') || !rel.endsWith('.ts')) return ['--import', 'tsx', source];
  return ['--enable-source-maps', path.join(build, rel.replace(/\.ts$/, '.js'))];
}

export const CLI_MAIN = path.join(SRC, 'cli/main.ts');
export const SERVER_MAIN = path.join(SRC, 'server/main.ts');

export function writeConfig(dir: string, config: Record<string, any>): string {
  const file = path.join(dir, 'config.json');
  writeFileSync(file, JSON.stringify(config, null, 2));
  return file;
}

/**
 * An archive server's config for `fitsstore-server` on a free loopback port, every path under
 * `dir`; `server` adds to the server section (upload_auth, …).
 */
export function writeServerConfig(dir: string, dbUrl: string, server: Record<string, any> = {}): string {
  return writeConfig(dir, {
    role: 'archive',
    database: { url: dbUrl },
    server: { host: '127.0.0.1', port: 0, ...server },
    paths: {
      storage_root: path.join(dir, 'store'),
      upload_staging: path.join(dir, 'staging'),
      log_dir: path.join(dir, 'logs'),
      lock_dir: path.join(dir, 'lock'),
      var_dir: dir,
    },
  });
}

/**
 * `fitsstore <args>` as a child process. `enter` is a command prefix the process runs under
 * (e.g. nsenter into a namespace, test/faults/tmpfs.ts).
 */
export function spawnCli(
  args: string[],
  opts: { config?: string; env?: Record<string, string>; enter?: string[] } = {},
): ChildProcess {
  const env: Record<string, string> = { ...(process.env as Record<string, string>), ...(opts.env ?? {}) };
  delete env.FITSSTORE_CLI_MAIN;
  if (opts.config) env.FITSSTORE_CONFIG = opts.config;
  const [cmd, ...prefix] = [...(opts.enter ?? []), process.execPath];
  return spawn(cmd, [...prefix, ...nodeArgs(CLI_MAIN), ...args], {
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
