import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sampleName } from '../../src/gemini/samples.js';
import { createTestDb, type TestDb } from '../helpers/db.js';
import { pausePoints, sampleWithoutNextend, writeWithPauses } from '../helpers/dhswriter.js';
import { count, FAST_PARAMS, ingestedCount, md5, morePasses, Rig, settle } from './helpers.js';
import { waitFor } from '../helpers/wait.js';

// The fault that made completeness structural: a DHS file without NEXTEND whose writer pauses at
// its HDU boundaries is well-formed FITS at every pause. Judged by age alone, a 5-HDU file was
// copied and ingested five times, four of them prefixes. Now it must be the whole file, once.

let t: TestDb;
let rig: Rig;
const POLL_S = 0.25;

beforeAll(async () => {
  t = await createTestDb('faults_dhscomplete');
  await t.db.query(FAST_PARAMS);
  // The settle interval: longer than the writer's pauses (2 × the check interval).
  await t.db.query('UPDATE system_parameters SET dhs_settle_seconds = 2');
  rig = new Rig(t.url, { dhs: { min_age_seconds: 0.1, poll_seconds: POLL_S, bad_after_seconds: 30 } });
});
afterAll(async () => {
  await rig?.cleanup();
  await t?.drop();
});

describe('a DHS file without NEXTEND, written with pauses', () => {
  it('pausing 2× the check interval at each HDU boundary of a 5-HDU file and inside data: the copied and ingested file is the whole one, never a prefix', async () => {
    await rig.ingester('siq-complete');
    const copier = await rig.copier();
    const spec = { serial: 7, date: '20250703', extensions: 4, size: 96 };
    const name = sampleName(spec);
    const bytes = sampleWithoutNextend(spec);
    const { boundaries, inData } = await pausePoints(bytes);
    expect(boundaries).toHaveLength(4);
    await writeWithPauses(path.join(rig.dhs, name), bytes, [...boundaries, ...inData], 2 * POLL_S * 1000);
    await waitFor(async () => (await ingestedCount(t.db, [name])) === 1, {
      timeout: 90_000,
      what: `${name} ingested`,
    });
    await waitFor(
      async () => (await count(t.db, 'SELECT count(*) FROM ingestqueue WHERE filename = $1', [name])) === 0,
      { timeout: 60_000, what: 'ingest queue drained' },
    );
    // Several more passes of the copier: nothing else happens to it.
    await morePasses(copier, 8);
    expect(copier.lines(new RegExp(`Copying ${name}`))).toHaveLength(1);
    expect(await rig.stopAll()).toEqual([0, 0]);
    const s = await settle('DHS file without NEXTEND, writer pausing at each HDU boundary', t.db, rig.store, {
      good: new Map([[name, md5(bytes)]]),
      versions: new Map([[name, 1]]),
    });
    expect(s.problems).toEqual([]);
  }, 240_000);
});
