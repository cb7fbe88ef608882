// Gemini program ids, observation ids and data labels.
//
// Program ids in circulation (all seen in archive data):
//   GN-2019A-Q-101        science: site, semester, type, number. Types: Q (queue), C (classical),
//                         SV (science verification), QS (quick start), DD (director's
//                         discretion), LP (large program), FT (fast turnaround), DS (demo science)
//   GN-CAL20200101        daily calibration / engineering programs (also ENG)
//   CAL20200101           archaic site-less form of the above
//   GN-2020A-CAL-191      semester calibration / engineering programs
//   G-2025A-1234-Q        GPP (2024+) science: semester, number, one-letter type
//                         C D F L Q S V P (P = poor weather)
//   G-2025A-ENG-GMOSN-01  GPP calibration/engineering/commissioning/monitoring: CAL ENG COM MON
// An observation id is `<progid>-<obsnum>`; a data label `<obsid>-<dlnum>`, optionally followed by
// a processing suffix (-RG, _DARK, -MRG-ADD ... as written by old reduction packages).
// Anything else is not a valid program id; the archive then marks the data as engineering.

export type ProgramType =
  'Q' | 'C' | 'SV' | 'QS' | 'DD' | 'LP' | 'FT' | 'DS' | 'PW' | 'CAL' | 'ENG' | 'COM' | 'MON';

export interface ProgramId {
  programId: string;
  /** 'GN' | 'GS', or null for GPP ids (G-...) and archaic CAL/ENG ids. */
  site: 'GN' | 'GS' | null;
  /** e.g. '2019A'; null for date-based CAL/ENG ids. */
  semester: string | null;
  /** YYYYMMDD of date-based CAL/ENG ids, else null. */
  date: string | null;
  type: ProgramType;
  /** Program number as written (science and semester CAL/ENG ids), else null. */
  number: string | null;
}

export interface ObservationId {
  observationId: string;
  program: ProgramId;
  obsnum: number;
}

export interface DataLabel {
  dataLabel: string;
  observation: ObservationId;
  dlnum: number;
  /** Processing suffix without its separator, upper case as the archive stores labels; null when none. */
  extension: string | null;
  /** The label without its processing suffix. */
  base: string;
}

const YEAR = '20\\d\\d';
const DATE = `${YEAR}[01]\\d[0123]\\d`;
const SEMESTER = `${YEAR}[AB]`;

// Each form is a (regex source, group decoder) pair; group names are unique per form.
const FORMS: ReadonlyArray<{ re: RegExp; decode: (m: RegExpExecArray) => Omit<ProgramId, 'programId'> }> = [
  {
    // GN-2019A-Q-101
    re: new RegExp(`^G([NS])-(${SEMESTER})-(Q|C|SV|QS|DD|LP|FT|DS)-(\\d+)$`),
    decode: (m) => ({
      site: site(m[1]),
      semester: m[2],
      date: null,
      type: m[3] as ProgramType,
      number: m[4],
    }),
  },
  {
    // GN-CAL20200101
    re: new RegExp(`^G([NS])-(CAL|ENG)(${DATE})$`),
    decode: (m) => ({
      site: site(m[1]),
      semester: null,
      date: m[3],
      type: m[2] as ProgramType,
      number: null,
    }),
  },
  {
    // CAL20200101
    re: new RegExp(`^(CAL|ENG)(${DATE})$`),
    decode: (m) => ({ site: null, semester: null, date: m[2], type: m[1] as ProgramType, number: null }),
  },
  {
    // GN-2020A-CAL-191
    re: new RegExp(`^G([NS])-(${SEMESTER})-(CAL|ENG)-(\\d+)$`),
    decode: (m) => ({
      site: site(m[1]),
      semester: m[2],
      date: null,
      type: m[3] as ProgramType,
      number: m[4],
    }),
  },
  {
    // G-2025A-1234-Q
    re: new RegExp(`^G-(${SEMESTER})-(\\d+)-([CDFLQSVP])$`),
    decode: (m) => ({ site: null, semester: m[1], date: null, type: GPP_TYPES[m[3]], number: m[2] }),
  },
  {
    // G-2025A-ENG-GMOSN-01
    re: new RegExp(`^G-(${SEMESTER})-(CAL|ENG|COM|MON)-([\\w+]+(?:-[\\w+]+)*)-(\\d+)$`),
    decode: (m) => ({ site: null, semester: m[1], date: null, type: m[2] as ProgramType, number: m[4] }),
  },
];

const GPP_TYPES: Readonly<Record<string, ProgramType>> = {
  C: 'C',
  D: 'DD',
  F: 'FT',
  L: 'LP',
  Q: 'Q',
  S: 'DS',
  V: 'SV',
  P: 'PW',
};

function site(c: string): 'GN' | 'GS' {
  return c === 'N' ? 'GN' : 'GS';
}

/** Parse a program id (surrounding blanks ignored); null when it is not a valid Gemini program id. */
export function parseProgramId(s: string | null | undefined): ProgramId | null {
  if (typeof s !== 'string') return null;
  const id = s.trim();
  for (const form of FORMS) {
    const m = form.re.exec(id);
    if (m) return { programId: id, ...form.decode(m) };
  }
  return null;
}

export function isValidProgramId(s: string | null | undefined): boolean {
  return parseProgramId(s) !== null;
}

/**
 * Engineering data: an ENG program, or a program id that is missing or not in any valid form
 * (such ids are made up at the telescope for tests), as the archive has it.
 */
export function isEngineering(s: string | null | undefined): boolean {
  const p = parseProgramId(s);
  return p === null || p.type === 'ENG';
}

export function isCalibrationProgram(s: string | null | undefined): boolean {
  return parseProgramId(s)?.type === 'CAL';
}

export function isScienceVerification(s: string | null | undefined): boolean {
  return parseProgramId(s)?.type === 'SV';
}

/**
 * Split an observation id at its last `-<digits>`. Program ids themselves end in digits, so the
 * split is accepted only when what is left is a valid program id.
 */
export function parseObservationId(s: string | null | undefined): ObservationId | null {
  if (typeof s !== 'string') return null;
  const id = s.trim();
  const m = /^(.+)-(\d+)$/.exec(id);
  if (!m) return null;
  const program = parseProgramId(m[1]);
  if (!program) return null;
  return { observationId: id, program, obsnum: Number(m[2]) };
}

export function isValidObservationId(s: string | null | undefined): boolean {
  return parseObservationId(s) !== null;
}

/** Parse a data label `<obsid>-<dlnum>[(-|_)<suffix>]`; null when it is not valid. */
export function parseDataLabel(s: string | null | undefined): DataLabel | null {
  if (typeof s !== 'string') return null;
  const label = s.trim();
  // The suffix must start with a letter, otherwise it could be part of the numbers.
  const m = /^(.+)-(\d+)(?:[-_]([A-Za-z][\w-]*))?$/.exec(label);
  if (!m) return null;
  const observation = parseObservationId(m[1]);
  if (!observation) return null;
  return {
    dataLabel: label,
    observation,
    dlnum: Number(m[2]),
    extension: m[3] === undefined ? null : m[3].toUpperCase(),
    base: `${m[1]}-${m[2]}`,
  };
}

export function isValidDataLabel(s: string | null | undefined): boolean {
  return parseDataLabel(s) !== null;
}
