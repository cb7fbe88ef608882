import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { footprints } from '../../../src/gemini/footprint.js';
import {
  loadPhotStandards,
  parsePhotStandards,
  photStandardIn,
} from '../../../src/services/ingest/photstandards.js';
import { createTestDb, type TestDb } from '../../helpers/db.js';
import { file } from '../../gemini/helpers.js';

let t: TestDb;
beforeAll(async () => {
  t = await createTestDb('photstd');
});
afterAll(async () => t?.drop());

/** A 100×100 image, 0.001° pixels, centred on (ra, dec). */
const image = (ra: number, dec: number) =>
  file(
    { SIMPLE: true, NAXIS: 0, INSTRUME: 'NIRI' },
    {
      XTENSION: 'IMAGE',
      NAXIS: 2,
      NAXIS1: 100,
      NAXIS2: 100,
      CTYPE1: 'RA---TAN',
      CTYPE2: 'DEC--TAN',
      CRVAL1: ra,
      CRVAL2: dec,
      CRPIX1: 50.5,
      CRPIX2: 50.5,
      CD1_1: -0.001,
      CD2_2: 0.001,
    },
  );

describe('photometric standards', () => {
  it('parses the archive CSV: RA in hours, comment lines skipped; bad lines named', () => {
    expect(parsePhotStandards('#Name,Field,RA,DEC\nfs35,35,18.4538,4.05261,None,12.1\n')).toEqual([
      { name: 'fs35', field: '35', ra: 18.4538 * 15, dec: 4.05261 },
    ]);
    expect(() => parsePhotStandards('fs35,35,eighteen,4')).toThrow(/line 1: expected/);
    expect(() => parsePhotStandards('\nfs35,35,25,4')).toThrow(/line 2: position out of range/);
  });

  it('flags a footprint that holds a standard, leaves the others unset (null)', async () => {
    await loadPhotStandards(t.db, parsePhotStandards('a,F1,10,20\nb,F2,1,-30'));
    expect(await photStandardIn(t.db, footprints(image(150.02, 20)))).toBe(true);
    expect(await photStandardIn(t.db, footprints(image(150.2, 20)))).toBeNull();
    // No sky WCS, no footprint, no flag.
    expect(await photStandardIn(t.db, footprints(file({ SIMPLE: true, NAXIS: 0 })))).toBeNull();
    // A standard moved by a later load is found at its new place only.
    await loadPhotStandards(t.db, parsePhotStandards('a,F1,11,20'));
    expect(await photStandardIn(t.db, footprints(image(150.02, 20)))).toBeNull();
    expect(await photStandardIn(t.db, footprints(image(165, 20)))).toBe(true);
  });

  it('GNIRS, NIFS and michelle: the primary WCS over the first extension', () => {
    const [p, e] = image(15, -30);
    const phu = file(
      {
        SIMPLE: true,
        NAXIS: 0,
        INSTRUME: 'GNIRS',
        ...Object.fromEntries(e.cards.filter((c) => /^C/.test(c.keyword)).map((c) => [c.keyword, c.value!])),
      },
      { XTENSION: 'IMAGE', NAXIS: 2, NAXIS1: 100, NAXIS2: 100 },
    );
    expect(p).toBeDefined();
    const [poly] = footprints(phu);
    expect(poly).toHaveLength(4);
    for (const [ra, dec] of poly) {
      expect(Math.abs(ra - 15)).toBeLessThan(0.06);
      expect(Math.abs(dec + 30)).toBeLessThan(0.06);
    }
  });
});
