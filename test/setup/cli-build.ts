import { mkdirSync, readdirSync, rmSync, symlinkSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import type { TestProject } from 'vitest/node';

// Tests run the CLI and the server as real processes, hundreds of times a run. Through tsx each
// of them compiles TypeScript on start (cached, but still ~0.3 s and a core's worth of work per
// process); here src/ is transpiled once per run, and test/helpers/cli.ts runs plain node on the
// result. Every run builds afresh into a directory of its own (.test-cli/<pid>/): a test never
// runs code older than the sources, and two runs at once (test/setup/exit-status.test.ts nests
// one) never build over each other's files.
//
// The build sits one level under a directory that mirrors the checkout (.test-cli/<pid>/dist/
// beside links to package.json, src/, systemd/...), as dist/ does: the paths the sources compute
// from import.meta.url (../../package.json, ../../src/db/migrations/) then find the checkout's.
// esbuild is a devDependency of its own (the version tsx brings too), not borrowed from tsx.

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const BUILDS = path.join(ROOT, '.test-cli');
let runDir: string | undefined;

export async function setup(project: TestProject) {
  removeAbandonedBuilds();
  runDir = path.join(BUILDS, String(process.pid));
  rmSync(runDir, { recursive: true, force: true });
  mkdirSync(runDir, { recursive: true });
  for (const name of readdirSync(ROOT)) {
    if (name === '.git' || name === '.test-cli' || name === 'dist') continue;
    symlinkSync(path.join(ROOT, name), path.join(runDir, name));
  }
  const sources = readdirSync(path.join(ROOT, 'src'), { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts'))
    .map((f) => path.join(ROOT, 'src', f));
  await build({
    entryPoints: sources,
    outdir: path.join(runDir, 'dist'),
    outbase: path.join(ROOT, 'src'),
    format: 'esm',
    platform: 'node',
    target: 'node20',
    // With node --enable-source-maps (test/helpers/cli.ts), a failing child's stack trace names
    // the .ts lines, as it did through tsx; ~0.03 s more per process start.
    sourcemap: 'inline',
    logLevel: 'error',
  });
  project.provide('cliBuild', path.join(runDir, 'dist'));
}

export function teardown() {
  if (runDir) rmSync(runDir, { recursive: true, force: true });
}

/** Builds left by runs that were killed before their teardown. */
function removeAbandonedBuilds() {
  let names: string[];
  try {
    names = readdirSync(BUILDS);
  } catch {
    return;
  }
  for (const name of names) {
    const pid = Number(name);
    if (Number.isInteger(pid) && pid > 0 && alive(pid)) continue;
    rmSync(path.join(BUILDS, name), { recursive: true, force: true });
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

declare module 'vitest' {
  export interface ProvidedContext {
    /** This run's transpiled src/ (src/x/y.ts → <cliBuild>/x/y.js). */
    cliBuild: string;
  }
}
