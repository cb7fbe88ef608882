import { describe, expect, it } from 'vitest';
import { extractMetadata } from '../../src/gemini/metadata.js';
import { type Cards, dhsPrimary, file } from './helpers.js';

/** A TAN WCS whose reference pixel is (x, y). */
function tan(ra: number, dec: number, x: number, y: number): Cards {
  return {
    CTYPE1: 'RA---TAN',
    CTYPE2: 'DEC--TAN',
    CRVAL1: ra,
    CRVAL2: dec,
    CRPIX1: x,
    CRPIX2: y,
    CD1_1: -2e-5,
    CD1_2: 0,
    CD2_1: 0,
    CD2_2: 2e-5,
  };
}

describe('GMOS', () => {
  const amp = (over: Cards = {}): Cards => ({
    XTENSION: 'IMAGE',
    EXTNAME: 'SCI',
    NAXIS1: 544,
    NAXIS2: 2112,
    CCDSUM: '2 2',
    GAIN: 1.6,
    ...tan(150.2601, 2.4998, 100, 100),
    ...over,
  });
  const imaging = dhsPrimary({
    INSTRUME: 'GMOS-N',
    GRATING: 'MIRROR',
    MASKNAME: 'None',
    MASKTYP: 0,
    FILTER1: 'r_G0303',
    FILTER2: 'open2-8',
    DETTYPE: 'S10892-N',
    AMPINTEG: 1000,
    DETRO1X: 1,
    DETRO1XS: 3072,
    DETRO1Y: 1,
    DETRO1YS: 2112,
    EXPTIME: 120.000123,
    OIWFS_ST: 'guiding',
  });

  it('imaging', () => {
    const row = extractMetadata(file(imaging, amp(), amp(), amp()));
    expect(row).toMatchObject({
      instrument: 'GMOS-N',
      camera: 'GMOS-N',
      filter_name: 'r',
      disperser: 'MIRROR',
      focal_plane_mask: 'Imaging',
      central_wavelength: null,
      wavelength_band: 'r',
      detector_binning: '2x2',
      detector_roi_setting: 'Full Frame',
      detector_gain_setting: 'low',
      detector_readspeed_setting: 'fast',
      exposure_time: 120.0001,
      spectroscopy: false,
      mode: 'imaging',
      wavefront_sensor: 'OIWFS',
      // GMOS: the first amplifier's reference value is the field centre.
      ra: 150.2601,
      dec: 2.4998,
    });
    expect(row.types).toEqual(expect.arrayContaining(['GMOS', 'IMAGE']));
  });

  it('tolerates one odd amplifier gain, not two', () => {
    expect(extractMetadata(file(imaging, amp(), amp({ GAIN: 5 }), amp())).detector_gain_setting).toBe('low');
    expect(
      extractMetadata(file(imaging, amp({ GAIN: 5 }), amp({ GAIN: 5 }), amp())).detector_gain_setting,
    ).toBe('high');
  });

  it('long-slit spectroscopy', () => {
    const ls = {
      ...imaging,
      GRATING: 'R400+_G5305',
      MASKNAME: '1.0arcsec',
      MASKTYP: 1,
      CENTWAVE: 650.0,
      FILTER1: 'open1-6',
      AMPINTEG: 9000,
      DETRO1Y: 1625,
      DETRO1YS: 512,
    };
    const row = extractMetadata(file(ls, amp(), amp()));
    expect(row).toMatchObject({
      disperser: 'R400',
      focal_plane_mask: '1.0arcsec',
      filter_name: 'open',
      central_wavelength: 0.65,
      wavelength_band: 'r',
      spectroscopy: true,
      mode: 'LS',
      detector_readspeed_setting: 'slow',
      detector_roi_setting: 'Central Spectrum',
    });
    expect(row.types).toEqual(expect.arrayContaining(['SPECT', 'LS']));
  });

  it('a bias is neither image nor spectrum', () => {
    const row = extractMetadata(file({ ...imaging, OBSTYPE: 'BIAS', OBSCLASS: 'dayCal' }, amp()));
    expect(row.types).toEqual(expect.arrayContaining(['BIAS', 'CAL']));
    expect(row.types).not.toContain('IMAGE');
    expect(row).toMatchObject({ observation_type: 'BIAS', wavelength_band: null, spectroscopy: false });
  });

  it('processed files: reduction state from the processing keywords', () => {
    const flat = { ...imaging, OBSTYPE: 'FLAT', PROCFLAT: 'done', GPREPARE: 'done', 'GEM-TLM': 'today' };
    expect(extractMetadata(file(flat, amp())).reduction).toBe('PROCESSED_FLAT');
    const sci = { ...imaging, GMOSAIC: 'done', GPREPARE: 'done', 'GEM-TLM': 'today' };
    expect(extractMetadata(file(sci, amp())).reduction).toBe('PROCESSED_SCIENCE');
    expect(extractMetadata(file({ ...imaging, GPREPARE: 'done' }, amp())).reduction).toBe('PREPARED');
  });
});

