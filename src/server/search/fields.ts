import { RECENT_DAY_WORDS } from '../../gemini/nights.js';
import { selectionToString, type Selection } from '../../gemini/selection/index.js';
import { OBSERVATION_CLASSES, OBSERVATION_TYPES, QA_TERMS } from '../../gemini/selection/vocabulary.js';

// The search form's fields ⇄ the archive's URL selection grammar. Submitting the form turns each
// filled field into one selection term (`progid=…`, `inst=…`, `OBJECT` …) and redirects to
// /searchform/<terms>, so every search is a URL people can bookmark and share, and every value
// goes through the one parser (src/gemini/selection) and its parameterised SQL. Opening a URL
// fills the form back from the parsed selection.

export interface FormValues {
  program: string;
  instrument: string;
  date: string;
  /** 'ut' (UT dates) or 'night' (observing nights). */
  datetype: string;
  object: string;
  ra: string;
  dec: string;
  sr: string;
  obstype: string;
  obsclass: string;
  qa: string;
  mode: string;
  binning: string;
  engineering: string;
  /** Any other terms of the grammar, space-separated (filter=r GMOS-N …). */
  terms: string;
}

export const FIELD_NAMES: readonly (keyof FormValues)[] = [
  'program',
  'instrument',
  'date',
  'datetype',
  'object',
  'ra',
  'dec',
  'sr',
  'obstype',
  'obsclass',
  'qa',
  'mode',
  'binning',
  'engineering',
  'terms',
];

export type Options = readonly (readonly [value: string, label: string])[];

const same = (xs: Iterable<string>): Options => [...xs].map((x) => [x, x] as const);

export const INSTRUMENT_OPTIONS: Options = same([
  'GMOS-N',
  'GMOS-S',
  'GMOS',
  'GNIRS',
  'NIRI',
  'NIFS',
  'F2',
  'GSAOI',
  'GPI',
  'GHOST',
  'IGRINS-2',
  'IGRINS',
  'ALOPEKE',
  'ZORRO',
  'MAROON-X',
  'GRACES',
  'TReCS',
  'michelle',
  'NICI',
  'bHROS',
  'PHOENIX',
  'TEXES',
  'OSCIR',
  'hrwfs',
  'FLAMINGOS',
  'CIRPASS',
  'Hokupaa+QUIRC',
  'ABU',
]);
export const OBSTYPE_OPTIONS: Options = same(OBSERVATION_TYPES);
export const OBSCLASS_OPTIONS: Options = same(OBSERVATION_CLASSES);
export const QA_OPTIONS: Options = [
  ['NotFail', 'Not Fail'],
  ['AnyQA', 'Any'],
  ['Pass', 'Pass'],
  ['Usable', 'Usable'],
  ['Fail', 'Fail'],
  ['CHECK', 'Check'],
  ['UndefinedQA', 'Undefined'],
  ['Win', 'Pass or Usable'],
  ['Lucky', 'Pass or Undefined'],
];
// QA_TERMS is the grammar's list: the options above must stay inside it.
for (const [v] of QA_OPTIONS)
  if (!QA_TERMS.has(v as never)) throw new Error(`QA option ${v} is not a selection term`);

export const MODE_OPTIONS: Options = [
  ['imaging', 'Imaging'],
  ['spectroscopy', 'Spectroscopy (any)'],
  ['LS', 'Long-slit'],
  ['MOS', 'Multi-object'],
  ['IFS', 'Integral field'],
];
export const BINNING_OPTIONS: Options = same(['1x1', '1x2', '2x1', '2x2', '2x4', '4x2', '4x4']);
export const ENGINEERING_OPTIONS: Options = [
  ['', 'Exclude engineering data'],
  ['includeengineering', 'Include engineering data'],
  ['engineering', 'Engineering data only'],
  ['notengineering', 'No engineering data, even when naming files'],
];
export const DATETYPE_OPTIONS: Options = [
  ['ut', 'UT date'],
  ['night', 'Observing night'],
];

