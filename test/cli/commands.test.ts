import { mkdirSync, utimesSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { brokenSample, bzip2, sampleFits } from '../../src/gemini/samples.js';
import { createTestDb, type TestDb } from '../helpers/db.js';
import { runCli, writeConfig } from '../helpers/cli.js';
import { tempDir } from '../helpers/env.js';
import { fileRegex } from '../../src/services/summit/addtoingest.js';

let t: TestDb;
let tmp: ReturnType<typeof tempDir>;
let config: string;
let store: string;
const today = new Date().toISOString().slice(0, 10).replace(/-/g, '');

beforeAll(async () => {
  t = await createTestDb('cli');
  tmp = tempDir('cli');
  store = path.join(tmp.dir, 'dataflow');
  config = writeConfig(tmp.dir, {
    database: { url: t.url },
    paths: {
      var_dir: tmp.dir,
      storage_root: store,
      log_dir: path.join(tmp.dir, 'logs'),
      lock_dir: path.join(tmp.dir, 'lock'),
    },
  });
  mkdirSync(path.join(store, 'graces'), { recursive: true });
  writeFileSync(path.join(store, `N${today}S0001.fits`), sampleFits({ serial: 1, date: today }));
  writeFileSync(path.join(store, `N${today}S0002.fits.bz2`), bzip2(sampleFits({ serial: 2, date: today })));
  writeFileSync(path.join(store, 'N20100101S0001.fits'), sampleFits({ serial: 1, date: '20100101' }));
  writeFileSync(path.join(store, '.N20100101S0002.fits.tmp'), 'partial');
  writeFileSync(path.join(store, 'notes.txt'), 'hello');
  writeFileSync(
    path.join(store, 'graces', 'N20200926G0005.fits'),
    sampleFits({ serial: 5, date: '20200926' }),
  );
  writeFileSync(path.join(store, 'broken.fits'), brokenSample('truncated', { serial: 3, extensions: 2 }));
  const old = new Date(Date.now() - 3600_000);
  for (const f of [
    `N${today}S0001.fits`,
    `N${today}S0002.fits.bz2`,
    'N20100101S0001.fits',
    'graces/N20200926G0005.fits',
    'broken.fits',
  ]) {
    utimesSync(path.join(store, f), old, old);
  }
});
afterAll(async () => {
  await t?.drop();
  tmp?.cleanup();
});

describe('--file-re day words, on a fixed clock', () => {
  it('fourday: the last four UT dates and tomorrow (Gemini-South nights), across the year boundary', () => {
    const re = fileRegex('fourday', new Date('2025-01-01T23:59:59Z'))!;
    const names = ['20241228', '20241229', '20241230', '20241231', '20250101', '20250102', '20250103'];
    expect(names.filter((d) => re.test(`N${d}S0001.fits`))).toEqual([
      '20241229',
      '20241230',
      '20241231',
      '20250101',
      '20250102',
    ]);
    const leap = fileRegex('today', new Date('2024-02-29T00:00:00Z'))!;
    expect(
      ['20240228', '20240229', '20240301', '20240302'].filter((d) => leap.test(`S${d}S0001.fits`)),
    ).toEqual(['20240229', '20240301']);
  });
});

describe('add-to-ingest-queue', () => {
  it('--file-re=fourday queues only files of the last four UTC days and reports counts', async () => {
    const r = await runCli(['add-to-ingest-queue', '--file-re=fourday'], { config });
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/queued 2 files for ingest, 0 already pending/);
    const q = await t.db.query('SELECT filename, path, force FROM ingestqueue ORDER BY filename');
    expect(q.rows.map((x) => x.filename)).toEqual([`N${today}S0001.fits`, `N${today}S0002.fits.bz2`]);
    const again = await runCli(['add-to-ingest-queue', '--file-re=fourday'], { config });
    expect(again.stderr).toMatch(/queued 0 files for ingest, 2 already pending/);
  });

  it('--path, --force and --force_md5 (runbook spelling) and --logsuffix', async () => {
    const r = await runCli(
      [
        'add-to-ingest-queue',
        '--logsuffix=graces',
        '--path=graces',
        '--file-re=N20200926G',
        '--force',
        '--force_md5',
      ],
      { config },
    );
    expect(r.code).toBe(0);
    const q = await t.db.query(
      `SELECT filename, path, force, force_md5 FROM ingestqueue WHERE path = 'graces'`,
    );
    expect(q.rows).toEqual([
      { filename: 'N20200926G0005.fits', path: 'graces', force: true, force_md5: true },
    ]);
    const { existsSync } = await import('node:fs');
    expect(existsSync(path.join(tmp.dir, 'logs', 'add-to-ingest-queue-graces.log'))).toBe(true);
  });

  it('--demon writes nothing to the terminal, everything to the log file', async () => {
    const r = await runCli(['add-to-ingest-queue', '--demon', '--file-re=N2010'], { config });
    expect(r.code).toBe(0);
    expect(r.stdout + r.stderr).toBe('');
    const { readFileSync } = await import('node:fs');
    const log = readFileSync(path.join(tmp.dir, 'logs', 'add-to-ingest-queue.log'), 'utf8')
      .trim()
      .split('\n');
    expect(JSON.parse(log[log.length - 1]).msg).toMatch(/queued 1 files for ingest/);
  });

  it('a bad regular expression is a usage error (exit 2)', async () => {
    const r = await runCli(['add-to-ingest-queue', '--file-re=(unclosed'], { config });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--file-re: not a valid regular expression/);
  });

  it('service-queue ingest --empty drains the queue; bad files become queue_error rows; queue status shows it', async () => {
    await runCli(['add-to-ingest-queue', '--filename', 'broken.fits', 'N20100101S0001.fits'], { config });
    const r = await runCli(['service-queue', 'ingest', '--empty', '--name', 'siqtest'], { config });
    expect(r.code).toBe(1); // one failure
    const df = await t.db.query('SELECT filename FROM diskfile WHERE present ORDER BY filename');
    expect(df.rows.map((x) => x.filename).sort()).toEqual(
      ['N20100101S0001.fits', `N${today}S0001.fits`, `N${today}S0002.fits.bz2`, 'N20200926G0005.fits'].sort(),
    );
    const e = await t.db.query(
      `select * from queue_error where filename='broken.fits' and queue='INGEST' order by added desc`,
    );
    expect(e.rows[0].error).toMatch(/broken\.fits: .*truncated/i);
    const s = await runCli(['queue', 'status', '--json'], { config });
    const status = JSON.parse(s.stdout);
    expect(status.queues.find((q: any) => q.queue === 'ingest')).toMatchObject({
      pending: 0,
      in_progress: 0,
      failed: 1,
    });
  });
});

