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
    env: { FITSSTORE_FAULT_LOG: faultLog },
    reporters: ['default', ['./test/faults/summary-reporter.ts', { file: faultLog }]],
  },
});
