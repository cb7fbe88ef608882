import { describe, expect, it } from 'vitest';
import {
  isOpenQuery,
  parseSelection,
  selectionToString,
  unrecognisedMessage,
  type Selection,
} from '../../../src/gemini/selection/index.js';

const NOW = new Date('2024-05-06T12:00:00Z');
const parse = (p: string | string[], bareDates?: 'utc' | 'night') =>
  parseSelection(p, { now: NOW, bareDates });

/** The selection's terms without the bookkeeping arrays. */
function terms(sel: Selection): Record<string, unknown> {
  const { warnings: _w, unrecognised: _u, ...rest } = sel;
  return rest;
}

describe('parseSelection: splitting', () => {
  it('reads slash-separated terms, ignoring empty ones, a query string and a fragment', () => {
    const s = parse('//GN-2019A-FT-211//science/20200101/?pending_ingest#x');
    expect(terms(s)).toEqual({
      program_id: 'GN-2019A-FT-211',
      observation_class: 'science',
      night: '20200101',
    });
    expect(s.unrecognised).toEqual([]);
  });

  it('URL-decodes each term after splitting, so an encoded slash stays inside its term', () => {
    const s = parse('/object=NGC%201068%2FA/filter=Ha%2BNII');
    expect(s.object).toBe('NGC 1068/A');
    expect(s.filter).toBe('Ha+NII');
  });

  it('keeps a term with a lone percent sign as written', () => {
    expect(parse('/object=50%*').object).toBe('50%*');
  });

  it('accepts a list of already-decoded terms', () => {
    expect(terms(parse(['GMOS-S', 'BIAS', 'object=a/b']))).toEqual({
      inst: 'GMOS-S',
      observation_type: 'BIAS',
      object: 'a/b',
    });
  });

  it('gives an empty selection for an empty path', () => {
    expect(parse('')).toEqual({ warnings: [], unrecognised: [] });
    expect(parse('/')).toEqual({ warnings: [], unrecognised: [] });
  });
});

describe('parseSelection: identifiers', () => {
  it.each([
    ['GN-2019A-FT-211', 'program_id'],
    ['GS-2020B-Q-123', 'program_id'],
    ['GS-CAL20200101', 'program_id'],
    ['GN-ENG20200103', 'program_id'],
    ['CAL20200101', 'program_id'],
    ['GN-2020A-CAL-191', 'program_id'],
    ['G-2025A-1234-Q', 'program_id'],
    ['GN-2019A-FT-211-12', 'observation_id'],
    ['GS-CAL20200101-3', 'observation_id'],
    ['GN-2019A-FT-211-12-003', 'data_label'],
    ['GS-CAL20200101-3-001-BIAS', 'data_label'],
  ])('%s is a %s', (term, key) => {
    const s = parse('/' + term);
    expect(terms(s)).toEqual({ [key]: term });
  });

  it('keeps only the most specific identifier', () => {
    expect(terms(parse('/GN-2019A-FT-211/GN-2019A-FT-211-12'))).toEqual({
      observation_id: 'GN-2019A-FT-211-12',
    });
    expect(terms(parse('/GN-2019A-FT-211-12-003/GN-2019A-FT-211'))).toEqual({
      data_label: 'GN-2019A-FT-211-12-003',
    });
  });

  it('takes non-standard ids through progid=, obsid= and datalabel=', () => {
    expect(terms(parse('/progid=Engineering Test'))).toEqual({ program_id: 'Engineering Test' });
    expect(terms(parse('/obsid=odd-obs-1'))).toEqual({ observation_id: 'odd-obs-1' });
    expect(terms(parse('/datalabel=odd-dl'))).toEqual({ data_label: 'odd-dl' });
  });

  it('reads progid= by what the value is', () => {
    expect(terms(parse('/progid=GN-2019A-FT-211-12-003'))).toEqual({ data_label: 'GN-2019A-FT-211-12-003' });
    expect(terms(parse('/progid=GN-2019A-FT-211-12'))).toEqual({ observation_id: 'GN-2019A-FT-211-12' });
    expect(terms(parse('/progid= GN-2019A-FT-211 '))).toEqual({ program_id: 'GN-2019A-FT-211' });
  });
});

