import os from 'node:os';
import path from 'node:path';
import type { TestProject } from 'vitest/node';
import { startEmbedded, type EmbeddedHandle } from '../../src/db/embedded.js';

// One PostgreSQL for the whole run: the machine's (TEST_DATABASE_URL) or the embedded fallback.
// Each test file then creates its own database on it (test/helpers/db.ts).
let embedded: EmbeddedHandle | undefined;

export async function setup(project: TestProject) {
  let url = process.env.TEST_DATABASE_URL;
  if (!url) {
    embedded = await startEmbedded(path.join(os.tmpdir(), 'fitsstore-test-pg'), 54331, 'postgres');
    url = embedded.url;
  }
  project.provide('pgAdminUrl', url);
}

export async function teardown() {
  await embedded?.stop();
}

declare module 'vitest' {
  export interface ProvidedContext {
    pgAdminUrl: string;
  }
}