describe('NIRI', () => {
  const base = dhsPrimary({
    INSTRUME: 'NIRI',
    CAMERA: 'f6',
    FILTER1: 'H_G0203',
    FILTER2: 'open',
    FILTER3: 'pupil38_G5207',
    FPMASK: 'f6-cam_G5208',
    A_VDDUC: -3.5,
    A_VDET: -2.9,
    EXPTIME: 5,
    COADDS: 3,
  });
  const ext = { XTENSION: 'IMAGE', NAXIS1: 1024, NAXIS2: 1024 };

  it('imaging', () => {
    expect(extractMetadata(file(base, ext))).toMatchObject({
      filter_name: 'H',
      wavelength_band: 'H',
      disperser: 'MIRROR',
      camera: 'f6',
      focal_plane_mask: 'f6-cam',
      detector_welldepth_setting: 'Shallow',
      detector_roi_setting: 'Full Frame',
      exposure_time: 15,
      coadds: 3,
      mode: 'imaging',
    });
  });

  it('sub-arrays and grism spectroscopy', () => {
    const row = extractMetadata(
      file(
        { ...base, FILTER1: 'Ksort_G0211', FILTER3: 'Kgrism_G5204', FPMASK: 'f6-2pix_G5211', A_VDET: -2.63 },
        { ...ext, NAXIS1: 256, NAXIS2: 256 },
      ),
    );
    expect(row).toMatchObject({
      filter_name: 'K_order_sort',
      disperser: 'Kgrism',
      central_wavelength: 2.263,
      wavelength_band: 'K',
      mode: 'LS',
      spectroscopy: true,
      detector_roi_setting: 'Central256',
      detector_welldepth_setting: 'Deep',
    });
  });
});

describe('F2', () => {
  const base = dhsPrimary({
    INSTRUME: 'F2',
    TELESCOP: 'Gemini-South',
    OBSERVAT: 'Gemini-South',
    FILTER1: 'Open',
    FILTER2: 'J_G0802',
    GRISM: 'Open',
    LYOT: 'f/16_G5830',
    MOSPOS: 'Open',
    DECKER: 'Open',
    EXPTIME: 10,
  });
  const ext = { XTENSION: 'IMAGE', NAXIS1: 2048, NAXIS2: 2048, NAXIS3: 1, ...tan(80.5, -20.25, 1035, 1055) };

  it('imaging, with the position at the rotator centre', () => {
    const row = extractMetadata(file(base, ext));
    expect(row).toMatchObject({
      filter_name: 'J',
      wavelength_band: 'J',
      camera: 'f/16',
      disperser: 'Open',
      focal_plane_mask: 'Open',
      mode: 'imaging',
      ra: 80.5,
      dec: -20.25,
    });
  });

  it('long slit', () => {
    const ls = {
      ...base,
      GRISM: 'JH_G5801',
      FILTER2: 'JH_G0809',
      MOSPOS: '2pix-slit',
      DECKER: 'Long_slit',
      GRWLEN: 1.39,
    };
    expect(extractMetadata(file(ls, ext))).toMatchObject({
      disperser: 'JH',
      focal_plane_mask: '2pix-slit',
      central_wavelength: 1.39,
      wavelength_band: 'J',
      mode: 'LS',
      spectroscopy: true,
    });
  });

  it('a dark filter makes a dark', () => {
    const row = extractMetadata(file({ ...base, FILTER1: 'DK_G0807' }, ext));
    expect(row.filter_name).toBe('dark');
    expect(row.types).toContain('DARK');
    expect(row.mode).toBe('imaging');
  });
});