describe('params', () => {
  it('set, get and history', async () => {
    expect((await runCli(['params', 'set', 'poll_seconds', '2.5'], { config })).code).toBe(0);
    const g = await runCli(['params', 'get', '--json'], { config });
    expect(JSON.parse(g.stdout).poll_seconds).toBe(2.5);
    const bad = await runCli(['params', 'set', 'poll_seconds', 'soon'], { config });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/poll_seconds: "soon" is not a non-negative number/);
    const h = await runCli(['params', 'history'], { config });
    expect(h.stdout).toMatch(/poll_seconds: 5 → 2.5/);
  });
});

describe('fitsheader and fitsverify', () => {
  it('prints cards of every HDU, typed values with --json, through bzip2', async () => {
    const r = await runCli([
      'fitsheader',
      '--json',
      '-k',
      'TELESCOP',
      '-k',
      'NAXIS',
      path.join(store, `N${today}S0002.fits.bz2`),
    ]);
    expect(r.code).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j[0].hdus[0].cards).toEqual([
      { keyword: 'NAXIS', value: 2, comment: 'number of array dimensions' },
      { keyword: 'TELESCOP', value: 'Gemini-North', comment: null },
    ]);
  });

  it('shows a tile-compressed image as astropy does: the image header; --compressed for the table', async () => {
    const fz = fileURLToPath(new URL('../fixtures/fits/tiles-rice.fits.fz', import.meta.url));
    const view = await runCli(['fitsheader', '--hdu', '1', fz]);
    expect(view.code).toBe(0);
    const lines = view.stdout.trimEnd().split('\n');
    expect(lines[1]).toBe("XTENSION= 'IMAGE   '           / Image extension".padEnd(80));
    expect(lines.slice(2, 5).map((l) => l.trimEnd())).toEqual([
      'BITPIX  =                   16 / array data type',
      'NAXIS   =                    2 / number of array dimensions',
      'NAXIS1  =                  100',
    ]);
    expect(view.stdout).not.toMatch(/^(TFORM1|ZIMAGE|ZCMPTYPE) /m);
    const table = await runCli(['fitsheader', '--hdu', '1', '--compressed', fz]);
    expect(table.stdout).toMatch(/^XTENSION= 'BINTABLE'/m);
    expect(table.stdout).toMatch(/^ZCMPTYPE= 'RICE_1  '/m);
  });

  it('reads a SIMPLE = F file with a warning, as astropy does', async () => {
    const file = path.join(tmp.dir, 'nonstandard.fits');
    const cards = [
      'SIMPLE  =                    F / not standard',
      'BITPIX  =                    8',
      'NAXIS   =                    0',
      "OBJECT  = 'odd'",
      'END',
    ];
    writeFileSync(
      file,
      Buffer.concat([
        Buffer.from(
          cards
            .map((c) => c.padEnd(80))
            .join('')
            .padEnd(2880),
        ),
        Buffer.alloc(2880),
      ]),
    );
    const r = await runCli(['fitsheader', file]);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/warning: SIMPLE = F/);
    expect(r.stdout).toBe(
      `# HDU 0 in ${file}:\n` +
        cards
          .slice(0, 4)
          .map((c) => c.padEnd(80) + '\n')
          .join(''),
    );
  });

  it('fitsverify lists structural problems and exits 1', async () => {
    const ok = await runCli(['fitsverify', path.join(store, 'N20100101S0001.fits')]);
    expect(ok.code).toBe(0);
    const bad = await runCli(['fitsverify', path.join(store, 'broken.fits'), path.join(store, 'notes.txt')]);
    expect(bad.code).toBe(1);
    expect(bad.stdout).toMatch(/broken\.fits: .*ERRORS/);
    expect(bad.stdout).toMatch(/notes\.txt: .*ERRORS.*\n\s+error: not a FITS file/);
    expect(bad.stdout).toMatch(/0 of 2 files OK/);
  });
});

