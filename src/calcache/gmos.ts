// GMOS-N/S association rules, after the Gemini archive's (FitsStorage CalibrationGMOS):
//   bias  same detector (DETTYPE), binning, ROI, gain and read speed; ±90 days
//   flat  as bias + filter, mask, disperser; imaging: twilight skies, ±180 days;
//         spectroscopy: GCAL flats at the same central wavelength (±1 nm), ±180 days
//   arc   disperser, filter, mask, binning, central wavelength (±1 nm); ±365 days
//   processed_* the same matches, one each; processed_bpm by binning, the latest before the frame.
// Departure: a flat or bias must match DETTYPE (the CCDs changed under the same instrument name in
// 2011–2017); the archive matched the amplifier read area, which we do not record.

import { gmos } from '../gemini/instruments/gmos.js';
import { kw, type CalRule, type Field, type InstrumentRules, type Target } from './types.js';

const DETECTOR: Field[] = [
  'instrument',
  kw('DETTYPE'),
  'detector_binning',
  'detector_roi_setting',
  'detector_gain_setting',
  'detector_readspeed_setting',
];

const FLAT_MATCH: Field[] = [...DETECTOR, 'filter_name', 'focal_plane_mask', 'disperser'];
const ARC_MATCH: Field[] = ['instrument', 'disperser', 'filter_name', 'focal_plane_mask', 'detector_binning'];
const NM = 0.001; // microns

function bias(): CalRule[] {
  return [
    { caltype: 'bias', kind: { raw: 'BIAS' }, match: DETECTOR, maxDays: 90, limit: 50 },
    { caltype: 'processed_bias', kind: { processed: 'BIAS' }, match: DETECTOR, maxDays: 90, limit: 1 },
  ];
}

function imagingFlats(): CalRule[] {
  return [
    {
      caltype: 'flat',
      kind: { twilight: true },
      match: FLAT_MATCH,
      fixed: [['observation_class', 'dayCal']],
      maxDays: 180,
      limit: 20,
    },
    { caltype: 'processed_flat', kind: { processed: 'FLAT' }, match: FLAT_MATCH, maxDays: 180, limit: 1 },
  ];
}

function spectroscopyFlats(): CalRule[] {
  const match: Field[] = [...FLAT_MATCH, 'spectroscopy'];
  const within: CalRule['within'] = [['central_wavelength', NM]];
  return [
    { caltype: 'flat', kind: { raw: 'FLAT' }, match, within, maxDays: 180, limit: 2 },
    { caltype: 'processed_flat', kind: { processed: 'FLAT' }, match, within, maxDays: 180, limit: 1 },
  ];
}

function arcs(): CalRule[] {
  const within: CalRule['within'] = [['central_wavelength', NM]];
  return [
    { caltype: 'arc', kind: { raw: 'ARC' }, match: ARC_MATCH, within, maxDays: 365, limit: 1 },
    {
      caltype: 'processed_arc',
      kind: { processed: 'ARC' },
      match: ARC_MATCH,
      within,
      maxDays: 365,
      limit: 1,
    },
  ];
}

const ACQ = new Set(['acq', 'acqCal']);

export const gmosRules: InstrumentRules = {
  instruments: gmos.names,
  rulesFor(t: Target): CalRule[] {
    const type = t.observation_type;
    if (type === 'MASK' || type === 'BPM') return [];
    const rules: CalRule[] = [];
    const twilight = t.object === 'Twilight';
    const acq = ACQ.has(t.observation_class ?? '');
    if (type !== 'BIAS' && type !== 'ARC' && !acq && t.detector_roi_setting !== 'Central Stamp')
      rules.push(...bias());
    if (t.spectroscopy && type === 'FLAT') rules.push(...arcs());
    if (t.spectroscopy && type === 'OBJECT' && !twilight) rules.push(...arcs(), ...spectroscopyFlats());
    if (!t.spectroscopy && t.focal_plane_mask === 'Imaging' && type === 'OBJECT' && !twilight && !acq) {
      rules.push(...imagingFlats());
    }
    if (t.detector_binning) {
      rules.push({
        caltype: 'processed_bpm',
        kind: { processed: 'BPM' },
        match: ['instrument', 'detector_binning'],
        maxDays: null,
        beforeOnly: true,
        limit: 1,
      });
    }
    return rules;
  },
};