describe('GNIRS', () => {
  const base = dhsPrimary({
    INSTRUME: 'GNIRS',
    ACQMIR: 'Out',
    SLIT: '0.30arcsec_G5530',
    DECKER: 'SCLong_G5508',
    GRATING: '32/mmSB_G5533',
    PRISM: 'MIR_G5511',
    GRATWAVE: 2.2,
    FILTER1: 'Open',
    FILTER2: 'XD_G0526',
    DETBIAS: -0.3,
    CAMERA: 'ShortBlue_G5540',
  });

  it('long slit', () => {
    expect(extractMetadata(file(base))).toMatchObject({
      disperser: '32_mm',
      focal_plane_mask: '0.30arcsec',
      central_wavelength: 2.2,
      wavelength_band: 'K',
      mode: 'LS',
      detector_welldepth_setting: 'Shallow',
      camera: 'ShortBlue',
    });
  });

  it('cross-dispersed', () => {
    const xd = { ...base, PRISM: 'SXD_G5536', DECKER: 'SCXD_G5531', GRATWAVE: 1.65 };
    const row = extractMetadata(file(xd));
    expect(row).toMatchObject({
      disperser: '32_mm&XD',
      focal_plane_mask: '0.30arcsecXD',
      mode: 'spectroscopy',
    });
    expect(row.types).toContain('XD');
  });

  it('acquisition imaging through the mirror', () => {
    const acq = { ...base, ACQMIR: 'In', FILTER2: 'H2_G0522', SLIT: 'Acquisition', DECKER: 'Acquisition' };
    expect(extractMetadata(file(acq))).toMatchObject({
      disperser: 'MIRROR',
      focal_plane_mask: 'Acq',
      filter_name: 'H2',
      wavelength_band: 'K',
      mode: 'imaging',
      central_wavelength: null,
    });
  });
});

describe('GSAOI', () => {
  it('imaging behind GeMS, coadds averaged', () => {
    const p = dhsPrimary({
      INSTRUME: 'GSAOI',
      TELESCOP: 'Gemini-South',
      FILTER1: 'Kshort_G1105',
      FILTER2: 'Open',
      DETECTOR: 'GSAOI',
      EXPTIME: 60,
      COADDS: 2,
      GWFS1CFG: 'on',
    });
    const array = { XTENSION: 'IMAGE', NAXIS1: 2048, NAXIS2: 2048, ...tan(10.5, -60.5, 1, 1) };
    expect(extractMetadata(file(p, array, array))).toMatchObject({
      instrument: 'GSAOI',
      filter_name: 'Kshort',
      wavelength_band: 'K',
      camera: 'GSAOI',
      exposure_time: 60,
      wavefront_sensor: 'GEMS',
      mode: 'imaging',
      ra: 10.5,
      dec: -60.5,
    });
  });
});

describe('GHOST', () => {
  it('a raw bundle: exposure of the shorter arm, resolution; not spectroscopy (no SPECT tag)', () => {
    const p = dhsPrimary({
      INSTRUME: 'GHOST',
      TELESCOP: 'Gemini-South',
      DATE: '2023-06-01',
      UT: '03:00:00.4',
      NREDEXP: 3,
      REDEXPT: 300,
      NBLUEEXP: 1,
      BLUEEXPT: 1000,
      REDCCDS: '1 x 2',
      BLUCCDS: '1 x 2',
      RESOLUT: 'High',
    });
    delete p['DATE-OBS'];
    const sub = (camera: string): Cards => ({
      XTENSION: 'IMAGE',
      CAMERA: camera,
      'DATE-OBS': '2023-06-01',
      UTSTART: '03:00:01',
    });
    const row = extractMetadata(file(p, sub('SLITV'), sub('BLUE'), sub('RED')));
    expect(row).toMatchObject({
      exposure_time: 900,
      focal_plane_mask: 'HR',
      detector_binning: '1x2',
      spectroscopy: false,
      ut_datetime: '2023-06-01T03:00:01Z',
    });
    expect(row.types).toEqual(expect.arrayContaining(['GHOST', 'BUNDLE']));
  });
});

describe('IGRINS-2', () => {
  const p = dhsPrimary({ INSTRUME: 'IGRINS-2', EXPTIME: 0 });
  const band = (f: string, exptime: number): Cards => ({ XTENSION: 'IMAGE', FILTER: f, EXPTIME: exptime });

  it('a raw H+K bundle: the longer arm, filed as imaging as the archive does', () => {
    const row = extractMetadata(file(p, band('H', 100), band('K', 120)));
    expect(row).toMatchObject({
      instrument: 'IGRINS-2',
      exposure_time: 120,
      spectroscopy: false,
      mode: 'imaging',
    });
    expect(row.types).toContain('BUNDLE');
  });

  it('a single-band file is a spectrum', () => {
    const row = extractMetadata(file({ ...p, FILTER: 'K' }, band('K', 120)));
    expect(row).toMatchObject({ spectroscopy: true, central_wavelength: 2.120674, wavelength_band: 'K' });
  });
});

describe('instruments without a module', () => {
  it('fall back to the Gemini-wide rules', () => {
    const row = extractMetadata(
      file(dhsPrimary({ INSTRUME: 'NEWCAM', FILTER1: 'g_G0301', FILTER2: 'open' })),
    );
    expect(row).toMatchObject({ instrument: 'NEWCAM', filter_name: 'g', mode: 'imaging' });
  });
});
