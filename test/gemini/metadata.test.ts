import { describe, expect, it } from 'vitest';
import { extractMetadata } from '../../src/gemini/metadata.js';
import { qaStateOf } from '../../src/gemini/instruments/generic.js';
import { HEADER_COLUMNS as TABLE_COLUMNS } from '../../src/gemini/headerrow.js';
import { dhsPrimary, file } from './helpers.js';

// The header table's columns, as ingest writes them: every one must come out of extractMetadata.
const HEADER_COLUMNS = [...TABLE_COLUMNS].sort();

describe('extractMetadata: Gemini-wide fields', () => {
  const row = extractMetadata(file(dhsPrimary({ INSTRUME: 'SOMECAM', EXPTIME: 30, COADDS: 2 })));

  it('returns exactly the header table columns', () => {
    expect(Object.keys(row).sort()).toEqual(HEADER_COLUMNS);
  });

  it('identifies the observation', () => {
    expect(row).toMatchObject({
      program_id: 'GN-2021A-Q-7',
      observation_id: 'GN-2021A-Q-7-3',
      data_label: 'GN-2021A-Q-7-3-012',
      telescope: 'Gemini-North',
      instrument: 'SOMECAM',
      observation_type: 'OBJECT',
      observation_class: 'science',
      object: 'Test Galaxy',
      engineering: false,
      science_verification: false,
      calibration_program: false,
    });
  });

  it('combines DATE-OBS with the UT card, to the microsecond', () => {
    expect(row.ut_datetime).toBe('2021-03-04T08:15:30.500000Z');
    expect(row.local_time).toBe('22:15:30');
  });

  it('reads positions and conditions as numbers', () => {
    expect(row).toMatchObject({ ra: 150.25, dec: 2.5, azimuth: 120.5, elevation: 60.25, airmass: 1.15 });
    expect(row).toMatchObject({ raw_iq: 70, raw_cc: 50, raw_wv: 100, raw_bg: 80 });
    expect(row).toMatchObject({ requested_iq: 85, requested_cc: 70, requested_wv: 100, requested_bg: 100 });
  });

  it('sums coadds into the exposure time for raw data', () => {
    expect(row.exposure_time).toBe(60);
    expect(row.coadds).toBe(2);
  });

  it('defaults the detector description', () => {
    expect(row).toMatchObject({ detector_binning: '1x1', detector_roi_setting: 'Fixed' });
    expect(row).toMatchObject({ spectroscopy: false, mode: 'imaging', reduction: 'RAW' });
    expect(row).toMatchObject({ adaptive_optics: false, laser_guide_star: false });
  });

  it('keeps release, QA and the primary cards', () => {
    expect(row.release).toBe('2022-03-04');
    expect(row.qa_state).toBe('Pass');
    expect(row.keywords).toMatchObject({ SIMPLE: true, NAXIS: 0, OBJECT: 'Test Galaxy', EXPTIME: 30 });
    expect(row.types).toEqual(expect.arrayContaining(['GEMINI', 'NORTH', 'RAW', 'UNPREPARED', 'SIDEREAL']));
  });
});

describe('extractMetadata: odd headers', () => {
  it('takes a full DATE-OBS timestamp as is', () => {
    const p = dhsPrimary({ 'DATE-OBS': '2024-07-22T06:07:47.1' });
    delete p.UT;
    expect(extractMetadata(file(p)).ut_datetime).toBe('2024-07-22T06:07:47.100000Z');
  });

  it('falls back to MJD-OBS', () => {
    const p = dhsPrimary({ 'MJD-OBS': 59000.5 });
    delete p['DATE-OBS'];
    delete p.UT;
    expect(extractMetadata(file(p)).ut_datetime).toBe('2020-05-31T12:00:00Z');
  });

  it('turns junk into nulls instead of failing the file', () => {
    const row = extractMetadata(
      file(
        dhsPrimary({
          RA: 'nonsense',
          DEC: 999,
          AIRMASS: 0.5,
          EXPTIME: -1,
          RAWIQ: 'UNKNOWN',
          RELEASE: 'soon',
          OBSTYPE: 'WHATEVER',
          OBSCLASS: 'someClass',
          LT: 'noon',
        }),
      ),
    );
    expect(row).toMatchObject({
      ra: null,
      dec: null,
      airmass: null,
      exposure_time: null,
      raw_iq: null,
      release: null,
      observation_type: null,
      observation_class: null,
      local_time: null,
    });
  });

  it('reads sexagesimal RA (hours) and Dec (degrees)', () => {
    const row = extractMetadata(file(dhsPrimary({ RA: '10:00:00.0', DEC: '-30:30:00' })));
    expect(row.ra).toBeCloseTo(150, 9);
    expect(row.dec).toBeCloseTo(-30.5, 9);
  });

  it('nulls the sky position of alt-az (parked) pointings', () => {
    const row = extractMetadata(file(dhsPrimary({ FRAME: 'AZEL_TOPO', AIRMASS: 1.0 })));
    expect(row.ra).toBeNull();
    expect(row.types).toEqual(expect.arrayContaining(['AZEL_TARGET', 'AT_ZENITH']));
  });

  it('marks engineering, calibration and SV programs', () => {
    expect(extractMetadata(file(dhsPrimary({ GEMPRGID: 'GN-ENG20210304' }))).engineering).toBe(true);
    expect(extractMetadata(file(dhsPrimary({ GEMPRGID: 'made-up test' }))).engineering).toBe(true);
    const cal = extractMetadata(file(dhsPrimary({ GEMPRGID: 'GN-CAL20210304' })));
    expect(cal).toMatchObject({ calibration_program: true, engineering: false });
    expect(extractMetadata(file(dhsPrimary({ GEMPRGID: 'GN-2021A-SV-101' }))).science_verification).toBe(
      true,
    );
    const none = dhsPrimary();
    delete none.GEMPRGID;
    expect(extractMetadata(file(none))).toMatchObject({ program_id: null, engineering: true });
  });

  it('upper-cases ids and normalises names', () => {
    const row = extractMetadata(
      file(dhsPrimary({ DATALAB: 'gn-2021a-q-7-3-012', TELESCOP: 'gemini_north', INSTRUME: 'gmos-n' })),
    );
    expect(row.data_label).toBe('GN-2021A-Q-7-3-012');
    expect(row.telescope).toBe('Gemini-North');
    // A blank is not one of the spellings the archive mends (IGRINS writes 'Gemini South').
    expect(extractMetadata(file(dhsPrimary({ TELESCOP: 'Gemini South' }))).telescope).toBeNull();
    expect(row.instrument).toBe('GMOS-N');
  });

  it('rejects an empty header list', () => {
    expect(() => extractMetadata([])).toThrow();
  });
});

