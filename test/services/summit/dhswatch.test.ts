import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DhsCopier } from '../../../src/services/summit/copyfromdhs.js';
import { DhsWatcher, networkFsOf, runDhsLoop } from '../../../src/services/summit/dhswatch.js';
import { sampleFits, sampleName } from '../../../src/gemini/samples.js';
import { LocalStorage } from '../../../src/storage/local.js';
import { createTestDb, type TestDb } from '../../helpers/db.js';
import { quietLog, tempDir } from '../../helpers/env.js';
import { waitFor } from '../../helpers/wait.js';

// copy-from-dhs's wake-up: an inotify event, or a waiting file's settle time running out, starts
// the next pass; the full scan every poll_seconds (here a minute: never reached) is only the
// safety net.

let t: TestDb;
let tmp: ReturnType<typeof tempDir>;
beforeAll(async () => {
  t = await createTestDb('dhswatch');
  tmp = tempDir('dhswatch');
});
afterAll(async () => {
  await t?.drop();
  tmp?.cleanup();
});

async function running(label: string, mode: 'events' | 'poll', minAgeSeconds: number) {
  const dhs = path.join(tmp.dir, label, 'dhs');
  const store = path.join(tmp.dir, label, 'store');
  mkdirSync(dhs, { recursive: true });
  mkdirSync(store, { recursive: true });
  const copier = new DhsCopier({
    db: t.db,
    dhsDir: dhs,
    storage: new LocalStorage(store),
    log: quietLog,
    minAgeSeconds,
    // Files without NEXTEND also wait out this settle interval (the summit safety rule).
    settleSeconds: () => minAgeSeconds,
  });
  const watcher = await new DhsWatcher(dhs, quietLog).start(mode);
  const ac = new AbortController();
  let passes = 0;
  const loop = runDhsLoop({
    copier,
    watcher,
    pollSeconds: 60,
    signal: ac.signal,
    log: quietLog,
    onPass: () => passes++,
  });
  await waitFor(async () => passes >= 1, { timeout: 5000, what: 'the first pass' });
  return {
    dhs,
    store,
    watcher,
    passes: () => passes,
    stop: async () => {
      ac.abort();
      watcher.close();
      await loop;
    },
  };
}

describe('copy-from-dhs wake-up', () => {
  it('notices a file closed on a local disk at once, without waiting for the poll', async () => {
    const w = await running('events', 'events', 0);
    try {
      expect(w.watcher.mode).toBe('events');
      const name = sampleName({ serial: 1, date: '20250401' });
      const t0 = Date.now();
      writeFileSync(path.join(w.dhs, name), sampleFits({ serial: 1, date: '20250401', extensions: 1 }));
      // The store file appears a moment before its queue row: wait for the row.
      const q = await waitFor(
        async () => {
          const r = await t.db.query('SELECT filename, verified FROM ingestqueue WHERE filename = $1', [
            name,
          ]);
          return r.rowCount ? r.rows : null;
        },
        { timeout: 10_000, what: `${name} queued` },
      );
      expect(Date.now() - t0).toBeLessThan(5000);
      expect(existsSync(path.join(w.store, name))).toBe(true);
      expect(q).toEqual([{ filename: name, verified: true }]);
    } finally {
      await w.stop();
    }
  });

  it('a file waiting out its settle time is looked at again when that is over, not at the next poll', async () => {
    // Poll mode: no events at all, so only the settle-time wake-up can explain the copy.
    const w = await running('settle', 'poll', 1);
    try {
      expect(w.watcher.mode).toBe('poll');
      const name = sampleName({ serial: 2, date: '20250401' });
      writeFileSync(path.join(w.dhs, name), sampleFits({ serial: 2, date: '20250401' }));
      w.watcher.poke(); // the scan that first sees it, as an event would start it
      await waitFor(async () => existsSync(path.join(w.store, name)), {
        timeout: 10_000,
        what: `${name} in the store`,
      });
    } finally {
      await w.stop();
    }
  });

  it('polls without events when asked to, and tells a local disk from a network one', async () => {
    const w = await running('poll', 'poll', 0);
    // The control: a watcher on events, given the same write at the same moment. Once it has
    // copied, an event would have woken the polling one too; no guess at how long that takes.
    const control = await running('poll-control', 'events', 0);
    try {
      const name = sampleName({ serial: 3, date: '20250401' });
      const bytes = sampleFits({ serial: 3, date: '20250401' });
      writeFileSync(path.join(w.dhs, name), bytes);
      writeFileSync(path.join(control.dhs, name), bytes);
      await waitFor(async () => existsSync(path.join(control.store, name)), {
        timeout: 10_000,
        what: `${name} copied by the watcher on events`,
      });
      expect(existsSync(path.join(w.store, name))).toBe(false); // next scan in a minute
      expect(w.passes()).toBe(1);
    } finally {
      await control.stop();
      await w.stop();
    }
    expect(await networkFsOf(tmp.dir)).toBeNull();
  });
});
