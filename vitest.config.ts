import os from 'node:os';
import path from 'node:path';
import { defineConfig } from 'vitest/config';

// The fault suite (test/faults) appends its tallies to this file; the summary reporter prints them
// after everything else and deletes the file. One file per run, so concurrent runs don't mix.
const faultLog =
  process.env.FITSSTORE_FAULT_LOG ?? path.join(os.tmpdir(), `fitsstore-faults-${process.pid}.jsonl`);
process.env.FITSSTORE_FAULT_LOG = faultLog;

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/setup/global.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: 'forks',
    // expect.poll waits on a condition, like test/helpers/wait.ts: its 1 s default is a guess at
    // the machine's speed that fails under load (the browser tests poll the page with it).
    expect: { poll: { timeout: 30_000 } },
    env: { FITSSTORE_FAULT_LOG: faultLog },
    reporters: ['default', ['./test/faults/summary-reporter.ts', { file: faultLog }]],
  },
});
