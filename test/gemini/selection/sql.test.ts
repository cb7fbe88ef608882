import { describe, expect, it } from 'vitest';
import {
  decToDegrees,
  nightBounds,
  parseSelection,
  positionConstraint,
  raToDegrees,
  searchRadiusDegrees,
  selectionToSql,
  type Selection,
} from '../../../src/gemini/selection/index.js';

const NOW = new Date('2024-05-06T12:00:00Z');
const sql = (p: string, opts?: Parameters<typeof selectionToSql>[1]) =>
  selectionToSql(parseSelection(p, { now: NOW }), opts);

/** The $n placeholders of a statement, in order of first appearance. */
function placeholders(where: string): number[] {
  return [...new Set([...where.matchAll(/\$(\d+)/g)].map((m) => Number(m[1])))];
}

describe('selectionToSql: defaults', () => {
  it('restricts an empty selection to canonical, non-engineering data', () => {
    expect(sql('')).toEqual({ where: '(df.canonical) AND (h.engineering IS NOT TRUE)', values: [] });
  });

  it('applies no implicit constraint when defaults are off', () => {
    expect(sql('', { defaults: false })).toEqual({ where: 'TRUE', values: [] });
  });

  it('drops the canonical default when present/notpresent/canonical/notcanonical is given', () => {
    expect(sql('/present/includeengineering').where).toBe('(df.present IS TRUE)');
    expect(sql('/notpresent/includeengineering').where).toBe('(df.present IS NOT TRUE)');
    expect(sql('/notcanonical/includeengineering').where).toBe('(df.canonical IS NOT TRUE)');
  });

  it('includes engineering data when asked, or when the selection names the data', () => {
    expect(sql('/engineering').where).toBe('(df.canonical) AND (h.engineering IS TRUE)');
    expect(sql('/notengineering').where).toBe('(df.canonical) AND (h.engineering IS NOT TRUE)');
    expect(sql('/includeengineering').where).toBe('(df.canonical)');
    for (const p of [
      '/GN-ENG20200103',
      '/GN-ENG20200103-1',
      '/GN-ENG20200103-1-001',
      '/N20200103S0010',
      '/N2020',
    ]) {
      expect(sql(p).where).not.toContain('engineering');
    }
    // Export's question to a peer must find engineering files too.
    expect(sql('/present/filename=N20200103S0010.fits')).toEqual({
      where: '(df.present IS TRUE) AND (f.name = $1::text)',
      values: ['N20200103S0010.fits'],
    });
  });
});

describe('selectionToSql: parameters', () => {
  it('numbers parameters from firstParam', () => {
    const q = sql('/GMOS-N/OBJECT', { firstParam: 5 });
    expect(q.where).toBe(
      '(df.canonical) AND (h.instrument = $5::text) AND (h.observation_type = $6::text) AND (h.engineering IS NOT TRUE)',
    );
    expect(q.values).toEqual(['GMOS-N', 'OBJECT']);
  });

  const nasty = [
    "x'; DROP TABLE header;--",
    'a"b\\c',
    "O'Brien",
    '1 OR 1=1',
    '$$; SELECT 1 $$',
    'ümlaut ☃ 星',
    '%_%',
    ') OR (TRUE',
  ];

  it.each(nasty)('never writes a value into the SQL text: %s', (v) => {
    const sel = parseSelection([
      `object=${v}`,
      `filter=${v}`,
      `progid=${v}`,
      `filename=${v}`,
      `filepre=${v}`,
      `disperser=${v}`,
      `camera=${v}`,
      `mask=${v}`,
      `gain=${v}`,
      `readspeed=${v}`,
      `detector_roi=${v}`,
      `inst=${v}`,
      `exposure_time=${v}`,
      `ra=${v}`,
      `raw_cc=${v}`,
    ]);
    expect(sel.unrecognised).toEqual([]);
    const q = selectionToSql(sel, { firstParam: 3 });
    expect(q.where).not.toContain(v);
    // Every value has its placeholder and every placeholder its value.
    expect(placeholders(q.where).sort((a, b) => a - b)).toEqual(q.values.map((_, i) => i + 3));
  });

  it('writes only fixed text: two selections differing in values give the same SQL', () => {
    const a = sql('/GN-2019A-FT-211/GMOS-N/20200101/object=a*/filter=r/ra=150/dec=-30/sr=10/exposure_time=5');
    const b = sql('/GS-2020B-Q-5/GMOS-S/20210303/object=zz*/filter=g/ra=10/dec=20/sr=1d/exposure_time=1-2');
    expect(a.where).toBe(b.where);
    expect(a.values).not.toEqual(b.values);
  });
});

