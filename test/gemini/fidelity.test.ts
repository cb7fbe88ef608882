// Fidelity check: a file of every instrument the Gemini archive serves goes through the real
// ingest (FITS file → storage → ingestFile → header row) and out of /jsonsummary, and every
// field the archive gives for such a file must agree. bench/metadata-fidelity.ts prints the same
// comparison as a report.

import { Readable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compareRow, standardInside, tally } from '../../bench/metadata-fidelity-lib.js';
import type { Corner } from '../../src/gemini/footprint.js';
import { buildServer } from '../../src/server/app.js';
import { ingestFile, type IngestDeps } from '../../src/services/ingest/ingest.js';
import { LocalStorage } from '../../src/storage/local.js';
import { createTestDb, type TestDb } from '../helpers/db.js';
import { fixedParams, quietLog, tempDir, testConfig } from '../helpers/env.js';
import { loadPhotStandards, parsePhotStandards } from '../../src/services/ingest/photstandards.js';
import { ARCHIVE_INSTRUMENTS, FIDELITY_CASES, PHOT_STANDARDS_CSV } from './fidelity-cases.js';
import { fitsOf } from './fidelity-build.js';

let t: TestDb;
let tmp: ReturnType<typeof tempDir>;
let app: FastifyInstance;
const answers = new Map<string, Record<string, unknown>>();

beforeAll(async () => {
  t = await createTestDb('fidelity');
  tmp = tempDir('fidelity');
  const config = testConfig(tmp.dir, { role: 'archive', server: { magic_download_cookie: 'cookie' } });
  const storage = new LocalStorage(config.paths.storage_root);
  const deps: IngestDeps = {
    db: t.db,
    storage,
    config,
    log: quietLog,
    params: fixedParams({ ingest_defer_seconds: 0 }),
  };
  await loadPhotStandards(t.db, parsePhotStandards(PHOT_STANDARDS_CSV));
  for (const c of FIDELITY_CASES) {
    await storage.write(c.filename, Readable.from([fitsOf(c)]));
    const out = await ingestFile(deps, { filename: c.filename, path: '' });
    expect(out.action, c.filename).toBe('new');
  }
  app = buildServer({ config, db: t.db, storage, log: quietLog });
  await app.ready();
  for (const c of FIDELITY_CASES) {
    const r = await app.inject({
      url: `/jsonsummary/filename=${c.filename}`,
      cookies: { gemini_fits_authorization: 'cookie' },
    });
    expect(r.statusCode).toBe(200);
    const [entry] = r.json();
    answers.set(c.filename, entry);
  }
}, 120_000);
afterAll(async () => {
  await app?.close();
  await t?.drop();
  tmp?.cleanup();
});

describe('fidelity with the archive, one file per instrument', () => {
  it('covers every instrument the archive serves', () => {
    expect([...new Set(FIDELITY_CASES.map((c) => c.instrument))].sort()).toEqual(
      [...ARCHIVE_INSTRUMENTS].sort(),
    );
  });

  it.each(FIDELITY_CASES.map((c) => [c.filename, c] as const))('%s: every field agrees', (name, c) => {
    const entry = answers.get(name);
    expect(entry, name).toBeDefined();
    const result = compareRow(
      name,
      entry!,
      { ...c.expected, instrument: c.expected.instrument ?? c.instrument },
      'expected',
    );
    const wrong = result.fields
      .filter((f) => !f.ok)
      .map((f) => `${f.field}: got ${JSON.stringify(f.got)}, archive ${JSON.stringify(f.want)}`);
    expect(wrong).toEqual([]);
    expect(entry!.instrument).toBe(c.instrument);
  });

  it('agrees on 100% of the fields compared, per field and per instrument', () => {
    const results = FIDELITY_CASES.map((c) =>
      compareRow(c.filename, answers.get(c.filename)!, c.expected, 'expected'),
    );
    const { fields, instruments } = tally(results);
    for (const [field, v] of fields) expect(`${field} ${v.ok}/${v.n}`).toBe(`${field} ${v.n}/${v.n}`);
    for (const [inst, v] of instruments) expect(`${inst} ${v.ok}/${v.n}`).toBe(`${inst} ${v.n}/${v.n}`);
    // The key fields of the issue are all exercised.
    for (const f of [
      'ra',
      'dec',
      'filter_name',
      'wavelength_band',
      'camera',
      'reduction',
      'ut_datetime',
      'mode',
      'exposure_time',
    ]) {
      expect(fields.get(f)?.n ?? 0, f).toBeGreaterThan(3);
    }
  });
});

describe('the corpus measurement flags phot_standard as the database does', () => {
  // bench/metadata-corpus.ts decides phot_standard without a database; its polygon test must
  // answer as ingest's `point <@ polygon` does, or the measured agreement means nothing.
  const quads: Corner[][] = [
    // A rotated image footprint.
    [
      [10, 0],
      [12, 1],
      [11, 3],
      [9, 2],
    ],
    // A frame straddling RA 0 (a processed GMOS fringe frame): as a plain polygon it spans
    // every RA between 0.05 and 359.95 in its strip of declination.
    [
      [359.95, 0.06],
      [0.05, 0.06],
      [0.05, 0.02],
      [359.95, 0.02],
    ],
  ];
  const probes: Corner[] = [
    [10.5, 1.5], // inside the first
    [9, 0], // outside, beside a corner
    [12, 1], // a corner
    [11, 0.5], // on an edge
    [13, 2],
    [180, 0.04], // inside the straddling strip, far from RA 0
    [0, 0.04], // "between" its corners across RA 0: outside as a plain polygon
    [180, 0.07],
  ];
  it.each(quads.flatMap((q, i) => probes.map((p) => [i, p] as const)))(
    'polygon %i, point %j',
    async (i, p) => {
      const quad = quads[i]!;
      const polygon = `(${quad.map(([x, y]) => `(${x},${y})`).join(',')})`;
      const r = await t.db.query<{ inside: boolean }>('SELECT point($1, $2) <@ $3::polygon AS inside', [
        p[0],
        p[1],
        polygon,
      ]);
      expect(standardInside([quad], [{ ra: p[0], dec: p[1] }])).toBe(r.rows[0]!.inside);
    },
  );
});