describe('qa_state', () => {
  it.each([
    ['USABLE', 'YES', 'Pass'],
    ['USABLE', 'NO', 'Usable'],
    ['BAD', 'YES', 'Fail'],
    ['BAD', 'NO', 'Fail'],
    ['CHECK', 'YES', 'CHECK'],
    ['USABLE', 'CHECK', 'CHECK'],
    ['UNKNOWN', 'YES', 'Undefined'],
    // UNKNOWN wins even over BAD: the flags are not both set yet.
    ['BAD', 'UNKNOWN', 'Undefined'],
    [undefined, 'YES', 'Undefined'],
    [undefined, undefined, 'Undefined'],
    ['usable', 'yes', 'Pass'],
  ])('RAWGEMQA=%s RAWPIREQ=%s → %s', (gem, pi, expected) => {
    expect(qaStateOf(gem, pi)).toBe(expected);
    const p = dhsPrimary({ RAWGEMQA: gem as never, RAWPIREQ: pi as never });
    if (gem === undefined) delete p.RAWGEMQA;
    if (pi === undefined) delete p.RAWPIREQ;
    expect(extractMetadata(file(p)).qa_state).toBe(expected);
  });

  it('mask definition files always pass', () => {
    expect(extractMetadata(file(dhsPrimary({ OBSTYPE: 'MASK', RAWGEMQA: 'UNKNOWN' }))).qa_state).toBe('Pass');
  });
});

describe('reduction, processing and the new archive columns', () => {
  const flat = dhsPrimary({ INSTRUME: 'GMOS-N', OBSTYPE: 'FLAT' });

  it('a processed file named after its kind is that kind, even when its keywords say nothing', () => {
    expect(extractMetadata(file(flat), { filename: 'N20200101S0001_flat_pasted.fits' }).reduction).toBe(
      'PROCESSED_FLAT',
    );
    expect(extractMetadata(file(flat), { filename: 'N20120320S0328_stack_fringe.fits.bz2' }).reduction).toBe(
      'PROCESSED_FRINGE',
    );
    expect(extractMetadata(file(flat), { filename: 'N20200101S0001.fits' }).reduction).toBe('RAW');
    // The reduction's own keywords win over the name.
    const science = dhsPrimary({ INSTRUME: 'GMOS-N', GMOSAIC: 'done' });
    expect(extractMetadata(file(science), { filename: 'mrgN20200101S0001_fringe.fits' }).reduction).toBe(
      'PROCESSED_SCIENCE',
    );
  });

  it('processing: Raw for raw data, PROCMODE for processed data', () => {
    expect(extractMetadata(file(flat))).toMatchObject({ procmode: null, processing: 'Raw' });
    const sq = extractMetadata(file({ ...flat, PROCMODE: 'sq', PROCFLAT: 'done' }));
    expect(sq).toMatchObject({ procmode: 'sq', processing: 'Science-Quality', reduction: 'PROCESSED_FLAT' });
    expect(extractMetadata(file({ ...flat, PROCMODE: 'QL', PROCFLAT: 'done' })).processing).toBe(
      'Quick-Look',
    );
  });

  it('airmass only from a number card (a string such as CIRPASS writes gives none, as in the archive)', () => {
    expect(extractMetadata(file({ ...flat, AIRMASS: 1.25 })).airmass).toBe(1.25);
    expect(extractMetadata(file({ ...flat, AIRMASS: '1.250' })).airmass).toBeNull();
  });

  it('cass_rotator_pa from CRPA, within ±360 degrees; no photometric standard without a catalogue', () => {
    expect(extractMetadata(file({ ...flat, CRPA: -90.5 })).cass_rotator_pa).toBe(-90.5);
    expect(extractMetadata(file({ ...flat, CRPA: 400 })).cass_rotator_pa).toBeNull();
    expect(extractMetadata(file({ ...flat, CRPA: 'unknown' })).cass_rotator_pa).toBeNull();
    expect(extractMetadata(file(flat)).phot_standard).toBeNull();
  });

  it("the read mode as astrodata names it, 'None' when a Gemini instrument gives none", () => {
    expect(extractMetadata(file({ ...flat, INSTRUME: 'SOMECAM' })).detector_readmode_setting).toBe('None');
    expect(extractMetadata(file({ ...flat, INSTRUME: 'SOMECAM', READMODE: 'Bright Objects' }))).toMatchObject(
      {
        detector_readmode_setting: 'Bright_Objects',
      },
    );
    expect(extractMetadata(file(flat)).detector_readmode_setting).toBe('Classic');
    expect(extractMetadata(file({ ...flat, NODPIX: 1536 })).detector_readmode_setting).toBe('NodAndShuffle');
  });
});
