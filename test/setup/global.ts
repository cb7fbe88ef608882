import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import type { TestProject } from 'vitest/node';
import { startEmbedded, type EmbeddedHandle } from '../../src/db/embedded.js';
import { migrate } from '../../src/db/migrate.js';
import { freePort } from '../helpers/net.js';

// One PostgreSQL for the whole run: the machine's (TEST_DATABASE_URL) or an embedded one of this
// run's own (a free port, a fresh directory: concurrent runs don't meet). The migrations run once,
// into a template database; each test file then clones it (test/helpers/db.ts), which takes a
// fraction of a second where migrating took seconds.
let embedded: EmbeddedHandle | undefined;
let embeddedDir: string | undefined;
let adminUrl: string | undefined;
let template: string | undefined;

export async function setup(project: TestProject) {
  adminUrl = process.env.TEST_DATABASE_URL;
  if (!adminUrl) {
    embeddedDir = mkdtempSync(path.join(os.tmpdir(), 'fitsstore-test-pg-'));
    // Reachable by the postgres user when run as root, so the cluster stays inside this directory.
    chmodSync(embeddedDir, 0o755);
    embedded = await startEmbedded(embeddedDir, await freePort(), 'postgres');
    adminUrl = embedded.url;
  }
  template = `fitsstore_template_${process.pid}_${Date.now().toString(36)}`;
  await adminQuery(adminUrl, `CREATE DATABASE ${template}`);
  const u = new URL(adminUrl);
  u.pathname = '/' + template;
  await migrate(u.toString());
  project.provide('pgAdminUrl', adminUrl);
  project.provide('pgTemplate', template);
}

export async function teardown() {
  if (embedded) {
    await embedded.stop();
    rmSync(embeddedDir!, { recursive: true, force: true });
  } else if (adminUrl && template) {
    await adminQuery(adminUrl, `DROP DATABASE IF EXISTS ${template} WITH (FORCE)`);
  }
}

async function adminQuery(url: string, sql: string): Promise<void> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    await c.query(sql);
  } finally {
    await c.end();
  }
}

declare module 'vitest' {
  export interface ProvidedContext {
    pgAdminUrl: string;
    /** a migrated database for CREATE DATABASE … TEMPLATE */
    pgTemplate: string;
  }
}
