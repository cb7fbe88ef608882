import { describe, expect, it } from 'vitest';
import {
  isCalibrationProgram,
  isEngineering,
  isScienceVerification,
  isValidDataLabel,
  isValidObservationId,
  isValidProgramId,
  parseDataLabel,
  parseObservationId,
  parseProgramId,
} from '../../src/gemini/progid.js';

describe('parseProgramId', () => {
  it.each([
    ['GN-2019A-FT-211', { site: 'GN', semester: '2019A', type: 'FT', number: '211', date: null }],
    ['GS-2020B-Q-101', { site: 'GS', semester: '2020B', type: 'Q', number: '101' }],
    ['GN-2015B-SV-101', { type: 'SV' }],
    ['GS-2002B-DD-2', { type: 'DD' }],
    ['GN-2017B-LP-16', { type: 'LP' }],
    ['GS-2006A-C-10', { type: 'C' }],
    ['GS-2002B-DS-1', { type: 'DS' }],
    ['GN-2010A-QS-3', { type: 'QS' }],
    ['GN-CAL20200101', { site: 'GN', type: 'CAL', date: '20200101', semester: null }],
    ['GS-ENG20200101', { site: 'GS', type: 'ENG', date: '20200101' }],
    ['CAL20050601', { site: null, type: 'CAL', date: '20050601' }],
    ['GN-2020A-CAL-191', { type: 'CAL', semester: '2020A', number: '191' }],
    ['G-2025A-1234-Q', { site: null, semester: '2025A', type: 'Q', number: '1234' }],
    ['G-2025A-0042-V', { type: 'SV' }],
    ['G-2025B-ENG-GMOSN-01', { type: 'ENG', semester: '2025B' }],
    ['G-2025B-MON-GHOST-3', { type: 'MON' }],
  ])('reads %s', (id, expected) => {
    expect(parseProgramId(id)).toMatchObject({ programId: id, ...expected });
  });

  it('ignores surrounding blanks', () => {
    expect(parseProgramId('  GN-2019A-Q-1 ')?.programId).toBe('GN-2019A-Q-1');
  });

  it.each([
    '',
    'GN-2019C-Q-1',
    'GX-2019A-Q-1',
    'GN-2019A-XX-1',
    'GN-19A-Q-1',
    'GN-CAL2020011',
    'test',
    'GN-2019A-Q-',
  ])('rejects %j', (id) => {
    expect(parseProgramId(id)).toBeNull();
    expect(isValidProgramId(id)).toBe(false);
  });

  it('rejects non-strings', () => {
    expect(parseProgramId(undefined)).toBeNull();
    expect(parseProgramId(null)).toBeNull();
  });
});

describe('program classification', () => {
  it('engineering: ENG programs and anything that is not a valid id', () => {
    expect(isEngineering('GS-ENG20200101')).toBe(true);
    expect(isEngineering('GN-2020A-ENG-1')).toBe(true);
    expect(isEngineering('my-test')).toBe(true);
    expect(isEngineering(null)).toBe(true);
    expect(isEngineering('GN-2019A-Q-1')).toBe(false);
    expect(isEngineering('GN-CAL20200101')).toBe(false);
  });

  it('calibration and science verification', () => {
    expect(isCalibrationProgram('GN-CAL20200101')).toBe(true);
    expect(isCalibrationProgram('GN-2020A-CAL-191')).toBe(true);
    expect(isCalibrationProgram('GN-2019A-Q-1')).toBe(false);
    expect(isScienceVerification('GN-2015B-SV-101')).toBe(true);
    expect(isScienceVerification('G-2025A-0042-V')).toBe(true);
    expect(isScienceVerification('GN-2015B-Q-101')).toBe(false);
  });
});

describe('observation ids', () => {
  it('splits the observation number off a valid program id', () => {
    expect(parseObservationId('GN-2015A-Q-36-15')).toMatchObject({
      observationId: 'GN-2015A-Q-36-15',
      obsnum: 15,
      program: { programId: 'GN-2015A-Q-36' },
    });
    expect(parseObservationId('GN-CAL20220314-18')?.program.type).toBe('CAL');
  });

  it('rejects a program id alone or junk', () => {
    // 'GN-2015A-Q-36' would split into 'GN-2015A-Q' + 36, which is not a program.
    expect(parseObservationId('GN-2015A-Q-36')).toBeNull();
    expect(isValidObservationId('GN-2015A-Q-36-x')).toBe(false);
    expect(isValidObservationId('15')).toBe(false);
  });
});

describe('data labels', () => {
  it('reads <obsid>-<dlnum>', () => {
    expect(parseDataLabel('GN-2015A-Q-36-15-001')).toMatchObject({
      dlnum: 1,
      extension: null,
      base: 'GN-2015A-Q-36-15-001',
      observation: { observationId: 'GN-2015A-Q-36-15', obsnum: 15 },
    });
  });

  it('accepts processing suffixes written by old reduction packages', () => {
    expect(parseDataLabel('GS-2010A-Q-36-5-246-rg')).toMatchObject({
      extension: 'RG',
      base: 'GS-2010A-Q-36-5-246',
    });
    expect(parseDataLabel('GN-2016A-Q-68-46-001-MRG-ADD')?.extension).toBe('MRG-ADD');
    expect(parseDataLabel('GN-2007B-Q-107-150-004_DARK')?.extension).toBe('DARK');
  });

  it('rejects bad labels', () => {
    for (const dl of ['GN-2015A-Q-36-15', 'GN-2015A-Q-36-15-', 'GN-2015A-Q-36-15-001-7', 'X-1-2', '']) {
      expect(isValidDataLabel(dl)).toBe(false);
    }
  });
});
