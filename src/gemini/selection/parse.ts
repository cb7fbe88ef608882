// URL terms → Selection, following the Gemini archive's getselection (FitsStorage
// db/selection/get_selection.py): each '/'-separated term is tried against the vocabulary in a
// fixed order, and the first reading wins; what nothing reads goes to `unrecognised`.
//
// Departures from the archive, on purpose:
//   - Identifiers are tried most specific first (data label, observation id, program id), because
//     some GPP engineering program ids are also valid observation ids of a shorter program id.
//   - Filenames of every Gemini kind are read (speckle A/Z, GRACES G, MAROON-X M, IGRINS SDC*,
//     sky camera, legacy), not only the summit DHS `S` ones.
//   - key=value dates are checked: a bad date is reported as unrecognised instead of being kept.
//   - `IFU` is read as mode IFS; instrument=/inst= and detector_roi=/binning= are accepted.

import { geminiDate, recentUtDates, RECENT_DAY_WORDS } from '../nights.js';
import { parseFilename, trimBz2 } from '../filename.js';
import { isValidDataLabel, isValidObservationId, isValidProgramId } from '../progid.js';
import { emptySelection, type ProcessingMode, type QaTerm, type Selection } from './types.js';
import { valueWarnings } from './values.js';
import {
  BOOLEAN_WORDS,
  CAL_OPTIONS,
  CAL_TYPES,
  DETECTOR_ROI_WORDS,
  FILEPRE_STARTS,
  GAIN_SETTINGS,
  KEY_VALUE_KEYS,
  OBSERVATION_CLASSES,
  OBSERVATION_TYPES,
  PROCESSING_MODES,
  QA_TERMS,
  READMODE_SETTINGS,
  READSPEED_SETTINGS,
  REDUCTION_STATES,
  SPECTROSCOPY_MODES,
  WELLDEPTH_SETTINGS,
  binning,
  gmosFocalPlaneMask,
  gmosGrating,
  instrumentName,
  telescopeName,
} from './vocabulary.js';

export interface ParseOptions {
  /** Clock for today / yesterday / tomorrow (tests). */
  now?: Date;
  /**
   * What a bare YYYYMMDD (or range, or today/yesterday) means: 'night' observing nights (default),
   * as archive.gemini.edu reads them (its search runs from 2 pm to 2 pm local time at each site);
   * 'utc' UT days, as the archive's newer code does on an archive server. date=/daterange= are
   * always UT days, night=/nightrange= always nights.
   */
  bareDates?: 'utc' | 'night';
}

