// Local measurement, not a test: how often extractMetadata agrees with the real archive's
// /jsonsummary answers on a directory of header dumps paired with those answers.
//
//   node --import tsx bench/metadata-corpus.ts <corpus-dir> [--field NAME] [--inst NAME] [--diff]
//       [--since YEAR] [--before YEAR] [--standards FILE]
//
// --since keeps only answers the archive (re)computed in or after YEAR (their `lastmod`), --before
// only those computed earlier: older answers come from earlier ingest code (2017 answers predate
// several instrument classes; docs/metadata.md lists what that code did differently).
// --standards FILE: the archive's photometric standards list (FitsStorage data/standards.txt:
// name, field, RA in hours, Dec, magnitudes), so that phot_standard is measured as ingest computes
// it (a standard inside the file's footprint). Without it phot_standard is left out: the flag
// comes from the database's list, not from the headers alone.
//
// <corpus-dir> holds `headers/**/<file>.header` (text dumps: one 80-column card a line, HDUs
// separated by '--- HDU n ---' style lines) and `json/**/<name>.json` (the archive's answer for
// the same file). Nothing in the project depends on such a directory; the fidelity test
// (test/gemini/fidelity.test.ts) measures the project's own fixtures the same way.

import { readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';
import { extractMetadata } from '../src/gemini/metadata.js';
import { footprints } from '../src/gemini/footprint.js';
import { parsePhotStandards } from '../src/services/ingest/photstandards.js';
import {
  compareRow,
  type Expected,
  parseHeaderDump,
  standardInside,
  summarise,
} from './metadata-fidelity-lib.js';

function walk(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...walk(p));
    else out.push(p);
  }
  return out;
}

function stem(name: string): string {
  return name.replace(/\.(bz2|gz|fz)$/, '').replace(/\.fits?$/, '');
}

function main(): void {
  const args = process.argv.slice(2);
  const dir = args.find((a) => !a.startsWith('--'));
  if (!dir) {
    process.stderr.write(
      'usage: metadata-corpus.ts <corpus-dir> [--field NAME] [--inst NAME] [--diff] [--since YEAR] [--before YEAR] [--standards FILE]\n',
    );
    process.exit(2);
  }
  const opt = (name: string) => {
    const i = args.indexOf(name);
    return i >= 0 ? args[i + 1] : undefined;
  };
  const onlyField = opt('--field');
  const onlyInst = opt('--inst');
  const since = opt('--since');
  const before = opt('--before');
  const standardsFile = opt('--standards');
  const standards = standardsFile ? parsePhotStandards(readFileSync(standardsFile, 'utf8')) : undefined;
  if (!standards) process.stdout.write('phot_standard not compared (no --standards FILE)\n');
  const showDiff = args.includes('--diff') || onlyField !== undefined || onlyInst !== undefined;

  const answers = new Map<string, Expected>();
  for (const p of walk(dir).filter((p) => p.endsWith('.json'))) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(readFileSync(p, 'utf8'));
    } catch {
      continue;
    }
    for (const row of Array.isArray(parsed) ? parsed : [parsed]) {
      if (row && typeof row === 'object' && typeof (row as Expected).name === 'string') {
        answers.set(stem((row as { name: string }).name), row as Expected);
      }
    }
  }
  const results = [];
  for (const p of walk(dir).filter((p) => /\.(header|headers|txt)$/.test(p))) {
    const hdus = parseHeaderDump(readFileSync(p, 'latin1'));
    const fname =
      /^Filename: *(\S+)/m.exec(readFileSync(p, 'latin1'))?.[1] ??
      basename(p).replace(/\.(header|headers|txt)$/, '');
    const expected =
      answers.get(stem(basename(fname))) ??
      answers.get(stem(basename(p).replace(/\.(header|headers|txt)$/, '')));
    if (!expected || hdus.length === 0) continue;
    const lastmod = String(expected.lastmod ?? '');
    if (since && lastmod < since) continue;
    if (before && lastmod >= before) continue;
    const row: Partial<ReturnType<typeof extractMetadata>> = extractMetadata(hdus, {
      filename: basename(String(expected.filename ?? fname)),
    });
    if (standards) row.phot_standard = standardInside(footprints(hdus), standards) ? true : null;
    else delete row.phot_standard;
    // The answer's date in the name: disagreements group by the ingest code that wrote them.
    results.push(compareRow(`${String(expected.name)} [${lastmod.slice(0, 10)}]`, row, expected));
  }
  summarise(results, { onlyField, onlyInst, showDiff, out: (s) => process.stdout.write(s + '\n') });
}

main();