describe('parseSelection: files', () => {
  it.each([
    ['N20200101S0001.fits', 'N20200101S0001.fits'],
    ['N20200101S0001', 'N20200101S0001.fits'],
    ['N20200101S0001.fits.bz2', 'N20200101S0001.fits'],
    ['S20200101S0001_flat.fits', 'S20200101S0001_flat.fits'],
    ['N20190313A0002r.fits', 'N20190313A0002r.fits'],
    ['SDCH_20200131_0010.fits', 'SDCH_20200131_0010.fits'],
    ['rgN20100212S0301', 'rgN20100212S0301.fits'],
  ])('bare %s is file %s', (term, name) => {
    expect(terms(parse('/' + term))).toEqual({ filename: name });
  });

  it('takes filename= as given, less .bz2', () => {
    expect(parse('/filename=N20200101S0001.fits.bz2').filename).toBe('N20200101S0001.fits');
    expect(parse('/filename=anything.txt').filename).toBe('anything.txt');
  });

  it('reads short N20../S20.. terms and filepre= as filename prefixes', () => {
    expect(terms(parse('/N2020'))).toEqual({ filepre: 'N2020' });
    expect(terms(parse('/S20200101S'))).toEqual({ filepre: 'S20200101S' });
    expect(terms(parse('/filepre=N20200101S00'))).toEqual({ filepre: 'N20200101S00' });
  });
});

describe('parseSelection: instruments and telescopes', () => {
  it.each([
    ['GMOS-N', 'GMOS-N'],
    ['gmos-s', 'GMOS-S'],
    ['GMOS', 'GMOS'],
    ['niri', 'NIRI'],
    ['f2', 'F2'],
    ['GNIRS', 'GNIRS'],
    ['gsaoi', 'GSAOI'],
    ['NIFS', 'NIFS'],
    ['ghost', 'GHOST'],
    ['GPI', 'GPI'],
    ['igrins', 'IGRINS'],
    ['IGRINS-2', 'IGRINS-2'],
    ['Graces', 'GRACES'],
    ['maroon-x', 'MAROON-X'],
    ['Alopeke', 'ALOPEKE'],
    ['ZORRO', 'ZORRO'],
    ['Michelle', 'michelle'],
    ['TRECS', 'TReCS'],
    ['bhros', 'bHROS'],
    ['hokupaa+quirc', 'Hokupaa+QUIRC'],
  ])('%s → %s', (term, inst) => {
    expect(terms(parse('/' + term))).toEqual({ inst });
  });

  it('reads inst= and instrument=, passing unknown names through', () => {
    expect(parse('/inst=gmos-n').inst).toBe('GMOS-N');
    expect(parse('/instrument=Visitor').inst).toBe('Visitor');
  });

  it.each([
    ['GeminiNorth', 'Gemini-North'],
    ['gemini-south', 'Gemini-South'],
    ['Gemini_North', 'Gemini-North'],
  ])('telescope %s', (term, telescope) => {
    expect(terms(parse('/' + term))).toEqual({ telescope });
  });
});

describe('parseSelection: observation type, class and processing', () => {
  it.each([
    'OBJECT',
    'BIAS',
    'DARK',
    'FLAT',
    'ARC',
    'PINHOLE',
    'RONCHI',
    'CAL',
    'FRINGE',
    'MASK',
    'BPM',
    'STANDARD',
  ])('observation type %s', (t) => expect(terms(parse('/' + t))).toEqual({ observation_type: t }));

  it.each(['science', 'acq', 'acqCal', 'progCal', 'partnerCal', 'dayCal', 'nightCal'])(
    'observation class %s',
    (c) => expect(terms(parse('/' + c))).toEqual({ observation_class: c }),
  );

  it('is case-sensitive for types and classes, as the archive is', () => {
    expect(parse('/Object/SCIENCE').unrecognised).toEqual(['Object', 'SCIENCE']);
  });

  it('reads calibration types, processing modes and reduction states', () => {
    expect(terms(parse('/bias'))).toEqual({ caltype: 'bias' });
    expect(terms(parse('/processed_flat'))).toEqual({ caltype: 'processed_flat' });
    expect(terms(parse('/Quick-Look'))).toEqual({ processing: 'Quick-Look' });
    expect(terms(parse('/PROCESSED_BIAS'))).toEqual({ reduction: 'PROCESSED_BIAS' });
  });
});

