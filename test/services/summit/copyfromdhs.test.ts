import { mkdirSync, utimesSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Writable } from 'node:stream';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DhsCopier } from '../../../src/services/summit/copyfromdhs.js';
import { brokenSample, bzip2, sampleFits, sampleName } from '../../../src/gemini/samples.js';
import { LocalStorage } from '../../../src/storage/local.js';
import { runCli, writeConfig } from '../../helpers/cli.js';
import { createTestDb, type TestDb } from '../../helpers/db.js';
import { pausePoints, sampleWithoutNextend } from '../../helpers/dhswriter.js';
import { tempDir } from '../../helpers/env.js';

// copy-from-dhs, one pass at a time with a clock of the test's own: when a file counts as complete
// (structure, NEXTEND, settle interval), how bad files are recorded, and which names it takes.

let t: TestDb;
let tmp: ReturnType<typeof tempDir>;

beforeAll(async () => {
  t = await createTestDb('copyfromdhs');
  tmp = tempDir('copyfromdhs');
});
afterAll(async () => {
  await t?.drop();
  tmp?.cleanup();
});

let n = 0;
function setup(opts: { settle?: number; badAfter?: number } = {}) {
  const root = path.join(tmp.dir, `case${++n}`);
  const dhs = path.join(root, 'dhs');
  const store = path.join(root, 'dataflow');
  mkdirSync(dhs, { recursive: true });
  mkdirSync(store, { recursive: true });
  const lines: string[] = [];
  const log = pino(
    { level: 'debug' },
    new Writable({
      write(c, _e, cb) {
        lines.push(JSON.parse(String(c)).msg);
        cb();
      },
    }),
  );
  let clock = Date.now();
  const copier = () =>
    new DhsCopier({
      db: t.db,
      dhsDir: dhs,
      storage: new LocalStorage(store),
      log,
      minAgeSeconds: 1,
      badAfterSeconds: opts.badAfter ?? 10,
      settleSeconds: () => opts.settle ?? 30,
      now: () => clock,
    });
  /** Writes a DHS file last modified `ageS` seconds before the test clock. */
  const put = (name: string, bytes: Buffer, ageS: number) => {
    const f = path.join(dhs, name);
    writeFileSync(f, bytes);
    const m = new Date(clock - ageS * 1000);
    utimesSync(f, m, m);
  };
  return { dhs, store, lines, copier, put, advance: (s: number) => (clock += s * 1000) };
}

describe('when a DHS file is complete', () => {
  it('without NEXTEND, stopped at an HDU boundary: waits for the settle interval; grows meanwhile → waits again; whole and quiet → copied', async () => {
    const c = setup({ settle: 30 });
    const copier = c.copier();
    const spec = { serial: 1, date: '20250801', extensions: 2 };
    const name = sampleName(spec);
    const whole = sampleWithoutNextend(spec);
    const { boundaries } = await pausePoints(whole);
    c.put(name, whole.subarray(0, boundaries[0]), 5); // primary HDU only, quiet for 5 s
    expect((await copier.pass()).waiting).toEqual([name]);
    c.advance(20);
    expect((await copier.pass()).waiting).toEqual([name]); // quiet 25 s < 30 s
    c.put(name, whole.subarray(0, boundaries[1]), 0); // the writer resumes
    c.advance(5);
    expect((await copier.pass()).waiting).toEqual([name]);
    c.put(name, whole, 0);
    expect((await copier.pass()).waiting).toEqual([name]);
    c.advance(29);
    expect((await copier.pass()).waiting).toEqual([name]);
    c.advance(2);
    expect((await copier.pass()).copied).toEqual([name]);
    expect(c.lines.some((l) => /no NEXTEND: ends at an HDU boundary/.test(l))).toBe(true);
  });

  it('with NEXTEND, extensions missing → waits however long it is quiet; all there → copied after min_age', async () => {
    const c = setup({ settle: 30 });
    const copier = c.copier();
    const spec = { serial: 2, date: '20250801', extensions: 2 };
    const name = sampleName(spec);
    const whole = sampleFits(spec);
    const { boundaries } = await pausePoints(whole);
    c.put(name, whole.subarray(0, boundaries[1]), 300);
    expect((await copier.pass()).waiting).toEqual([name]);
    c.put(name, whole, 0);
    expect((await copier.pass()).waiting).toEqual([name]);
    c.advance(2);
    expect((await copier.pass()).copied).toEqual([name]);
  });

  it('stopped inside a data unit, or with bytes after the last HDU: never complete', async () => {
    const c = setup({ settle: 1, badAfter: 1000 });
    const copier = c.copier();
    const a = { serial: 3, date: '20250801', extensions: 1 };
    const whole = sampleWithoutNextend(a);
    const { inData } = await pausePoints(whole);
    c.put(sampleName(a), whole.subarray(0, inData[inData.length - 1]), 600);
    const b = { serial: 4, date: '20250801' };
    c.put(sampleName(b), Buffer.concat([sampleWithoutNextend(b), Buffer.from('X'.repeat(100))]), 600);
    await copier.pass();
    c.advance(60);
    const r = await copier.pass();
    expect(r.waiting.sort()).toEqual([sampleName(a), sampleName(b)]);
    expect(c.lines.some((l) => /data truncated/.test(l))).toBe(true);
  });
});

