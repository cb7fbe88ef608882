// Near-infrared imagers and spectrographs: NIRI, F2, GNIRS, GSAOI. Their arrays have no bias
// frame; darks match exposure time and read mode (LNRS/NDAVGS reads, coadds, well depth), flats
// match the optical path (filter, camera, mask, disperser) and read setup, arcs the spectroscopic
// setup. After the Gemini archive's CalibrationNIRI/F2/GNIRS/GSAOI, with one rule shape for all.
//
// Which frames need what: science (non-acquisition OBJECT) frames get darks, flats and, when
// spectroscopic, arcs; flats get darks; GNIRS spectra get no darks (sky subtraction removes
// them); processed_bpm for every raw frame.

import {
  kw,
  type CalRule,
  type Field,
  type InstrumentRules,
  type MatchColumn,
  type Target,
} from './types.js';

interface NirSetup {
  instruments: readonly string[];
  /** Read-mode fields: what must match for a dark or flat to share the array's bias pattern. */
  readMode: Field[];
  /** Exposure-time tolerance of darks, seconds. */
  darkExposure: number;
  darkDays: number;
  flatDays: number;
  /** Optical path of flats. */
  flatMatch: MatchColumn[];
  /** Dark frames help spectroscopy too (not GNIRS: sky subtraction removes the dark current). */
  spectraNeedDarks: boolean;
  /** Images are associated with images of photometric standard fields (the archive does so for NIRI). */
  photometricStandards?: boolean;
}

const NM = 0.001; // microns

function rulesFrom(s: NirSetup): InstrumentRules {
  // Binning is always 1x1 on these arrays; matching it lets the raw-calibration index serve the scan.
  const darkMatch: Field[] = ['instrument', 'detector_binning', ...s.readMode, 'detector_roi_setting'];
  const darkWithin: CalRule['within'] = [['exposure_time', s.darkExposure]];
  const darks: CalRule[] = [
    {
      caltype: 'dark',
      kind: { raw: 'DARK' },
      match: darkMatch,
      within: darkWithin,
      maxDays: s.darkDays,
      limit: 10,
    },
    {
      caltype: 'processed_dark',
      kind: { processed: 'DARK' },
      match: darkMatch,
      within: darkWithin,
      maxDays: s.darkDays,
      limit: 1,
    },
  ];
  const flats = (spect: boolean): CalRule[] => {
    const match: Field[] = [
      'instrument',
      'detector_binning',
      ...s.flatMatch,
      ...s.readMode,
      'detector_roi_setting',
      'spectroscopy',
    ];
    const within: CalRule['within'] = spect ? [['central_wavelength', NM]] : undefined;
    return [
      { caltype: 'flat', kind: { raw: 'FLAT' }, match, within, maxDays: s.flatDays, limit: 10 },
      {
        caltype: 'processed_flat',
        kind: { processed: 'FLAT' },
        match,
        within,
        maxDays: s.flatDays,
        limit: 1,
      },
    ];
  };
  const arcMatch: Field[] = [
    'instrument',
    'detector_binning',
    'disperser',
    'focal_plane_mask',
    'filter_name',
    'camera',
  ];
  const arcs: CalRule[] = [
    {
      caltype: 'arc',
      kind: { raw: 'ARC' },
      match: arcMatch,
      within: [['central_wavelength', NM]],
      maxDays: 365,
      limit: 1,
    },
    {
      caltype: 'processed_arc',
      kind: { processed: 'ARC' },
      match: arcMatch,
      within: [['central_wavelength', NM]],
      maxDays: 365,
      limit: 1,
    },
  ];
  // Images of a standard field taken within a day through the same filter and camera (NIRI).
  const photometricStandard: CalRule = {
    caltype: 'photometric_standard',
    kind: { photometricStandard: true },
    match: ['instrument', 'filter_name', 'camera'],
    maxDays: 1,
    limit: 10,
  };
  const bpm: CalRule = {
    caltype: 'processed_bpm',
    kind: { processed: 'BPM' },
    match: ['instrument'],
    maxDays: null,
    beforeOnly: true,
    limit: 1,
  };
  return {
    instruments: s.instruments,
    rulesFor(t: Target): CalRule[] {
      const type = t.observation_type;
      const rules: CalRule[] = [];
      const acq = t.observation_class === 'acq' || t.observation_class === 'acqCal';
      if (type === 'OBJECT' && !acq) {
        if (!t.spectroscopy || s.spectraNeedDarks) rules.push(...darks);
        rules.push(...flats(Boolean(t.spectroscopy)));
        if (t.spectroscopy) rules.push(...arcs);
        else if (s.photometricStandards) rules.push(photometricStandard);
      } else if (type === 'FLAT') {
        rules.push(...darks);
      }
      if (type !== 'BPM' && type !== 'MASK') rules.push(bpm);
      return rules;
    },
  };
}

export const niriRules = rulesFrom({
  instruments: ['NIRI'],
  readMode: [kw('LNRS'), kw('NDAVGS'), 'coadds', 'detector_welldepth_setting'],
  darkExposure: 0.01,
  darkDays: 180,
  flatDays: 180,
  flatMatch: ['filter_name', 'camera', 'focal_plane_mask', 'disperser'],
  spectraNeedDarks: true,
  photometricStandards: true,
});

export const f2Rules = rulesFrom({
  instruments: ['F2'],
  readMode: [kw('LNRS')],
  // F2 exposure times come out a few hundred ms off between darks and science.
  darkExposure: 0.5,
  darkDays: 90,
  flatDays: 90,
  flatMatch: ['filter_name', 'camera', 'focal_plane_mask', 'disperser'],
  spectraNeedDarks: true,
});

export const gnirsRules = rulesFrom({
  instruments: ['GNIRS'],
  readMode: [kw('LNRS'), kw('NDAVGS'), 'coadds', 'detector_welldepth_setting'],
  darkExposure: 0.01,
  darkDays: 180,
  flatDays: 180,
  flatMatch: ['filter_name', 'camera', 'focal_plane_mask', 'disperser'],
  spectraNeedDarks: false,
});

export const gsaoiRules = rulesFrom({
  instruments: ['GSAOI'],
  readMode: [kw('LNRS'), 'coadds'],
  darkExposure: 0.01,
  darkDays: 180,
  flatDays: 180,
  // GSAOI has neither mask nor disperser (both empty): matching them keeps the flat index usable.
  flatMatch: ['filter_name', 'focal_plane_mask', 'disperser'],
  spectraNeedDarks: true,
});