describe('photstandards load', () => {
  it('loads the standards CSV (RA in hours) and names a bad line with exit 2', async () => {
    const csv = path.join(tmp.dir, 'standards.txt');
    writeFileSync(
      csv,
      '#Name,Field,RA,DEC,j\nfs35,35,18.4538,4.05261,12.188\nGD71,12,5.87435,15.8873,13.4\n',
    );
    const ok = await runCli(['photstandards', 'load', csv], { config });
    expect(ok.code).toBe(0);
    expect(ok.stdout).toMatch(/loaded 2 photometric standards/);
    const r = await t.db.query('SELECT name, ra, dec FROM photstandard ORDER BY name');
    expect(r.rows.map((x) => x.name)).toEqual(['GD71', 'fs35']);
    expect(r.rows[1].ra).toBeCloseTo(18.4538 * 15, 9);
    const bad = path.join(tmp.dir, 'bad.txt');
    writeFileSync(bad, 'fs35,35,18.4538,4.05261\nbroken line\n');
    const no = await runCli(['photstandards', 'load', bad], { config });
    expect(no.code).toBe(2);
    expect(no.stderr).toMatch(/bad\.txt: line 2: expected/);
  });
});

describe('configuration errors', () => {
  it('name the key and the bad value, exit 2', async () => {
    const badConfig = path.join(tmp.dir, 'bad.json');
    writeFileSync(badConfig, JSON.stringify({ role: 'moon', server: { port: 'eighty' } }));
    const r = await runCli(['queue', 'status'], { config: badConfig });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/role: .*\(got "moon"\)/);
    expect(r.stderr).toMatch(/server\.port: .*\(got "eighty"\)/);
  });
});
