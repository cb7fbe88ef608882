import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { readSrc, SRC } from './helpers/srcfiles.js';

// The direction of the house (docs/design.md, "Layers"): a folder of src/ may import from its own
// layer or a lower one, never from a higher one. Lower layers know nothing of who composes them,
// so a change to a route or a command cannot ripple down into the queue engine or the FITS reader.
// A new folder under src/ must be placed here before it can be imported at all.
export const LAYERS: readonly (readonly string[])[] = [
  ['fits', 'log', 'config', 'daemon'],
  ['preview', 'gemini', 'storage', 'db'],
  ['queues', 'calcache', 'users'],
  ['services'],
  ['ops'],
  ['server'],
  ['cli'],
];

function rankOf(folder: string): number | undefined {
  const i = LAYERS.findIndex((layer) => layer.includes(folder));
  return i < 0 ? undefined : i;
}

/** Relative specifiers of a module: static imports, re-exports, and dynamic import('…'). */
export function importsOf(source: string): string[] {
  const found: string[] = [];
  const pattern = /(?:\bfrom\s*|\bimport\s*\(\s*|^\s*import\s+)['"](\.{1,2}\/[^'"]+)['"]/gm;
  for (const m of source.matchAll(pattern)) found.push(m[1]);
  return found;
}

/** Every import that points up the layer list, as "from → to" lines. */
export function upwardImports(files: Map<string, string>): string[] {
  const bad: string[] = [];
  for (const [file, source] of files) {
    const from = file.split('/')[0];
    const fromRank = rankOf(from);
    for (const spec of importsOf(source)) {
      const target = path.posix.normalize(path.posix.join(path.posix.dirname(file), spec));
      const to = target.split('/')[0];
      if (to === from) continue;
      const toRank = rankOf(to);
      if (fromRank === undefined || toRank === undefined) {
        bad.push(`${file} → ${target} (folder ${fromRank === undefined ? from : to} has no layer)`);
      } else if (toRank > fromRank) {
        bad.push(`${file} → ${target} (${from} is below ${to})`);
      }
    }
  }
  return bad;
}

describe('layers', () => {
  it('no module of src/ imports from a higher layer', () => {
    const files = readSrc();
    expect(files.size).toBeGreaterThan(100);
    expect(upwardImports(files)).toEqual([]);
  });

  it('every folder of src/ has a layer', () => {
    const folders = fs
      .readdirSync(SRC, { withFileTypes: true })
      .filter((d) => d.isDirectory())
      .map((d) => d.name);
    expect(folders.filter((f) => rankOf(f) === undefined)).toEqual([]);
  });

  it('the check sees upward imports in every form a module can write them', () => {
    const files = new Map([
      ['queues/engine.ts', "import { buildServer } from '../server/app.js';\n"],
      ['fits/reader.ts', "export { x } from '../db/pool.js';\n"],
      ['db/pool.ts', "const m = await import('../cli/main.js');\n"],
      ['gemini/a.ts', "import type { Storage } from '../storage/types.js';\nimport '../ops/x.js';\n"],
      ['services/export/export.ts', "import { claim } from '../../queues/engine.js';\n"],
      ['newroom/x.ts', "import { a } from '../fits/reader.js';\n"],
    ]);
    expect(upwardImports(files)).toEqual([
      'queues/engine.ts → server/app.js (queues is below server)',
      'fits/reader.ts → db/pool.js (fits is below db)',
      'db/pool.ts → cli/main.js (db is below cli)',
      'gemini/a.ts → ops/x.js (gemini is below ops)',
      'newroom/x.ts → fits/reader.js (folder newroom has no layer)',
    ]);
  });
});
