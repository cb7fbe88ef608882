import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BenchResult } from './lib.js';

// The preview and calcache benches also keep their own section in
// docs/benchmarks-preview-calcache.md (replaced on every run, the other bench's section kept), so
// their numbers can be read before bench/run.ts folds them into docs/benchmarks.md.

const DOC = fileURLToPath(new URL('../docs/benchmarks-preview-calcache.md', import.meta.url));
const HEAD =
  '# Benchmarks: previews and calibration association\n\nWritten by `bench/preview.bench.ts` and `bench/calcache.bench.ts`.\n';

export function markdownSection(r: BenchResult, machine: string): string {
  const lines = [
    `<!-- bench:${r.bench} -->`,
    `## ${r.title}`,
    '',
    r.method,
    '',
    `Machine: ${machine}. Run ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC, ${r.seconds ?? '?'} s.`,
    '',
    '| measurement | value | target | pass | detail |',
    '| --- | --- | --- | --- | --- |',
    ...r.rows.map(
      (x) =>
        `| ${x.name} | ${x.value} ${x.unit} | ${x.target ?? ''} | ${x.pass === undefined ? '' : x.pass ? 'yes' : '**no**'} | ${x.detail ?? ''} |`,
    ),
    '',
    ...(r.notes ?? []).map((n) => `- ${n}`),
    `<!-- /bench:${r.bench} -->`,
  ];
  return lines.join('\n');
}

/** Replaces (or appends) this bench's section of the document. */
export function writeSection(r: BenchResult, machine: string): string {
  let doc = HEAD;
  try {
    doc = readFileSync(DOC, 'utf8');
  } catch {
    mkdirSync(path.dirname(DOC), { recursive: true });
  }
  const section = markdownSection(r, machine);
  const re = new RegExp(`<!-- bench:${r.bench} -->[\\s\\S]*?<!-- /bench:${r.bench} -->`);
  doc = re.test(doc) ? doc.replace(re, section) : `${doc.trimEnd()}\n\n${section}\n`;
  writeFileSync(DOC, doc.endsWith('\n') ? doc : doc + '\n');
  return DOC;
}
