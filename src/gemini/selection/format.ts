// Selection → words: the canonical URL form, the unrecognised-terms warning, and whether a
// selection is "open" (could match the whole archive).

import { parseSelection } from './parse.js';
import type { Selection } from './types.js';
import { BOOLEAN_WORDS, DETECTOR_ROI_WORDS } from './vocabulary.js';

/** Keys that bound a search to a reasonable number of rows (the archive's openquery test). */
const CLOSING_KEYS = [
  'date',
  'daterange',
  'night',
  'nightrange',
  'program_id',
  'observation_id',
  'data_label',
  'filename',
  'filepre',
] as const;

/**
 * True when nothing restricts the selection by program, observation, data label, file, file
 * prefix, date or night: callers then show only the newest 500 rows.
 */
export function isOpenQuery(sel: Selection): boolean {
  return CLOSING_KEYS.every((k) => sel[k] === undefined);
}

/** The archive's warning about terms it did not understand, or null when there are none. */
export function unrecognisedMessage(sel: Selection): string | null {
  if (sel.unrecognised.length === 0) return null;
  return `WARNING: I didn't recognize the following search terms: ${sel.unrecognised.join(' ')}`;
}

/** The order of terms in the canonical form: what is asked for first, then how. */
const ORDER = [
  'program_id',
  'observation_id',
  'data_label',
  'filename',
  'filepre',
  'telescope',
  'inst',
  'date',
  'daterange',
  'night',
  'nightrange',
  'observation_type',
  'observation_class',
  'caltype',
  'processing',
  'reduction',
  'qa_state',
  'engineering',
  'science_verification',
  'calprog',
  'site_monitoring',
  'present',
  'canonical',
  'mdready',
  'spectroscopy',
  'mode',
  'ao',
  'lgs',
  'disperser',
  'focal_plane_mask',
  'filter',
  'camera',
  'binning',
  'gain',
  'readspeed',
  'welldepth',
  'readmode',
  'pupil_mask',
  'detector_roi',
  'pre_image',
  'twilight',
  'photstandard',
  'gpi_astrometric_standard',
  'PIname',
  'ProgramText',
  'publication',
  'path',
  'entrytimedaterange',
  'lastmoddaterange',
  'processing_tag',
  'caloption',
  'object',
  'ra',
  'dec',
  'sr',
  'az',
  'el',
  'crpa',
  'exposure_time',
  'cenwlen',
  'coadds',
  'raw_iq',
  'raw_cc',
  'raw_wv',
  'raw_bg',
  'cols',
] as const;

/** The key= spelling of each selection key, where the grammar has one. */
const KEY_SPELLING: Readonly<Record<string, string>> = {
  program_id: 'progid',
  observation_id: 'obsid',
  data_label: 'datalabel',
  focal_plane_mask: 'mask',
  inst: 'inst',
};

// Characters that would change how the term splits or decodes.
function encodeValue(v: string): string {
  return v.replace(/[%/?#]/g, (c) => encodeURIComponent(c));
}

/** Candidate spellings of one selection entry, preferred first. */
function spellings(sel: Selection, key: string, value: unknown): string[] {
  if (typeof value === 'boolean' || value === 'Include') {
    const word = Object.entries(BOOLEAN_WORDS).find(([, [k, v]]) => k === key && v === value)?.[0];
    if (word) return [word];
    if (key === 'pre_image') return value ? ['preimage'] : [];
    if (key === 'twilight') return [value ? 'twilight' : 'nottwilight'];
    return [];
  }
  if (typeof value !== 'string') return [];
  const v = encodeValue(value);
  const kv = `${KEY_SPELLING[key] ?? key}=${v}`;
  switch (key) {
    case 'ao':
      return sel.lgs !== undefined && value === 'AO' ? [] : [value]; // LGS and NGS imply AO
    case 'filepre':
      return [kv];
    case 'detector_roi': {
      const word = Object.entries(DETECTOR_ROI_WORDS).find(([, s]) => s === value)?.[0];
      return word ? [word, kv] : [kv];
    }
    default:
      return [v, kv];
  }
}

/**
 * The canonical '/'-joined form of a selection ('GN-2019A-FT-211/science/20200101'), without a
 * leading slash: terms in a fixed order, each in the shortest spelling that reads back the same.
 * parseSelection(selectionToString(s)) selects what s selects. Warnings and unrecognised terms
 * are not part of it.
 */
export function selectionToString(sel: Selection): string {
  const terms: string[] = [];
  for (const key of ORDER) {
    const value = sel[key];
    if (value === undefined) continue;
    if (key === 'spectroscopy' && value === true && sel.mode !== undefined) continue; // LS/MOS/IFS imply it
    const candidates = spellings(sel, key, value);
    const chosen = candidates.find((c) => readsBack(c, key, value)) ?? candidates[candidates.length - 1];
    if (chosen) terms.push(chosen);
  }
  return terms.join('/');
}

function readsBack(term: string, key: string, value: unknown): boolean {
  const back = parseSelection('/' + term);
  return back.unrecognised.length === 0 && back[key] === value;
}