describe('parseSelection: dates and nights', () => {
  it('reads a bare date as an observing night, as archive.gemini.edu does, and a range with its ends in order', () => {
    expect(terms(parse('/20200101'))).toEqual({ night: '20200101' });
    expect(terms(parse('/20190131-20190101'))).toEqual({ nightrange: '20190101-20190131' });
  });

  it('resolves today, yesterday and tomorrow (UT) to dates', () => {
    expect(parse('/today').night).toBe('20240506');
    expect(parse('/yesterday').night).toBe('20240505');
    expect(parse('/tomorrow').night).toBe('20240507');
  });

  it('reads the archive’s day-span words as ranges ending today', () => {
    expect(parse('/twoday').nightrange).toBe('20240505-20240506');
    expect(parse('/sevenday').nightrange).toBe('20240430-20240506');
  });

  it('refuses impossible dates and dates outside 1999-2099', () => {
    const s = parse('/20201301/19980101/20200230-20200301/20200101-2020');
    expect(terms(s)).toEqual({});
    expect(s.unrecognised).toEqual(['20201301', '19980101', '20200230-20200301', '20200101-2020']);
  });

  it('reads date=, daterange=, night= and nightrange=', () => {
    expect(terms(parse('/date=20200101'))).toEqual({ date: '20200101' });
    expect(terms(parse('/daterange=20200105-20200101'))).toEqual({ daterange: '20200101-20200105' });
    expect(terms(parse('/night=20200101'))).toEqual({ night: '20200101' });
    expect(terms(parse('/night=today'))).toEqual({ night: '20240506' });
    expect(terms(parse('/nightrange=20200101-20200103'))).toEqual({ nightrange: '20200101-20200103' });
  });

  it('reports bad dates in key=value terms as unrecognised', () => {
    expect(parse('/night=20209999/date=soon').unrecognised).toEqual(['night=20209999', 'date=soon']);
  });

  it('reads bare dates as UT days when asked (the newer archive code on an archive server)', () => {
    expect(terms(parse('/20200101/20200101-20200102/twoday', 'utc'))).toEqual({
      date: '20200101',
      daterange: '20240505-20240506',
    });
  });
});