function dateTerm(raw: string, night: boolean): string {
  // People type ISO dates; the grammar wants YYYYMMDD.
  const v = raw.replace(/\b(\d{4})-(\d{2})-(\d{2})\b/g, '$1$2$3').replace(/\s+/g, '');
  if ((RECENT_DAY_WORDS[v] ?? 0) > 1) return v; // fiveday, tenday …: bare words only
  const key = /^\d{8}-\d{8}$/.test(v) ? (night ? 'nightrange' : 'daterange') : night ? 'night' : 'date';
  return `${key}=${v}`;
}

/** Filled form fields → selection terms (decoded). Values never become SQL: they become terms. */
export function formTerms(f: Partial<Record<keyof FormValues, string>>): string[] {
  const v = (k: keyof FormValues) => (f[k] ?? '').trim();
  const terms: string[] = [];
  const kv = (key: string, value: string) => value && terms.push(`${key}=${value}`);
  const bare = (value: string) => value && terms.push(value);
  kv('progid', v('program'));
  kv('inst', v('instrument'));
  if (v('date')) terms.push(dateTerm(v('date'), v('datetype') === 'night'));
  kv('object', v('object'));
  kv('ra', v('ra'));
  kv('dec', v('dec'));
  kv('sr', v('sr'));
  bare(v('obstype'));
  bare(v('obsclass'));
  bare(v('qa'));
  bare(v('mode'));
  bare(v('binning'));
  bare(v('engineering'));
  for (const t of v('terms').split(/[\s/]+/)) bare(t);
  return terms;
}

/** The URL path of a search: terms percent-encoded one by one ('/' inside a value stays in its term). */
export function termsPath(terms: readonly string[]): string {
  return terms.map((t) => encodeURIComponent(t)).join('/');
}

const FORM_KEYS = [
  'program_id',
  'observation_id',
  'data_label',
  'inst',
  'date',
  'daterange',
  'night',
  'nightrange',
  'object',
  'ra',
  'dec',
  'sr',
  'observation_type',
  'observation_class',
  'qa_state',
  'mode',
  'spectroscopy',
  'binning',
  'engineering',
] as const;

/** A parsed selection → the form's values (what the URL asked for, shown back). */
export function formValues(sel: Selection): FormValues {
  const s = (x: unknown) => (typeof x === 'string' ? x : '');
  const rest: Selection = { ...sel, warnings: [], unrecognised: [] };
  for (const k of FORM_KEYS) delete rest[k];
  const other = selectionToString(rest).split('/').filter(Boolean);
  let engineering = '';
  if (sel.engineering === 'Include') engineering = 'includeengineering';
  else if (sel.engineering === true) engineering = 'engineering';
  else if (sel.engineering === false) engineering = 'notengineering';
  let mode = s(sel.mode);
  if (!mode && sel.spectroscopy === true) mode = 'spectroscopy';
  if (!mode && sel.spectroscopy === false) mode = 'imaging';
  return {
    program: s(sel.data_label) || s(sel.observation_id) || s(sel.program_id),
    instrument: s(sel.inst),
    date: s(sel.date) || s(sel.daterange) || s(sel.night) || s(sel.nightrange),
    datetype: sel.night !== undefined || sel.nightrange !== undefined ? 'night' : 'ut',
    object: s(sel.object),
    ra: s(sel.ra),
    dec: s(sel.dec),
    sr: s(sel.sr),
    obstype: s(sel.observation_type),
    obsclass: s(sel.observation_class),
    qa: s(sel.qa_state),
    mode,
    binning: s(sel.binning),
    engineering,
    // Terms nobody understood stay in the box, so they can be corrected.
    terms: [...other.map(decodeSafe), ...sel.unrecognised].join(' '),
  };
}

function decodeSafe(t: string): string {
  try {
    return decodeURIComponent(t);
  } catch {
    return t;
  }
}
