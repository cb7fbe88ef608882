import { appendFileSync, existsSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import type { BenchResult } from './lib.js';

// The benchmark history, docs/benchmarks-archive.md: the benches that keep one (export,
// export-present, jsonsummary, preview, calcache) append a section per run, newest last, so a
// number can be compared with its earlier runs. docs/benchmarks.md holds only the latest run of
// every bench (bench/run.ts). `npm run bench -- --no-write` writes neither: run.ts gives the
// benches NO_WRITE_ENV, and appendSection then leaves the file alone.

export const HISTORY = fileURLToPath(new URL('../docs/benchmarks-archive.md', import.meta.url));
export const NO_WRITE_ENV = 'BENCH_NO_WRITE';

/** What a `npm run bench` command line may write. */
export interface BenchWrites {
  /** docs/benchmarks.md: a full run, or any run with --write; never with --no-write. */
  summary: boolean;
  /** The history: every run of a bench that keeps one, unless --no-write. */
  history: boolean;
}

export function benchWrites(args: readonly string[]): BenchWrites {
  const only = args.filter((a) => !a.startsWith('--'));
  const noWrite = args.includes('--no-write');
  return {
    summary: args.includes('--write') || (only.length === 0 && !noWrite),
    history: !noWrite,
  };
}

/** The environment of each bench process: NO_WRITE_ENV set when the history is not to be written. */
export function benchEnv(base: NodeJS.ProcessEnv, writes: BenchWrites): NodeJS.ProcessEnv {
  const env = { ...base };
  if (writes.history) delete env[NO_WRITE_ENV];
  else env[NO_WRITE_ENV] = '1';
  return env;
}

export function loadNote(): string {
  const [a, b, c] = os.loadavg();
  return `${os.cpus().length} cores (${os.cpus()[0]?.model ?? '?'}), ${Math.round(os.totalmem() / 2 ** 30)} GB RAM, load average ${a.toFixed(2)} / ${b.toFixed(2)} / ${c.toFixed(2)} (1/5/15 min)`;
}

const HEAD =
  '# Benchmark history\n\n' +
  'Sections are appended by the benches that keep a history (see bench/history.ts); newest last.\n';

/**
 * Appends this run's section to the history (`doc`, default HISTORY). Returns the file written,
 * or null when `env` says not to write (NO_WRITE_ENV).
 */
export function appendSection(
  r: BenchResult,
  machine: string,
  opts: { doc?: string; env?: NodeJS.ProcessEnv } = {},
): string | null {
  const doc = opts.doc ?? HISTORY;
  if ((opts.env ?? process.env)[NO_WRITE_ENV]) return null;
  if (!existsSync(doc)) writeFileSync(doc, HEAD);
  const lines: string[] = [];
  lines.push(`\n## ${r.title}\n`);
  lines.push(`Run ${new Date().toISOString()} (${r.seconds ?? '?'} s). Machine: ${machine}.\n`);
  lines.push(`${r.method}\n`);
  lines.push('| measure | value | target | ratio | pass |');
  lines.push('|---|---|---|---|---|');
  const cell = (x: string) => x.replace(/\|/g, '\\|');
  for (const row of r.rows) {
    const ratio = row.ratio
      ? `${row.ratio.value}× ${row.ratio.of}${row.ratio.target ? ` (target ${row.ratio.target})` : ''}`
      : '';
    const pass = row.pass === undefined ? '' : row.pass ? 'yes' : '**no**';
    lines.push(
      `| ${cell(row.name)} | ${row.value} ${row.unit} | ${cell(row.target ?? '')} | ${cell(ratio)} | ${pass} |`,
    );
  }
  const details = r.rows.filter((x) => x.detail).map((x) => `- ${x.name}: ${x.detail}`);
  if (details.length) lines.push('', ...details);
  if (r.notes?.length) lines.push('', ...r.notes.map((n) => `- ${n}`));
  appendFileSync(doc, lines.join('\n') + '\n');
  return doc;
}
