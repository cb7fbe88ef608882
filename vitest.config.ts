import os from 'node:os';
import path from 'node:path';
import { configDefaults, defineConfig } from 'vitest/config';

// The fault suite (test/faults) appends its tallies to this file; the summary reporter prints them
// after everything else and deletes the file. One file per run, so concurrent runs don't mix.
const faultLog =
  process.env.FITSSTORE_FAULT_LOG ?? path.join(os.tmpdir(), `fitsstore-faults-${process.pid}.jsonl`);
process.env.FITSSTORE_FAULT_LOG = faultLog;

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Files that fail on purpose, run by test/setup/exit-status.test.ts through their own config.
    exclude: [...configDefaults.exclude, 'test/fixtures/**'],
    // Transpiles src/ for the child processes (test/helpers/cli.ts), then the database.
    globalSetup: ['test/setup/cli-build.ts', 'test/setup/global.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: 'forks',
    // Test files in one worker share its module cache rather than importing src/ afresh each
    // (vitest's import time fell from ~47 s to ~10 s per run, user CPU by a quarter). Files are
    // still isolated where it matters: each has its own database clone, temp dirs and processes.
    isolate: false,
    // vitest's default is one worker per core less one: a single worker on a 2-core machine, yet
    // most files wait on PostgreSQL, child processes and timers rather than the CPU. Each file
    // has its own database (a template clone), so files run side by side.
    maxWorkers: Math.max(3, os.availableParallelism()),
    // expect.poll waits on a condition, like test/helpers/wait.ts: its 1 s default is a guess at
    // the machine's speed that fails under load (the browser tests poll the page with it).
    expect: { poll: { timeout: 30_000 } },
    env: { FITSSTORE_FAULT_LOG: faultLog },
    reporters: ['default', ['./test/faults/summary-reporter.ts', { file: faultLog }]],
  },
});
