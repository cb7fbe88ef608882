import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The src/ folder, for tests that read the code itself (layers, queue-table ownership). */
export const SRC = fileURLToPath(new URL('../../src/', import.meta.url));

/** Every TypeScript module of src/, by its path under src/ ("queues/engine.ts") → its text. */
export function readSrc(): Map<string, string> {
  const files = new Map<string, string>();
  for (const entry of fs.readdirSync(SRC, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile() || !/\.(ts|mts)$/.test(entry.name)) continue;
    const abs = path.join(entry.parentPath, entry.name);
    files.set(path.relative(SRC, abs).split(path.sep).join('/'), fs.readFileSync(abs, 'utf8'));
  }
  return files;
}
