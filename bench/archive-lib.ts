import { appendFileSync, existsSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import type { BenchResult } from './lib.js';

// Shared by the archive benches (export, export-present, jsonsummary): appends one section per
// run to docs/benchmarks-archive.md with the numbers, targets, ratios and the machine's state.

const DOC = fileURLToPath(new URL('../docs/benchmarks-archive.md', import.meta.url));

export function loadNote(): string {
  const [a, b, c] = os.loadavg();
  return `${os.cpus().length} cores (${os.cpus()[0]?.model ?? '?'}), ${Math.round(os.totalmem() / 2 ** 30)} GB RAM, load average ${a.toFixed(2)} / ${b.toFixed(2)} / ${c.toFixed(2)} (1/5/15 min)`;
}

export function appendSection(r: BenchResult, machine: string): void {
  if (process.env.BENCH_ARCHIVE_NO_WRITE) return;
  if (!existsSync(DOC)) {
    writeFileSync(
      DOC,
      '# Archive benchmarks: export and /jsonsummary\n\n' +
        'Sections are appended by `bench/export.bench.ts`, `bench/export-present.bench.ts` and ' +
        '`bench/jsonsummary.bench.ts` (run one with `node --import tsx bench/<name>.bench.ts`, or ' +
        '`npm run bench -- <name>`); each also prints its `BENCH {json}` line. Newest last.\n',
    );
  }
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
  appendFileSync(DOC, lines.join('\n') + '\n');
}