/** Split a URL path (or take a list of terms) into decoded, non-empty terms. */
export function splitTerms(pathOrTerms: string | readonly string[]): string[] {
  if (typeof pathOrTerms !== 'string') return pathOrTerms.map((t) => t.trim()).filter((t) => t !== '');
  // A query string or fragment is not part of the selection.
  const path = pathOrTerms.replace(/[?#].*$/s, '');
  return path
    .split('/')
    .map((t) => decodeTerm(t).trim())
    .filter((t) => t !== '');
}

function decodeTerm(t: string): string {
  try {
    return decodeURIComponent(t);
  } catch {
    return t; // a lone '%' (object=50%*): take it as written
  }
}

/** A YYYYMMDD-YYYYMMDD range, earlier date first, or null. Words (today ...) are not allowed in ranges. */
export function dateRange(s: string): string | null {
  const m = /^(\d{8})-(\d{8})$/.exec(s);
  if (!m) return null;
  const a = geminiDate(m[1]);
  const b = geminiDate(m[2]);
  if (!a || !b) return null;
  return a <= b ? `${a}-${b}` : `${b}-${a}`;
}

/** Parse the archive's URL selection grammar ('/GN-2019A-FT-211/science/20200101'). Never throws. */
export function parseSelection(pathOrTerms: string | readonly string[], opts: ParseOptions = {}): Selection {
  const now = opts.now ?? new Date();
  const sel = emptySelection();
  const set = (key: string, value: unknown) => {
    sel[key] = value;
  };
  const take = (key: string, value: unknown): true => {
    sel[key] = value;
    return true;
  };

  for (const term of splitTerms(pathOrTerms)) {
    // PostgreSQL text cannot hold NUL, so no such term can match: report it (visibly) instead.
    if (term.includes('\u0000')) sel.unrecognised.push(term.replace(/\u0000/g, '\ufffd'));
    else if (!readTerm(term)) sel.unrecognised.push(term);
  }

  // Only the most specific identifier counts.
  if (sel.data_label !== undefined) {
    delete sel.observation_id;
    delete sel.program_id;
  }
  if (sel.observation_id !== undefined) delete sel.program_id;
  sel.warnings.push(...valueWarnings(sel));
  return sel;

  function readTerm(term: string): boolean {
    // 1. Words recognised by a test, in the archive's order.
    const telescope = telescopeName(term);
    if (telescope) return take('telescope', telescope);
    const filename = fitsFilename(term);
    if (filename) return take('filename', filename);
    if (OBSERVATION_TYPES.has(term)) return take('observation_type', term);
    if (OBSERVATION_CLASSES.has(term)) return take('observation_class', term);
    if (CAL_TYPES.has(term)) return take('caltype', term);
    if (PROCESSING_MODES.has(term as ProcessingMode)) return take('processing', term);
    if (REDUCTION_STATES.has(term)) return take('reduction', term);
    const grating = gmosGrating(term);
    if (grating) return take('disperser', grating);
    const mask = gmosFocalPlaneMask(term);
    if (mask) return take('focal_plane_mask', mask);
    const bin = binning(term);
    if (bin) return take('binning', bin);
    if (GAIN_SETTINGS.has(term)) return take('gain', term);
    if (READSPEED_SETTINGS.has(term)) return take('readspeed', term);
    if (WELLDEPTH_SETTINGS.has(term)) return take('welldepth', term);
    if (READMODE_SETTINGS.has(term)) return take('readmode', term);
    const inst = instrumentName(term);
    if (inst) return take('inst', inst);

    // 2. key=value terms.
    const eq = term.indexOf('=');
    if (eq > 0) return readKeyValue(term.slice(0, eq), term.slice(eq + 1));

    // 3. Words that set a flag or a state.
    const flag = BOOLEAN_WORDS[term];
    if (flag) return take(flag[0], flag[1]);
    if (QA_TERMS.has(term as QaTerm)) return take('qa_state', term);
    if (term === 'AO') return take('ao', 'AO');
    // The archive keeps NOAO as written (it means no AO, as NOTAO does).
    if (term === 'NOTAO' || term === 'NOAO') return take('ao', term);
    if (CAL_OPTIONS.has(term)) return take('caloption', term);
    if (term === 'defaults') {
      // The search form's defaults, as the archive unpacks them.
      set('engineering', false);
      set('site_monitoring', false);
      set('qa_state', 'NotFail');
      return true;
    }

    // 4. Identifiers, most specific first.
    if (isValidDataLabel(term)) return take('data_label', term);
    if (isValidObservationId(term)) return take('observation_id', term);
    if (isValidProgramId(term)) return take('program_id', term);

    // 5. The rest of the archive's words.
    if (term === 'LGS' || term === 'NGS') {
      set('lgs', term);
      set('ao', 'AO'); // guide stars of either kind mean AO
      return true;
    }
    const roi = DETECTOR_ROI_WORDS[term.toLowerCase()];
    if (roi) return take('detector_roi', roi);
    const lower = term.toLowerCase();
    if (lower === 'preimage') return take('pre_image', true);
    if (lower === 'twilight') return take('twilight', true);
    if (lower === 'nottwilight') return take('twilight', false);
    if (term.length < 14 && FILEPRE_STARTS.has(term.slice(0, 4))) return take('filepre', term);
    const mode = SPECTROSCOPY_MODES[term];
    if (mode) {
      set('mode', mode);
      set('spectroscopy', true);
      return true;
    }

    // 6. Dates.
    const utc = opts.bareDates === 'utc';
    const date = geminiDate(term, now);
    if (date) return take(utc ? 'date' : 'night', date);
    const range = dateRange(term);
    if (range) return take(utc ? 'daterange' : 'nightrange', range);
    const days = RECENT_DAY_WORDS[term];
    if (days && days > 1) {
      const dates = recentUtDates(days, now);
      return take(utc ? 'daterange' : 'nightrange', `${dates[0]}-${dates[dates.length - 1]}`);
    }
    return false;
  }

  function readKeyValue(rawKey: string, rawValue: string): boolean {
    const key = KEY_VALUE_KEYS[rawKey];
    const value = rawValue.trim();
    if (key === undefined || value === '') return false;
    switch (key) {
      case 'progid':
        if (isValidDataLabel(value)) set('data_label', value);
        else if (isValidObservationId(value)) set('observation_id', value);
        else set('program_id', value);
        return true;
      case 'obsid':
        return take('observation_id', value);
      case 'datalabel':
        return take('data_label', value);
      case 'filename':
        return take('filename', trimBz2(value));
      case 'date':
      case 'night': {
        const d = geminiDate(value, now);
        return d !== null && take(key, d);
      }
      case 'daterange':
      case 'nightrange':
      case 'entrytimedaterange':
      case 'lastmoddaterange': {
        const r = dateRange(value);
        return r !== null && take(key, r);
      }
      case 'inst': {
        const name = instrumentName(value);
        return take('inst', name ?? value);
      }
      case 'detector_roi':
        return take('detector_roi', DETECTOR_ROI_WORDS[value.toLowerCase()] ?? value);
      case 'object':
        // The search form writes '/' in names as '=slash=' (a '/' would split the term).
        return take('object', value.replace(/=slash=/g, '/'));
      case 'disperser':
      case 'camera':
      case 'focal_plane_mask':
      case 'filter':
      case 'gain':
      case 'readspeed':
      case 'welldepth':
      case 'binning':
      case 'cols':
      case 'filepre':
      case 'pupil_mask':
      case 'publication':
      case 'PIname':
      case 'ProgramText':
      case 'readmode':
      case 'path':
      case 'processing_tag':
        return take(key, value);
      default:
        // Numbers and coordinates: kept as written, read by values.ts.
        return take(key, value.replace(/\s+/g, key === 'ra' || key === 'dec' ? ' ' : ''));
    }
  }
}

/**
 * A Gemini data filename given as a bare term, with or without `.fits` and `.bz2`: the name as
 * file.name keys it (with `.fits`), else null.
 */
export function fitsFilename(term: string): string | null {
  const p = parseFilename(term);
  if (p.kind === 'unknown' || p.kind === 'obslog') return null;
  const name = trimBz2(term);
  if (/\.fits(\.gz)?$/.test(name)) return name;
  // Without an extension the name must not carry another one (N20200101S0001.txt is not FITS).
  return /\.[A-Za-z]+$/.test(name) ? null : `${name}.fits`;
}