describe('parseSelection: QA, flags and modes', () => {
  it.each(['Pass', 'Usable', 'Fail', 'CHECK', 'Win', 'NotFail', 'Lucky', 'AnyQA', 'UndefinedQA'])(
    'QA %s',
    (q) => expect(terms(parse('/' + q))).toEqual({ qa_state: q }),
  );

  it.each<[string, Record<string, unknown>]>([
    ['present', { present: true }],
    ['NotPresent', { present: false }],
    ['canonical', { canonical: true }],
    ['notcanonical', { canonical: false }],
    ['engineering', { engineering: true }],
    ['notengineering', { engineering: false }],
    ['includeengineering', { engineering: 'Include' }],
    ['science_verification', { science_verification: true }],
    ['notscience_verification', { science_verification: false }],
    ['calprog', { calprog: true }],
    ['notcalprog', { calprog: false }],
    ['site_monitoring', { site_monitoring: true }],
    ['mdgood', { mdready: true }],
    ['mdbad', { mdready: false }],
    ['imaging', { spectroscopy: false }],
    ['spectroscopy', { spectroscopy: true }],
    ['LS', { mode: 'LS', spectroscopy: true }],
    ['MOS', { mode: 'MOS', spectroscopy: true }],
    ['IFS', { mode: 'IFS', spectroscopy: true }],
    ['IFU', { mode: 'IFS', spectroscopy: true }],
    ['AO', { ao: 'AO' }],
    ['NOTAO', { ao: 'NOTAO' }],
    ['NOAO', { ao: 'NOAO' }],
    ['LGS', { lgs: 'LGS', ao: 'AO' }],
    ['NGS', { lgs: 'NGS', ao: 'AO' }],
    ['twilight', { twilight: true }],
    ['nottwilight', { twilight: false }],
    ['preimage', { pre_image: true }],
    ['defaults', { engineering: false, site_monitoring: false, qa_state: 'NotFail' }],
  ])('%s', (term, expected) => {
    expect(terms(parse('/' + term))).toEqual(expected);
  });

  it('reads detector settings', () => {
    expect(terms(parse('/2x2/low/fast/Deep'))).toEqual({
      binning: '2x2',
      gain: 'low',
      readspeed: 'fast',
      welldepth: 'Deep',
    });
    expect(terms(parse('/FullFrame'))).toEqual({ detector_roi: 'Full Frame' });
    expect(terms(parse('/centralspectrum'))).toEqual({ detector_roi: 'Central Spectrum' });
    expect(terms(parse('/detector_roi=Central256'))).toEqual({ detector_roi: 'Central256' });
    expect(terms(parse('/gain=high/readspeed=medium'))).toEqual({ gain: 'high', readspeed: 'medium' });
    expect(parse('/3x3').unrecognised).toEqual(['3x3']);
  });

  it('reads GMOS gratings and masks as bare words', () => {
    expect(terms(parse('/B600/1.0arcsec'))).toEqual({ disperser: 'B600', focal_plane_mask: '1.0arcsec' });
    expect(terms(parse('/R831_G5302'))).toEqual({ disperser: 'R831' });
    expect(terms(parse('/GN2019AQ123-05'))).toEqual({ focal_plane_mask: 'GN2019AQ123-05' });
  });
});

describe('parseSelection: key=value terms', () => {
  it('keeps the values of the configuration and target terms', () => {
    const s = parse(
      '/filter=Ha/disperser=111_mm/mask=0.30arcsec/camera=GnirsLong/cenwlen=0.6/object=NGC*/exposure_time=10-20/coadds=2/raw_cc=50/raw_iq=Any/cols=CTOWBEQ',
    );
    expect(terms(s)).toEqual({
      filter: 'Ha',
      disperser: '111_mm',
      focal_plane_mask: '0.30arcsec',
      camera: 'GnirsLong',
      cenwlen: '0.6',
      object: 'NGC*',
      exposure_time: '10-20',
      coadds: '2',
      raw_cc: '50',
      raw_iq: 'Any',
      cols: 'CTOWBEQ',
    });
    expect(s.warnings).toEqual([]);
  });

  it('reads ra, dec and sr, and warns when the radius is missing (default 3 arcmin)', () => {
    const s = parse('/ra=10:00:00/dec=-30:00:00');
    expect(terms(s)).toEqual({ ra: '10:00:00', dec: '-30:00:00' });
    expect(s.warnings).toEqual(['No Search Radius given, defaulting to 3 arcmin']);
    expect(parse('/RA=150/Dec=-30/SR=10').warnings).toEqual([]);
  });

  it('warns about values it cannot read', () => {
    expect(parse('/ra=25:00:00/sr=5').warnings).toEqual(['Invalid RA format. Ignoring your RA constraint.']);
    expect(parse('/dec=abc').warnings).toEqual(['Invalid Dec format. Ignoring your Dec constraint.']);
    expect(parse('/exposure_time=long').warnings).toEqual(['Invalid format for exposure time, ignoring it.']);
    expect(parse('/cenwlen=blue').warnings).toEqual([
      'Central Wavelength value is invalid and has been ignored',
    ]);
    expect(parse('/raw_cc=cloudy').warnings).toEqual(['Invalid raw_cc value, ignoring it.']);
  });

  it('collects unknown terms, unknown keys and empty values in order', () => {
    const s = parse('/GMOS-N/foo/colour=red/filter=/Bar/20200101');
    expect(s.unrecognised).toEqual(['foo', 'colour=red', 'filter=', 'Bar']);
    expect(terms(s)).toEqual({ inst: 'GMOS-N', night: '20200101' });
  });
});

