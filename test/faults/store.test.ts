import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sampleFits, sampleName } from '../../src/gemini/samples.js';
import { createTestDb, type TestDb } from '../helpers/db.js';
import { count, FAST_PARAMS, ingestedCount, inStore, md5, Rig, settle, tempLeftovers } from './helpers.js';
import { mountTmpfs, type Tmpfs } from './tmpfs.js';
import { waitFor } from '../helpers/wait.js';

// The dataflow store full or read-only under copy-from-dhs. chmod stops neither a root's writes
// nor makes a directory full, so the store is a small tmpfs (test/faults/tmpfs.ts: mounted
// directly as root, in an unprivileged user namespace otherwise): 1 MB for "full", remounted
// read-only for "read-only", then given space / made writable again. Expected: a clear error in
// the log, no partial file, nothing queued or marked done while it lasts, and the copy completing
// once the store recovers.

let t: TestDb;
const rigs: Rig[] = [];
const mounts: Tmpfs[] = [];

beforeAll(async () => {
  t = await createTestDb('faults_store');
  await t.db.query(FAST_PARAMS);
});
afterAll(async () => {
  for (const r of rigs) await r.killAll();
  for (const m of mounts) m.release();
  for (const r of rigs) await r.cleanup();
  await t?.drop();
});

/** A rig whose dataflow directory is a fresh tmpfs of the given size, and the mount. */
async function rigOnTmpfs(size: string): Promise<{ r: Rig; fs: Tmpfs }> {
  const r = new Rig(t.url);
  rigs.push(r);
  const fs = await mountTmpfs(r.store, `size=${size},mode=0755`);
  mounts.push(fs);
  r.enter = fs.enter;
  return { r, fs };
}

async function scenario(kind: 'full' | 'read-only') {
  const { r, fs } = await rigOnTmpfs(kind === 'full' ? '1m' : '64m');
  if (kind === 'read-only') fs.remount('ro');
  // This process sees the store through the mount's namespace, the daemons in it.
  const store = fs.view;
  const siq = await r.ingester(`siq-${kind}`);
  // 1.3 MB of FITS: more than the whole "full" store; any size fails on a read-only one.
  const spec = { serial: 1, date: kind === 'full' ? '20250601' : '20250602', size: 800 };
  const name = sampleName(spec);
  const bytes = sampleFits(spec);
  writeFileSync(path.join(r.dhs, name), bytes);
  const copier = await r.copier();
  const pattern = kind === 'full' ? /ENOSPC|no space left/i : /EROFS|read-only file system/i;
  await waitFor(() => copier.lines(new RegExp(`copy of ${name} failed`)).some((l) => pattern.test(l)), {
    timeout: 90_000,
    what: () => `a clear error about the ${kind} store:\n${copier.output.slice(-2000)}`,
  });
  // Let it fail a few more passes: still nothing partial, nothing queued, nothing ingested.
  const failures = () => copier.lines(new RegExp(`copy of ${name} failed`)).length;
  const failedSoFar = failures();
  await waitFor(() => failures() >= failedSoFar + 2, {
    timeout: 60_000,
    what: () => `two more failed copies:\n${copier.output.slice(-2000)}`,
  });
  expect(copier.running()).toBe(true);
  expect(inStore(store, name)).toBe(false);
  expect(tempLeftovers(store)).toEqual([]);
  expect(await count(t.db, `SELECT count(*) AS n FROM ingestqueue WHERE filename = $1`, [name])).toBe(0);
  expect(await count(t.db, `SELECT count(*) AS n FROM diskfile WHERE filename = $1`, [name])).toBe(0);

  // Space returns / the store is writable again: the copy goes through on the next passes.
  fs.remount(kind === 'full' ? 'size=64m' : 'rw');
  await waitFor(async () => (await ingestedCount(t.db, [name])) === 1, {
    timeout: 90_000,
    what: () =>
      `${name} ingested:\n${siq.output.slice(-1500)}\n${copier.output.replace(/.*Pass complete.*\n/g, '').slice(-3000)}`,
  });
  expect(await r.stopAll()).toEqual([0, 0]);
  const s = await settle(`store ${kind}`, t.db, store, { good: new Map([[name, md5(bytes)]]) });
  expect(s.problems).toEqual([]);
}

describe('the dataflow store full or read-only (a small tmpfs, in a user namespace unless root)', () => {
  it('full (ENOSPC half way through a copy): clear error, no partial file, nothing done; recovers when space returns', async () => {
    await scenario('full');
  }, 300_000);

  it('read-only (EROFS): clear error, no partial file, nothing done; recovers when writable again', async () => {
    await scenario('read-only');
  }, 300_000);
});
