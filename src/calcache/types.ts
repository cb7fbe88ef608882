// The shapes of calibration association: what a rule says, and what it is applied to.
// Rules are data (instruments/*.ts), turned into SQL in one place (sql.ts).

/** header columns a rule may compare. Names only from this list ever reach SQL. */
export const MATCH_COLUMNS = [
  'instrument',
  'observation_class',
  'object',
  'exposure_time',
  'filter_name',
  'disperser',
  'camera',
  'central_wavelength',
  'focal_plane_mask',
  'detector_binning',
  'detector_roi_setting',
  'detector_gain_setting',
  'detector_readspeed_setting',
  'detector_welldepth_setting',
  'coadds',
  'spectroscopy',
  'gcal_lamp',
  'elevation',
] as const;
export type MatchColumn = (typeof MATCH_COLUMNS)[number];

/** A primary-header keyword (from header.keywords), for settings that have no column (DETTYPE, LNRS ...). */
export interface Keyword {
  keyword: string;
}
export type Field = MatchColumn | Keyword;

export const kw = (keyword: string): Keyword => ({ keyword });

/**
 * Which frames are candidates: raw frames of an observation type, processed ones, twilight skies,
 * or raw images of a photometric standard field (header.phot_standard).
 */
export type CalKind =
  | { raw: 'BIAS' | 'DARK' | 'FLAT' | 'ARC' | 'PINHOLE' }
  | { processed: 'BIAS' | 'DARK' | 'FLAT' | 'ARC' | 'BPM' | 'FRINGE' | 'SLITILLUM' | 'STANDARD' }
  | { twilight: true }
  | { photometricStandard: true };

export interface CalRule {
  /** The calibration type as the archive names it: bias, processed_flat, ... */
  caltype: string;
  kind: CalKind;
  /** Fields whose value must equal the science frame's (a missing value matches a missing value). */
  match: Field[];
  /** |cal − science| ≤ tolerance; skipped when the science frame has no value (as the archive does). */
  within?: Array<[MatchColumn, number]>;
  /** Fields that must hold a fixed value. */
  fixed?: Array<[MatchColumn, string | number | boolean]>;
  /** Largest |Δt| in days; null: any time. */
  maxDays: number | null;
  /** Only calibrations taken before the frame (bad pixel masks apply from their date on). */
  beforeOnly?: boolean;
  /** How many to keep, best first. */
  limit: number;
}

type ColumnValue<K extends MatchColumn> = K extends
  'exposure_time' | 'central_wavelength' | 'elevation' | 'coadds'
  ? number | null
  : K extends 'spectroscopy'
    ? boolean | null
    : string | null;

/** The science frame: what decides which calibrations apply, and every value a rule compares. */
export type Target = {
  id: number;
  ut_datetime: Date | null;
  observation_type: string | null;
  reduction: string | null;
  types: string[] | null;
  engineering: boolean | null;
  /** Text of the primary-header keywords the rules compare (header.keywords->>'KEY'). */
  keywordText?: Record<string, string | null>;
  /** DRAGONS' processing mode of the reduction asking ('sq': science-quality calibrations only). */
  procmode?: string | null;
} & { [K in MatchColumn]: ColumnValue<K> };

export interface InstrumentRules {
  instruments: readonly string[];
  /** The rules that apply to this frame (none when it needs no calibration). */
  rulesFor(t: Target): CalRule[];
}
