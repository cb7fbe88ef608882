import { copyFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { appendSection, benchEnv, benchWrites, HISTORY } from '../../bench/history.js';
import type { BenchResult } from '../../bench/lib.js';

// `npm run bench -- --no-write` must leave docs/ as it was: bench/run.ts decides with
// benchWrites, hands the decision to every bench through benchEnv, and the benches that keep a
// history write through appendSection. The history is copied to a temporary file here, so a
// broken guard cannot touch docs/.

const result: BenchResult = {
  bench: 'export',
  title: 'Export of one test file',
  method: 'none: a fixture',
  rows: [{ name: 'throughput', value: 1, unit: 'MB/s' }],
};

let dir: string;
let doc: string;
beforeEach(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'fitsstore-bench-history-'));
  doc = path.join(dir, 'benchmarks-archive.md');
  copyFileSync(HISTORY, doc);
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('npm run bench -- --no-write', () => {
  it('writes neither the summary nor the history', () => {
    const writes = benchWrites(['--no-write']);
    expect(writes.summary).toBe(false);
    const before = readFileSync(doc, 'utf8');
    expect(appendSection(result, 'a machine', { doc, env: benchEnv({}, writes) })).toBeNull();
    expect(readFileSync(doc, 'utf8')).toBe(before);
  });

  it('also for a run of some benches only', () => {
    const writes = benchWrites(['export', '--no-write']);
    expect(writes.summary).toBe(false);
    const before = readFileSync(doc, 'utf8');
    appendSection(result, 'a machine', { doc, env: benchEnv({ BENCH_NO_WRITE: '' }, writes) });
    expect(readFileSync(doc, 'utf8')).toBe(before);
  });

  it('while a plain run appends one section to the history, newest last', () => {
    const writes = benchWrites([]);
    expect(writes.summary).toBe(true);
    const before = readFileSync(doc, 'utf8');
    expect(appendSection(result, 'a machine', { doc, env: benchEnv({ BENCH_NO_WRITE: '1' }, writes) })).toBe(
      doc,
    );
    const after = readFileSync(doc, 'utf8');
    expect(after.startsWith(before)).toBe(true);
    expect(after.slice(before.length)).toContain('## Export of one test file');
  });
});
