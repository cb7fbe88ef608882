import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { brokenSample, bzip2, sampleFits, sampleName, type SampleSpec } from '../../src/gemini/samples.js';
import { runCli } from '../helpers/cli.js';
import { createTestDb, type TestDb } from '../helpers/db.js';
import { count, FAST_PARAMS, ingestedCount, md5, morePasses, Rig, settle } from './helpers.js';
import { pausePoints, writeWithPauses } from '../helpers/dhswriter.js';
import { sampleFile } from '../helpers/fixtures.js';
import { waitFor } from '../helpers/wait.js';

// Bad and unfinished inputs. Broken files reach the store by hand or by cron
// (add-to-ingest-queue lists the store): each must end as a queue_error naming the file and the
// reason, with the worker carrying on. DHS files still being written (slowly, or pausing exactly
// at an HDU boundary, where the part written so far is itself well-formed FITS) must be copied
// once, complete. The e2e test covers a file written in two halves and bad files through
// copy-from-dhs.

let t: TestDb;
const rigs: Rig[] = [];

beforeAll(async () => {
  t = await createTestDb('faults_inputs');
  await t.db.query(FAST_PARAMS);
});
afterAll(async () => {
  for (const r of rigs) await r.cleanup();
  await t?.drop();
});

function rig() {
  const r = new Rig(t.url);
  rigs.push(r);
  return r;
}

/** A FITS file with its header's middle overwritten by binary garbage. */
function corruptHeader(s: SampleSpec): Buffer {
  const b = Buffer.from(sampleFits(s));
  for (let i = 800; i < 1600; i++) b[i] = (i * 151) % 256;
  return b;
}

/** A bzip2 stream with bytes flipped in its middle (CRC failure when decompressed). */
function corruptBz2(s: SampleSpec): Buffer {
  const b = Buffer.from(bzip2(sampleFits({ ...s, size: 64 })));
  for (let i = Math.floor(b.length / 2); i < Math.floor(b.length / 2) + 64; i++) b[i] ^= 0x5a;
  return b;
}

describe('bad inputs through add-to-ingest-queue and ingest', () => {
  it('corrupt, truncated, zero-byte and non-FITS files each get a queue_error naming the file and the reason; the worker carries on', async () => {
    const r = rig();
    const date = '20250701';
    const bad = new Map<string, Buffer>([
      [sampleName({ serial: 1, date }), brokenSample('not-fits', { serial: 1, date })],
      [sampleName({ serial: 2, date }), brokenSample('truncated', { serial: 2, date, extensions: 2 })],
      [sampleName({ serial: 3, date }), brokenSample('zero-bytes', { serial: 3, date })],
      [sampleName({ serial: 4, date }), brokenSample('missing-end', { serial: 4, date })],
      [sampleName({ serial: 5, date }), corruptHeader({ serial: 5, date })],
      [sampleName({ serial: 6, date, bz2: true }), corruptBz2({ serial: 6, date })],
      [sampleName({ serial: 7, date, bz2: true }), bzip2(sampleFits({ serial: 7, date })).subarray(0, 200)],
      [sampleName({ serial: 8, date, bz2: true }), bzip2(brokenSample('not-fits', { serial: 8, date }))],
      [sampleName({ serial: 9, date, bz2: true }), Buffer.from('not bzip2 at all\n'.repeat(50))],
    ]);
    const good = new Map<string, string>();
    for (const serial of [10, 11, 12, 13, 14, 15]) {
      const spec = { serial, date, bz2: serial % 2 === 0, extensions: serial % 3 };
      const f = sampleFile(spec);
      writeFileSync(path.join(r.store, f.name), f.bytes);
      good.set(f.name, md5(f.bytes));
    }
    for (const [name, bytes] of bad) writeFileSync(path.join(r.store, name), bytes);

    const siq = await r.ingester('siq-inputs');
    const cron = await runCli(['add-to-ingest-queue'], { config: r.config, timeoutMs: 120_000 });
    expect(cron.code, cron.stderr).toBe(0);
    await waitFor(
      async () =>
        (await ingestedCount(t.db, [...good.keys()])) === good.size &&
        (await count(t.db, `SELECT count(DISTINCT filename) AS n FROM queue_error`)) >= bad.size,
      { timeout: 120_000, what: () => `good files ingested, bad ones reported:\n${siq.output.slice(-3000)}` },
    );
    // It carries on: a file queued after the failures is ingested too.
    const later = { serial: 16, date };
    writeFileSync(path.join(r.store, sampleName(later)), sampleFits(later));
    good.set(sampleName(later), md5(sampleFits(later)));
    const again = await runCli(['add-to-ingest-queue', '--filename', sampleName(later)], {
      config: r.config,
    });
    expect(again.code, again.stderr).toBe(0);
    await waitFor(async () => (await ingestedCount(t.db, [sampleName(later)])) === 1, {
      timeout: 60_000,
      what: 'the later file ingested',
    });
    expect(siq.running()).toBe(true);
    expect(await r.stopAll()).toEqual([0]);

    const s = await settle('corrupt, truncated, zero-byte and non-FITS inputs', t.db, r.store, {
      good,
      bad: [...bad.keys()],
    });
    expect(s.problems).toEqual([]);
    const errors = await t.db.query(
      `SELECT filename, error FROM queue_error WHERE queue = 'INGEST' ORDER BY filename`,
    );
    for (const e of errors.rows) {
      // "<file>: <reason>" on the first line, then the stack.
      const first = e.error.split('\n')[0] as string;
      expect(first, e.filename).toMatch(new RegExp(`${e.filename.replace(/\./g, '\\.')}.*: \\S+`));
    }
    const failed = await t.db.query(`SELECT filename FROM ingestqueue WHERE failed ORDER BY filename`);
    expect(failed.rows.map((x) => x.filename)).toEqual([...bad.keys()].sort());
  }, 300_000);
});

