import { describe, expect, it } from 'vitest';
import {
  gmosDettype,
  normaliseDisperser,
  normaliseFilter,
  normaliseWavelength,
} from '../../src/calcache/posted.js';
import { parsePyRepr, PyReprError } from '../../src/calcache/pyrepr.js';

// The literals DRAGONS ≤ 4.0 posts to /calmgr, read without evaluating anything.

describe('parsePyRepr', () => {
  it('reads a descriptors dict as str(dict) prints it', () => {
    const text =
      "{'ut_datetime': datetime.datetime(2019, 3, 2, 5, 6, 7, 250000), 'data_section': [[0, 512, 0, 4224], (1, 2)], " +
      "'exposure_time': np.float64(900.5), 'nod_count': None, 'is_ao': False, 'object': 'O\\'Neil \"A\"', " +
      "'dispersion_axis': <map object at 0x7f2a1c3e5b50>, 'ut_date': datetime.date(2019, 3, 2), " +
      "'ut_time': datetime.time(5, 6, 7), 'tz': datetime.datetime(2019, 3, 2, 5, 6, tzinfo=datetime.timezone.utc), 'x': -1.5e-3,}";
    expect(parsePyRepr(text)).toEqual({
      ut_datetime: new Date('2019-03-02T05:06:07.250Z'),
      data_section: [
        [0, 512, 0, 4224],
        [1, 2],
      ],
      exposure_time: 900.5,
      nod_count: null,
      is_ao: false,
      object: 'O\'Neil "A"',
      dispersion_axis: null,
      ut_date: new Date('2019-03-02T00:00:00Z'),
      ut_time: '05:06:07',
      tz: new Date('2019-03-02T05:06:00Z'),
      x: -0.0015,
    });
  });

  it('reads sets and lists of tags, and the empty set', () => {
    expect(parsePyRepr("{'GMOS', 'RAW'}")).toEqual(['GMOS', 'RAW']);
    expect(parsePyRepr("['GMOS']")).toEqual(['GMOS']);
    expect(parsePyRepr('set()')).toEqual([]);
    expect(parsePyRepr('{}')).toEqual({});
  });

  it('says where it stopped on broken text', () => {
    expect(() => parsePyRepr("{'a': 1")).toThrow(PyReprError);
    expect(() => parsePyRepr("{'a': 1} junk")).toThrow(/trailing text at character 9/);
    expect(() => parsePyRepr("{'a': 'open")).toThrow(/unterminated string/);
  });
});

describe('DRAGONS raw values → our vocabulary', () => {
  it('disperser, filter and wavelength', () => {
    expect(normaliseDisperser('R400+_G5305', 'GMOS-N')).toBe('R400');
    expect(normaliseDisperser('32/mm_G5506&SXD_G5509', 'GNIRS')).toBe('32/mm&SXD');
    expect(normaliseFilter('open1-6&GG455_G0305')).toBe('GG455');
    expect(normaliseFilter('r_G0303&open2-8')).toBe('r');
    expect(normaliseFilter('open1-6&open2-8')).toBe('open');
    expect(normaliseWavelength(0.52)).toBe(0.52);
    expect(normaliseWavelength(520)).toBe(0.52);
    expect(normaliseWavelength(5.2e-7)).toBeCloseTo(0.52, 9);
  });

  it('GMOS detector from detector_name or the amplifier names', () => {
    expect(gmosDettype('GMOS-S', 'BI5-36-4k-2,BI11-33-4k-1,BI12-34-4k-1', null)).toBe('S10892');
    expect(gmosDettype('GMOS-N', null, "'BI13-20-4k-1, 1':[1:512,1:4224]")).toBe('S10892-N');
    expect(gmosDettype('GMOS-N', 'e2v 10031-23-05,10031-01-03,10031-18-04', null)).toBe(
      'SDSU II e2v DD CCD42-90',
    );
    expect(gmosDettype('GMOS-S', 'EEV 2037-06-03,EEV 8194-19-04,EEV 8261-07-04', null)).toBe('SDSU II CCD');
    expect(gmosDettype('GMOS-N', 'Hamamatsu-N', null)).toBe('S10892-N');
    expect(gmosDettype('GMOS-N', 'S10892-N', null)).toBe('S10892-N');
    expect(gmosDettype('GMOS-N', null, null)).toBeNull();
  });
});
