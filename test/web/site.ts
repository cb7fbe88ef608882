import { mkdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import type { Config } from '../../src/config/schema.js';
import { buildServer } from '../../src/server/app.js';
import type { SiteOptions } from '../../src/server/site.js';
import { createUser, grant, type WebUser } from '../../src/users/store.js';
import type { SiteContext } from '../../src/server/web.js';
import type { IngestDeps } from '../../src/services/ingest/ingest.js';
import type { SampleSpec } from '../../src/gemini/samples.js';
import { LocalStorage } from '../../src/storage/local.js';
import { createTestDb, type TestDb } from '../helpers/db.js';
import { fixedParams, memoryLog, tempDir, testClock, testConfig } from '../helpers/env.js';
import { ingestSample } from '../helpers/fixtures.js';
import { listen } from '../helpers/server.js';
import { waitFor } from '../helpers/wait.js';

// One web site per test file: a fresh database, a store in a temp dir, buildServer + registerSite
// (as app.ts will do once the lead adds the line), listening on a loopback port. The logger keeps
// every line in memory so tests can prove what was (not) logged.

export const STAFF = { username: 'opsstaff', password: 'correct horse battery staple' };
export const PI = { username: 'pi.astronomer', password: 'pi-password-123' };

export interface Site {
  t: TestDb;
  config: Config;
  deps: IngestDeps;
  app: FastifyInstance;
  site: SiteContext;
  url: string;
  logLines: string[];
  tmp: ReturnType<typeof tempDir>;
  ingest(spec: SampleSpec): Promise<{ name: string; bytes: Buffer }>;
  staff: WebUser;
  pi: WebUser;
  close(): Promise<void>;
}

export async function startSite(
  label: string,
  o: { config?: Record<string, any>; site?: SiteOptions } = {},
): Promise<Site> {
  const t = await createTestDb(label);
  const tmp = tempDir(label);
  const config = testConfig(tmp.dir, { role: 'archive', ...(o.config ?? {}) });
  const storage = new LocalStorage(config.paths.storage_root);
  mkdirSync(config.paths.storage_root, { recursive: true });
  const logLines: string[] = [];
  const log = memoryLog(logLines);
  const deps: IngestDeps = {
    db: t.db,
    storage,
    config,
    log,
    params: fixedParams({ ingest_defer_seconds: 0 }),
  };
  const app = buildServer(
    { config, db: t.db, storage, log },
    { now: testClock, site: { usageFlush: { flushMs: 20 }, ...(o.site ?? {}) } },
  );
  const site = app.site;
  const url = await listen(app);
  const staff = await createUser(t.db, { ...STAFF, fullname: 'Ops Staff', staff: true });
  const pi = await createUser(t.db, { ...PI, fullname: 'A. PI' });
  return {
    t,
    config,
    deps,
    app,
    site,
    url,
    logLines,
    tmp,
    staff,
    pi,
    async ingest(spec) {
      const f = await ingestSample(deps, spec);
      return { name: f.name.replace(/\.bz2$/, ''), bytes: f.bytes };
    },
    async close() {
      await app.close();
      await t.drop();
      tmp.cleanup();
    },
  };
}

export { grant };

/** Where tests put screenshots: $FITSSTORE_SCREENSHOTS, else a temp dir (printed once). */
export function screenshotDir(): string {
  const dir = process.env.FITSSTORE_SCREENSHOTS ?? path.join(os.tmpdir(), 'fitsstore-web-screenshots');
  mkdirSync(dir, { recursive: true });
  return dir;
}

export { FUTURE, PAST } from '../helpers/env.js';

/** Waits until every request made so far is over and its usage-log row written. */
export async function flushed(s: Site): Promise<void> {
  await waitFor(() => s.site.usage.inFlight === 0, { what: 'requests in flight to end' });
  await s.site.usage.flush();
}