describe('DHS files still being written', () => {
  it('written in 10 chunks over 3 s: copied once, complete', async () => {
    const r = rig();
    await r.ingester('siq-slow');
    const copier = await r.copier();
    const spec = { serial: 1, date: '20250702', extensions: 3, size: 128 };
    const name = sampleName(spec);
    const bytes = sampleFits(spec);
    const cuts = Array.from({ length: 9 }, (_, i) => Math.floor(((i + 1) * bytes.length) / 10));
    await writeWithPauses(path.join(r.dhs, name), bytes, cuts, 333);
    await waitFor(async () => (await ingestedCount(t.db, [name])) === 1, {
      timeout: 90_000,
      what: `${name} ingested`,
    });
    // A few more passes: nothing else happens to it.
    await morePasses(copier);
    expect(copier.lines(new RegExp(`Copying ${name}`))).toHaveLength(1);
    expect(await r.stopAll()).toEqual([0, 0]);
    const s = await settle('DHS file written in 10 chunks over 3 s', t.db, r.store, {
      good: new Map([[name, md5(bytes)]]),
      versions: new Map([[name, 1]]),
    });
    expect(s.problems).toEqual([]);
  }, 240_000);

  it('a writer pausing at an HDU boundary (what is there so far is well-formed FITS): copied once, complete', async () => {
    const r = rig();
    await r.ingester('siq-pause');
    const copier = await r.copier();
    const spec = { serial: 2, date: '20250702', extensions: 3, size: 128 };
    const name = sampleName(spec);
    const bytes = sampleFits(spec);
    // Where each HDU starts: the file's start, then each HDU's end.
    const starts = [0, ...(await pausePoints(bytes)).boundaries];
    expect(starts).toHaveLength(4);
    // Primary header and the first extension, then a pause longer than min_age_seconds (0.5 s)
    // but shorter than bad_after_seconds (5 s), as a DHS waiting for the next amplifier would.
    await writeWithPauses(path.join(r.dhs, name), bytes, [starts[2]], 3000);
    await waitFor(async () => (await ingestedCount(t.db, [name])) === 1, {
      timeout: 90_000,
      what: `${name} ingested`,
    });
    let rows = '';
    await waitFor(
      async () => {
        const q = await t.db.query(
          `SELECT filename, in_progress, failed, after FROM ingestqueue WHERE filename = $1`,
          [name],
        );
        rows = JSON.stringify(q.rows);
        return q.rowCount === 0;
      },
      {
        timeout: 60_000,
        what: () =>
          `ingest queue drained: ${rows}\n${copier.output.replace(/.*Pass complete.*\n/g, '').slice(-2000)}`,
      },
    );
    await morePasses(copier);
    const copies = copier.lines(new RegExp(`Copying ${name}`));
    expect(await r.stopAll()).toEqual([0, 0]);
    const s = await settle('DHS writer pausing at an HDU boundary', t.db, r.store, {
      good: new Map([[name, md5(bytes)]]),
      versions: new Map([[name, 1]]),
    });
    expect(s.problems).toEqual([]);
    expect(copies).toHaveLength(1);
  }, 240_000);
});