describe('bad DHS files and names', () => {
  it('a bad file gets one open queue_error, updated (not duplicated) by later passes and restarts', async () => {
    const c = setup({ badAfter: 5 });
    const name = sampleName({ serial: 5, date: '20250802' });
    c.put(name, brokenSample('no-telescop', { serial: 5, date: '20250802' }), 600);
    for (let restart = 0; restart < 3; restart++) {
      const copier = c.copier();
      await copier.pass();
      c.advance(10);
      expect((await copier.pass()).bad).toEqual([name]);
    }
    const rows = await t.db.query(`SELECT error, date FROM queue_error WHERE filename = $1`, [name]);
    expect(rows.rows).toHaveLength(1);
    expect(rows.rows[0].error).toMatch(/no TELESCOP/);
  });

  it('.fit, .FITS and .fz are skipped with a logged reason (once each) and counted; .fits and .fits.bz2 are copied', async () => {
    const c = setup();
    const copier = c.copier();
    const s = { serial: 6, date: '20250803' };
    c.put('N20250803S0006.fit', sampleFits(s), 600);
    c.put('N20250803S0007.FITS', sampleFits(s), 600);
    c.put('N20250803S0008.fits.fz', sampleFits(s), 600);
    c.put('N20250803S0009.fits', sampleFits(s), 600);
    c.put('N20250803S0010.fits.bz2', bzip2(sampleFits(s)), 600);
    const r = await copier.pass();
    expect(r.skipped.sort()).toEqual(['N20250803S0006.fit', 'N20250803S0007.FITS', 'N20250803S0008.fits.fz']);
    expect(r.copied.sort()).toEqual(['N20250803S0009.fits', 'N20250803S0010.fits.bz2']);
    expect((await copier.pass()).skipped).toHaveLength(3);
    const said = c.lines.filter((l) => /^Skipping /.test(l));
    expect(said).toHaveLength(3);
    expect(said.find((l) => l.includes('.fz'))).toMatch(/funpack/);
  });
});

describe('copy-from-dhs --once', () => {
  it('is one pass: copies what is complete, reports what waits, exits; a missing DHS directory is an error (exit 1)', async () => {
    const root = path.join(tmp.dir, 'once');
    const dhs = path.join(root, 'dhs');
    mkdirSync(dhs, { recursive: true });
    const config = writeConfig(root, {
      database: { url: t.url },
      paths: {
        var_dir: root,
        dhs_dir: dhs,
        storage_root: path.join(root, 'dataflow'),
        log_dir: path.join(root, 'logs'),
        lock_dir: path.join(root, 'lock'),
      },
      dhs: { min_age_seconds: 1, poll_seconds: 30 },
    });
    const old = new Date(Date.now() - 3600_000);
    const done = sampleName({ serial: 11, date: '20250804' });
    writeFileSync(path.join(dhs, done), sampleFits({ serial: 11, date: '20250804' }));
    utimesSync(path.join(dhs, done), old, old);
    const fresh = sampleName({ serial: 12, date: '20250804' });
    writeFileSync(path.join(dhs, fresh), sampleWithoutNextend({ serial: 12, date: '20250804' }));
    const started = Date.now();
    const r = await runCli(['copy-from-dhs', '--once'], { config });
    expect(r.code).toBe(0);
    // One pass, not the poll interval (30 s) or the settle interval (20 s) waited out.
    expect(Date.now() - started).toBeLessThan(15_000);
    expect(r.stderr).toMatch(/one pass: copied 1, waiting 1/);
    expect((await t.db.query(`SELECT filename FROM ingestqueue WHERE filename = $1`, [done])).rowCount).toBe(
      1,
    );

    const missing = await runCli(['copy-from-dhs', '--once', '--dhs-dir', path.join(root, 'nowhere')], {
      config,
    });
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/DHS directory .*nowhere does not exist/);
  }, 60_000);
});
