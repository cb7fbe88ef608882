import { statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { enqueueIngest } from '../../src/services/ingest/ingestqueue.js';
import { sampleFits, sampleName } from '../../src/gemini/samples.js';
import { createTestDb, type TestDb } from '../helpers/db.js';
import { ingestedCount, md5, Rig, setMtime, settle } from './helpers.js';
import { waitFor } from '../helpers/wait.js';

// Clock jumps, as files show them: modification times in the future (a writer or NFS server whose
// clock runs ahead, a clock stepped back) and far in the past (a clock reset to the epoch, files
// restored from tape). The host clock itself is not touched. Ingest defers files modified in the
// last ingest_defer_seconds; a future mtime must not make that deferral last forever, and
// copy-from-dhs must not wait for the future either.

let t: TestDb;
let r: Rig;

beforeAll(async () => {
  t = await createTestDb('faults_clock');
  await t.db.query(`UPDATE system_parameters SET poll_seconds = 0.5, heartbeat_seconds = 0.5,
    dead_worker_seconds = 30, ingest_defer_seconds = 2, dhs_settle_seconds = 1`);
  r = new Rig(t.url);
});
afterAll(async () => {
  await r?.cleanup();
  await t?.drop();
});

const HOUR = 3_600_000;

describe('clock jumps', () => {
  it('ingest: mtimes an hour ahead, ten seconds ahead and decades back are all ingested, with their mtimes', async () => {
    const files = [
      { spec: { serial: 1, date: '20250901' }, offset: HOUR },
      { spec: { serial: 2, date: '20250901' }, offset: 10_000 },
      { spec: { serial: 3, date: '20250901' }, offset: Date.UTC(1990, 0, 1) - Date.now() },
      { spec: { serial: 4, date: '20250901' }, offset: -Date.now() + 1000 }, // 1970-01-01T00:00:01Z
    ];
    const good = new Map<string, string>();
    const mtimes = new Map<string, number>();
    for (const f of files) {
      const name = sampleName(f.spec);
      const file = path.join(r.store, name);
      writeFileSync(file, sampleFits(f.spec));
      setMtime(file, f.offset);
      good.set(name, md5(sampleFits(f.spec)));
      mtimes.set(name, statSync(file).mtime.getTime());
    }
    const siq = await r.ingester('siq-clock');
    await enqueueIngest(
      t.db,
      [...good.keys()].map((filename) => ({ filename })),
    );
    // Ten seconds ahead: deferred until it is ingest_defer_seconds old; the others at once.
    await waitFor(async () => (await ingestedCount(t.db, [...good.keys()])) === good.size, {
      timeout: 90_000,
      what: () => siq.output.slice(-2000),
    });
    const rows = await t.db.query(`SELECT filename, lastmod FROM diskfile WHERE filename = ANY($1::text[])`, [
      [...good.keys()],
    ]);
    expect(Object.fromEntries(rows.rows.map((x) => [x.filename, x.lastmod.getTime()]))).toEqual(
      Object.fromEntries(mtimes),
    );
    expect(await r.stopAll()).toEqual([0]);
    const s = await settle('clock jumps: store files with future and ancient mtimes', t.db, r.store, {
      good,
    });
    expect(s.problems).toEqual([]);
  }, 180_000);

  it('copy-from-dhs: a DHS file stamped an hour in the future (NFS server clock ahead) is copied, not held for an hour', async () => {
    const siq = await r.ingester('siq-clock-dhs');
    const ahead = { serial: 5, date: '20250901' };
    const old = { serial: 6, date: '20250901' };
    for (const [spec, offset] of [
      [ahead, HOUR],
      [old, Date.UTC(1990, 0, 1) - Date.now()],
    ] as const) {
      const file = path.join(r.dhs, sampleName(spec));
      writeFileSync(file, sampleFits(spec));
      setMtime(file, offset);
    }
    const copier = await r.copier('--name', 'clock');
    let ok = true;
    try {
      await waitFor(async () => (await ingestedCount(t.db, [sampleName(ahead), sampleName(old)])) === 2, {
        timeout: 60_000,
        what: () =>
          `both copied and ingested:\n${copier.output.replace(/.*Pass complete.*\n/g, '').slice(-1500)}\n${siq.output.slice(-800)}`,
      });
    } catch (e) {
      ok = false;
      console.warn((e as Error).message);
    }
    await r.stopAll();
    const s = await settle('clock jumps: DHS files with future and ancient mtimes', t.db, r.store, {
      good: new Map([
        ...(await t.db.query(`SELECT filename, file_md5 FROM diskfile WHERE present`)).rows
          .filter((x) => ![sampleName(ahead), sampleName(old)].includes(x.filename))
          .map((x) => [x.filename, x.file_md5] as [string, string]),
        [sampleName(ahead), md5(sampleFits(ahead))],
        [sampleName(old), md5(sampleFits(old))],
      ]),
    });
    expect(ok, 'the future-stamped DHS file was copied within 60 s').toBe(true);
    expect(s.problems).toEqual([]);
  }, 180_000);
});