describe('isOpenQuery', () => {
  it.each(['', '/GMOS-N/OBJECT/Pass', '/science/ra=150/dec=-30/sr=10', '/object=NGC*', '/present'])(
    'open: %s',
    (p) => expect(isOpenQuery(parse(p))).toBe(true),
  );

  it.each([
    '/GN-2019A-FT-211',
    '/GN-2019A-FT-211-1',
    '/GN-2019A-FT-211-1-001',
    '/N20200101S0001.fits',
    '/N2020',
    '/20200101',
    '/20200101-20200102',
    '/night=20200101',
    '/nightrange=20200101-20200102',
    '/today',
  ])('closed: %s', (p) => expect(isOpenQuery(parse(p))).toBe(false));
});

describe('unrecognisedMessage', () => {
  it('says what the archive says, terms separated by spaces', () => {
    expect(unrecognisedMessage(parse('/GMOS-N/foo/bar=1'))).toBe(
      "WARNING: I didn't recognize the following search terms: foo bar=1",
    );
  });

  it('is null when every term was understood', () => {
    expect(unrecognisedMessage(parse('/GMOS-N/Pass'))).toBeNull();
  });
});

describe('selectionToString', () => {
  it('writes a canonical, order-independent form', () => {
    expect(selectionToString(parse('/science/20200101/GN-2019A-FT-211'))).toBe(
      'GN-2019A-FT-211/20200101/science',
    );
    expect(selectionToString(parse('/Pass/OBJECT/20190101-20190131/gmos-n/canonical'))).toBe(
      'GMOS-N/20190101-20190131/OBJECT/Pass/canonical',
    );
    expect(selectionToString(parse('/filename=N20200101S0001.fits.bz2/present'))).toBe(
      'N20200101S0001.fits/present',
    );
  });

  it('uses key= forms where a bare word would read differently', () => {
    expect(selectionToString(parse('/progid=Engineering Test'))).toBe('progid=Engineering Test');
    expect(selectionToString(parse('/gain=standard'))).toBe('gain=standard'); // bare 'standard' is a caltype
    expect(selectionToString(parse('/disperser=R400_G5305'))).toBe('disperser=R400_G5305');
    expect(selectionToString(parse('/date=20200101'))).toBe('date=20200101'); // bare is a night
    expect(selectionToString(parse('/filename=odd name.txt'))).toBe('filename=odd name.txt');
  });

  it('leaves out warnings, unrecognised terms and what other terms imply', () => {
    expect(selectionToString(parse('/LGS/LS/foo'))).toBe('LS/LGS');
  });

  it('is empty for an empty selection', () => {
    expect(selectionToString(parse(''))).toBe('');
  });

  it.each([
    '/GN-2019A-FT-211/science/20200101',
    '/canonical/GMOS-N/20190101-20190131/OBJECT/Pass',
    '/present/filename=N20200101S0001.fits',
    '/notpresent/notcanonical/includeengineering/mdbad',
    '/gmos/B600/GN2019AQ123-05/2x2/LS/ra=10:00:00/dec=-30:00:00/sr=10/object=NGC 1068%2Fcore*',
    '/GNIRS/disperser=10lXD/camera=GnirsLong/fullframe/NOTAO/Win',
    '/progid=weird one/nightrange=20200101-20200103/filepre=N2020/exposure_time=5/cenwlen=0.5-0.7',
    '/defaults/GeminiSouth/centralstamp/raw_iq=70/raw_cc=Any/coadds=4/cols=CTOWBEQ/twilight/preimage',
    '/gain=standard/readspeed=standard/welldepth=Shallow/detector_roi=Odd ROI/Quick-Look/PROCESSED_FLAT/processed_flat',
  ])('reads back to the same selection: %s', (p) => {
    const s = parse(p);
    expect(parse(selectionToString(s))).toEqual(s);
  });
});