describe('selectionToSql: terms', () => {
  const one = (p: string) => {
    const q = sql(p + '/includeengineering');
    const conds = q.where.split(' AND (').length;
    return { ...q, conds };
  };

  it('identifiers and files', () => {
    expect(one('/GN-2019A-FT-211')).toMatchObject({ where: '(df.canonical) AND (h.program_id = $1::text)' });
    expect(one('/GN-2019A-FT-211-3').values).toEqual(['GN-2019A-FT-211-3']);
    expect(one('/GN-2019A-FT-211-3-001').where).toContain('h.data_label = $1::text');
    expect(one('/N20200101S0001').values).toEqual(['N20200101S0001.fits']);
    expect(one('/filepre=N2020_01%')).toMatchObject({
      where: '(df.canonical) AND (f.name LIKE $1::text)',
      values: ['N2020\\_01\\%%'],
    });
  });

  it('UT dates and ranges', () => {
    expect(one('/date=20200101').values).toEqual(['2020-01-01T00:00:00.000Z', '2020-01-02T00:00:00.000Z']);
    expect(one('/date=20200101').where).toContain(
      'h.ut_datetime >= $1::timestamptz AND h.ut_datetime < $2::timestamptz',
    );
    expect(one('/daterange=20200103-20200101').values).toEqual([
      '2020-01-01T00:00:00.000Z',
      '2020-01-04T00:00:00.000Z',
    ]);
    expect(one('/date=today').values).toEqual(['2024-05-06T00:00:00.000Z', '2024-05-07T00:00:00.000Z']);
    // Bare dates are nights.
    expect(one('/20200101')).toEqual(one('/night=20200101'));
    expect(one('/20200103-20200101')).toEqual(one('/nightrange=20200101-20200103'));
  });

  it('nights: the UT date in the north, from 14:00 local the day before in the south', () => {
    const q = one('/night=20200102');
    expect(q.values).toEqual([
      'Gemini-North',
      '2020-01-02T00:00:00.000Z',
      '2020-01-03T00:00:00.000Z',
      'Gemini-South',
      '2020-01-01T17:00:00.000Z', // 14:00 CLST
      '2020-01-02T17:00:00.000Z',
      'Gemini-North',
      'Gemini-South',
      '2020-01-02T00:00:00.000Z',
      '2020-01-03T00:00:00.000Z',
    ]);
    expect(q.where).toMatch(/^\(df\.canonical\) AND \(\(\(h\.telescope = \$1::text AND .* OR .* OR .*\)\)$/);
    expect(nightBounds('20200702', 'GS').map((d) => d.toISOString())).toEqual([
      '2020-07-01T18:00:00.000Z', // 14:00 CLT in winter
      '2020-07-02T18:00:00.000Z',
    ]);
    expect(one('/nightrange=20200101-20200103').values.slice(4, 6)).toEqual([
      '2019-12-31T17:00:00.000Z',
      '2020-01-03T17:00:00.000Z',
    ]);
  });

  it('instruments, GMOS meaning either', () => {
    expect(one('/GMOS').where).toContain('h.instrument = ANY($1::text[])');
    expect(one('/GMOS').values).toEqual([['GMOS-N', 'GMOS-S']]);
    expect(one('/f2').values).toEqual(['F2']);
    expect(one('/GeminiSouth').where).toContain('h.telescope = $1::text');
  });

  it.each<[string, string, unknown[]]>([
    ['/Pass', 'h.qa_state = $1::text', ['Pass']],
    ['/CHECK', 'h.qa_state = $1::text', ['CHECK']],
    ['/Win', 'h.qa_state = ANY($1::text[])', [['Pass', 'Usable']]],
    ['/Lucky', 'h.qa_state = ANY($1::text[])', [['Pass', 'Undefined']]],
    ['/NotFail', 'h.qa_state IS DISTINCT FROM $1::text', ['Fail']],
    ['/UndefinedQA', 'h.qa_state = $1::text', ['Undefined']],
  ])('QA %s', (p, cond, values) => {
    expect(one(p).where).toBe(`(df.canonical) AND (${cond})`);
    expect(one(p).values).toEqual(values);
  });

  it('AnyQA constrains nothing', () => {
    expect(one('/AnyQA').where).toBe('(df.canonical)');
  });

  it('flags and modes', () => {
    expect(one('/imaging').where).toContain('h.spectroscopy IS NOT TRUE');
    expect(one('/IFU')).toMatchObject({ values: ['IFS'] });
    expect(one('/IFU').where).toContain('h.spectroscopy IS TRUE) AND (h.mode = $1::text)');
    expect(one('/LGS').where).toContain('(h.adaptive_optics IS TRUE) AND (h.laser_guide_star IS TRUE)');
    expect(one('/NGS').where).toContain('(h.adaptive_optics IS TRUE) AND (h.laser_guide_star IS NOT TRUE)');
    expect(one('/NOTAO').where).toContain('h.adaptive_optics IS NOT TRUE');
    expect(one('/calprog').where).toContain('h.calibration_program IS TRUE');
    expect(one('/science_verification').where).toContain('h.science_verification IS TRUE');
    expect(one('/mdbad').where).toContain('df.mdready IS NOT TRUE');
    expect(one('/site_monitoring').where).toContain('h.instrument = $1::text');
    expect(one('/nottwilight').where).toContain('h.object IS DISTINCT FROM $1::text');
  });

  it('configuration', () => {
    expect(one('/2x2').where).toContain('h.detector_binning = $1::text');
    expect(one('/fullframe').values).toEqual([['Fixed', 'Full Frame']]);
    expect(one('/centralstamp').values).toEqual(['Central Stamp']);
    expect(one('/filter=Ha').where).toContain('h.filter_name = $1::text');
    expect(one('/B600')).toMatchObject({ values: ['B600', 'B600\\_%'] });
    expect(one('/GNIRS/disperser=32lXD').values).toEqual(['GNIRS', ['32_mm&SXD', '32_mm&LXD']]);
    expect(one('/camera=GnirsShort').values).toEqual([['ShortRed', 'ShortBlue']]);
    expect(one('/GMOS-S/mask=GS2019')).toMatchObject({ values: ['GMOS-S', 'GS2019%'] });
    expect(one('/TReCS/mask=0.36')).toMatchObject({ values: ['TReCS', '%0.36%'] });
    expect(one('/NIRI/mask=f6-2pix').values).toEqual(['NIRI', 'f6-2pix']);
    expect(one('/Raw').values).toEqual(['Raw']);
    expect(one('/Science-Quality').where).toContain('h.processing = $1::text');
  });

  it('object names: case-insensitive, * as wildcard, LIKE characters literal', () => {
    expect(one('/object=NGC*').values).toEqual(['NGC%']);
    expect(one('/object=*1068').values).toEqual(['%1068']);
    expect(one('/object=100%_sure').values).toEqual(['100\\%\\_sure']);
    expect(one('/object=NGC*').where).toContain('h.object ILIKE $1::text');
  });

  it('an object name is ignored when a position is given', () => {
    expect(one('/object=NGC*/ra=150/dec=-30/sr=10').where).not.toContain('ILIKE');
  });

  it('ra + dec: a cone of radius sr (arcsec by default)', () => {
    const q = one('/ra=10:00:00/dec=-30:00:00/sr=36');
    expect(q.values).toEqual([150, -30, 0.01]);
    expect(q.where).toContain('degrees(2 * asin(');
    expect(one('/ra=150/dec=-30/sr=1d').values).toEqual([150, -30, 1]);
  });

  it('ra alone: a window widened by 1/cos(dec), wrapping through 0h', () => {
    expect(one('/ra=0.001/sr=36').where).toContain('(h.ra >= $1::float8 OR h.ra < $2::float8)');
    const [lo, hi] = one('/ra=0.001/sr=36').values as number[];
    expect(lo).toBeCloseTo(359.991, 6);
    expect(hi).toBeCloseTo(0.011, 6);
    const [a, b, c, d] = one('/ra=150/dec=60-62/sr=36').values as number[];
    expect([a, b]).toEqual([60, 62]);
    expect(d - c).toBeCloseTo((2 * 0.01) / Math.cos((61 * Math.PI) / 180), 9);
  });

  it('dec ranges are taken either way round', () => {
    expect(one('/dec=-20--30').values).toEqual([-30, -20]);
  });

  it('numeric ranges', () => {
    expect(one('/exposure_time=10').values).toEqual([9.5, 10.5]);
    expect(one('/exposure_time=0.2').values).toEqual([0, 0.7]);
    expect(one('/exposure_time=10-20').where).toContain(
      'h.exposure_time >= $1::float8 AND h.exposure_time <= $2::float8',
    );
    const c = one('/cenwlen=0.5');
    expect(c.where).toContain('h.central_wavelength > $1::float8 AND h.central_wavelength < $2::float8');
    expect((c.values as number[]).map((v) => +v.toFixed(6))).toEqual([0.4, 0.6]);
    expect(one('/cenwlen=0.1-0.5').values).toEqual([0.2, 0.5]);
    expect(one('/az=10-20').where).toContain('h.azimuth >= $1::float8 AND h.azimuth < $2::float8');
    expect(one('/el=60-90').values).toEqual([60, 90]);
    expect(one('/crpa=0-90').where).toContain('h.cass_rotator_pa');
    expect(one('/coadds=4')).toMatchObject({ values: [4] });
  });

  it('observing conditions match either stored spelling', () => {
    expect(one('/raw_cc=50').values).toEqual([['50', '50-percentile']]);
    expect(one('/raw_iq=Any').values).toEqual([['100', '100-percentile', 'Any']]);
    expect(one('/raw_bg=BG80').where).toContain('h.raw_bg = ANY($1::text[])');
  });

  it('invalid numbers constrain nothing', () => {
    for (const p of [
      '/exposure_time=x',
      '/cenwlen=x',
      '/az=10',
      '/coadds=-1',
      '/raw_cc=cloudy',
      '/ra=x',
      '/dec=x',
    ]) {
      expect(one(p).where).toBe('(df.canonical)');
    }
  });

  it('caltype and cols do not change which rows match', () => {
    expect(one('/bias/cols=CTOWBEQ').where).toBe('(df.canonical)');
  });
});

describe('coordinates', () => {
  it.each<[string, number | null]>([
    ['150', 150],
    ['10:00:00', 150],
    ['10 00 00', 150],
    ['12h30m', 187.5],
    ['00:00:36', 0.15],
    ['24:00:00', null],
    ['10:61:00', null],
    ['-1', null],
    ['361', null],
    ['abc', null],
    ['', null],
  ])('ra %s', (s, deg) => {
    const v = raToDegrees(s);
    if (deg === null) expect(v).toBeNull();
    else expect(v).toBeCloseTo(deg, 9);
  });

  it.each<[string, number | null]>([
    ['-30', -30],
    ['-30:30:00', -30.5],
    ['+05:06:36', 5.11],
    ['-00:30:00', -0.5],
    ['-30d30m', -30.5],
    ['91', null],
    ['-90:00:01', null],
    ['x', null],
  ])('dec %s', (s, deg) => {
    const v = decToDegrees(s);
    if (deg === null) expect(v).toBeNull();
    else expect(v).toBeCloseTo(deg, 9);
  });

  it.each<[string, number | null]>([
    ['10', 10 / 3600],
    ['10arcsec', 10 / 3600],
    ['1.5d', 1.5],
    ['2degs', 2],
    ['3m', 3 / 60],
    ['3arcmin', 3 / 60],
    ['x', null],
    ['-1', null],
  ])('search radius %s', (s, deg) => {
    const v = searchRadiusDegrees(s);
    if (deg === null) expect(v).toBeNull();
    else expect(v).toBeCloseTo(deg, 12);
  });

  it('defaults the radius to 180 arcsec with the archive’s warning', () => {
    const sel = { ra: '150', dec: '-30', warnings: [], unrecognised: [] } as Selection;
    expect(positionConstraint(sel)).toEqual({
      cone: { ra: 150, dec: -30, radius: 0.05 },
      warnings: ['No Search Radius given, defaulting to 3 arcmin'],
    });
  });
});
