// Selection → a parametrised SQL boolean expression over `file f`, `diskfile df` and `header h`
// (the archive's Selection.filter). Every value travels as a $n parameter with a cast; only
// column names and operators, all fixed here, are written into the text.

import { gmos } from '../instruments/gmos.js';
import { utDateRange, utDatesRange, utRangeOfNight, type Site } from '../nights.js';
import type { Selection } from './types.js';
import {
  centralWavelengthRange,
  coaddsValue,
  degreeRange,
  exposureTimeRange,
  percentileValue,
  positionConstraint,
} from './values.js';

export interface SqlOptions {
  /** Number of the first parameter ($1 by default), for embedding in a larger statement. */
  firstParam?: number;
  /**
   * Apply the archive's implicit constraints (default true): only canonical versions unless the
   * selection says present/notpresent/canonical/notcanonical, and no engineering data unless the
   * selection asks about engineering or names the data (see excludesEngineeringByDefault).
   */
  defaults?: boolean;
  /**
   * Who is asking, for searches by target name or position. Absent: a trusted caller (the CLI,
   * mail, calcache rebuilds) and no guard. Every web and API route passes the requester's scope,
   * so a row whose metadata is withheld from them can never match by those fields.
   */
  coords?: CoordsScope;
}

/**
 * What a requester may see of proprietary metadata (header.proprietary_coordinates, from PROP_MD):
 * 'all' (staff, the magic cookie), or released data (release <= today, UTC), engineering data and
 * their PI grants. The same terms as the download rule (server/access.ts).
 */
export type CoordsScope =
  | 'all'
  | { today: string; programs: readonly string[]; observations: readonly string[]; files: readonly string[] };

/**
 * The header's target name and coordinate-like columns: what PROP_MD withholds from a requester
 * who may not have the file, in every answer, search and ordering.
 */
export const WITHHELD_COLUMNS = [
  'ra',
  'dec',
  'azimuth',
  'elevation',
  'airmass',
  'object',
  'cass_rotator_pa',
] as const;

/** Writes a column of the predicate: `h.release` in a search's own FROM, or a subquery's output name. */
export type ColumnNamer = (table: 'h' | 'df' | 'f', column: string) => string;
export const qualified: ColumnNamer = (table, column) => `${table}.${column}`;
/** The columns as a subquery selecting h.*, df.filename and f.name calls them. */
export const unqualified: ColumnNamer = (_table, column) => column;

/**
 * "This row's metadata may be shown to the requester", as SQL: Gemini's rule (FitsStorage's
 * querypropcoords) widened to the requester's rights, the terms of the download rule
 * (server/access.ts). Null when nothing is withheld (staff, trusted callers). The values become
 * parameters on first use (PostgreSQL refuses a parameter the text never names), once; the
 * predicate may then be written over either naming of the columns.
 */
export function metadataVisible(
  scope: CoordsScope | undefined,
  p: SqlParams,
): ((col: ColumnNamer) => string) | null {
  if (scope === undefined || scope === 'all') return null;
  let $: { today: string; programs: string; observations: string; files: string } | undefined;
  return (col) => {
    $ ??= {
      today: p.add(scope.today, 'date'),
      programs: p.add([...scope.programs], 'text[]'),
      observations: p.add([...scope.observations], 'text[]'),
      files: p.add([...scope.files], 'text[]'),
    };
    return (
      `${col('h', 'proprietary_coordinates')} IS NOT TRUE OR ${col('h', 'release')} <= ${$.today}` +
      ` OR ${col('h', 'engineering')} IS TRUE` +
      ` OR ${col('h', 'program_id')} = ANY(${$.programs})` +
      ` OR ${col('h', 'observation_id')} = ANY(${$.observations})` +
      ` OR ${col('f', 'name')} = ANY(${$.files}) OR ${col('df', 'filename')} = ANY(${$.files})`
    );
  };
}

export interface SqlFragment {
  where: string;
  values: unknown[];
}

/** Placeholders for values, numbered from `first`, each written with its cast. */
export class SqlParams {
  readonly values: unknown[] = [];
  constructor(private readonly first: number) {}
  /** A placeholder for `value`, with a cast so that PostgreSQL never has to guess the type. */
  add(value: unknown, cast: 'text' | 'text[]' | 'float8' | 'integer' | 'timestamptz' | 'date'): string {
    this.values.push(value);
    return `$${this.first + this.values.length - 1}::${cast}`;
  }
}

/** LIKE pattern that matches `s` literally. */
export function escapeLike(s: string): string {
  return s.replace(/[\\%_]/g, (c) => '\\' + c);
}

const SITE_TELESCOPE: Readonly<Record<Site, string>> = { GN: 'Gemini-North', GS: 'Gemini-South' };

/** [start, end) in UT of an observing night (YYYYMMDD) at a site. */
export function nightBounds(night: string, site: Site): [Date, Date] {
  return utRangeOfNight(night, site);
}

/** [start of the first night, end of the last night) of an inclusive night range at a site. */
export function nightRangeBounds(first: string, last: string, site: Site): [Date, Date] {
  const [a, b] = first <= last ? [first, last] : [last, first];
  return [utRangeOfNight(a, site)[0], utRangeOfNight(b, site)[1]];
}

/** [start, end) in UT of a date term (YYYYMMDD) or date range (YYYYMMDD-YYYYMMDD). */
export function dateBounds(dateOrRange: string): [Date, Date] {
  const [a, b] = dateOrRange.split('-');
  return b === undefined ? utDateRange(a) : utDatesRange(a, b);
}

/**
 * Engineering data is left out unless the selection asks about it (engineering, notengineering,
 * includeengineering) or names the data it wants: a program, observation, data label, file or
 * file prefix. Naming wins because export asks peers `/jsonfilelist/present/filename=<name>` for
 * every file it sends, engineering ones included, and must find them.
 */
export function excludesEngineeringByDefault(sel: Selection): boolean {
  return (
    sel.engineering === undefined &&
    sel.program_id === undefined &&
    sel.observation_id === undefined &&
    sel.data_label === undefined &&
    sel.filename === undefined &&
    sel.filepre === undefined
  );
}

export function selectionToSql(sel: Selection, opts: SqlOptions = {}): SqlFragment {
  const p = new SqlParams(opts.firstParam ?? 1);
  const where: string[] = [];
  const eq = (column: string, value: string) => where.push(`${column} = ${p.add(value, 'text')}`);
  const flag = (column: string, value: boolean | undefined) => {
    if (value !== undefined) where.push(value ? `${column} IS TRUE` : `${column} IS NOT TRUE`);
  };
  const between = (column: string, lo: number, hi: number, hiOp: '<' | '<=' = '<', loOp: '>=' | '>' = '>=') =>
    where.push(`${column} ${loOp} ${p.add(lo, 'float8')} AND ${column} ${hiOp} ${p.add(hi, 'float8')}`);
  const timeRange = ([start, end]: [Date, Date]) =>
    `h.ut_datetime >= ${p.add(start.toISOString(), 'timestamptz')} AND h.ut_datetime < ${p.add(end.toISOString(), 'timestamptz')}`;

  // Which version of each file.
  if (sel.present !== undefined) flag('df.present', sel.present);
  if (sel.canonical !== undefined) flag('df.canonical', sel.canonical);
  if (opts.defaults !== false && sel.present === undefined && sel.canonical === undefined) {
    where.push('df.canonical');
  }
  flag('df.mdready', sel.mdready);

  // Identifiers.
  if (sel.program_id !== undefined) eq('h.program_id', sel.program_id);
  if (sel.observation_id !== undefined) eq('h.observation_id', sel.observation_id);
  if (sel.data_label !== undefined) eq('h.data_label', sel.data_label);
  if (sel.filename !== undefined) eq('f.name', sel.filename);
  if (sel.filepre !== undefined) where.push(`f.name LIKE ${p.add(escapeLike(sel.filepre) + '%', 'text')}`);

  // Time.
  if (sel.date !== undefined) where.push(timeRange(dateBounds(sel.date)));
  if (sel.daterange !== undefined) where.push(timeRange(dateBounds(sel.daterange)));
  for (const key of ['night', 'nightrange'] as const) {
    const v = sel[key];
    if (v === undefined) continue;
    const [a, b = a] = v.split('-');
    const bySite = (['GN', 'GS'] as const).map(
      (site) =>
        `(h.telescope = ${p.add(SITE_TELESCOPE[site], 'text')} AND ${timeRange(nightRangeBounds(a, b, site))})`,
    );
    // Data from elsewhere (no telescope recorded): the night label is taken as the UT date.
    const other = `(h.telescope IS DISTINCT FROM ${p.add(SITE_TELESCOPE.GN, 'text')} AND h.telescope IS DISTINCT FROM ${p.add(SITE_TELESCOPE.GS, 'text')} AND ${timeRange(utDatesRange(a, b))})`;
    where.push(`(${bySite.join(' OR ')} OR ${other})`);
  }

  // What and where.
  if (sel.telescope !== undefined) eq('h.telescope', sel.telescope);
  if (sel.inst !== undefined) {
    if (sel.inst === 'GMOS') where.push(`h.instrument = ANY(${p.add([...gmos.names], 'text[]')})`);
    else eq('h.instrument', sel.inst);
  }
  if (sel.observation_type !== undefined) eq('h.observation_type', sel.observation_type);
  if (sel.observation_class !== undefined) eq('h.observation_class', sel.observation_class);
  if (sel.reduction !== undefined) eq('h.reduction', sel.reduction);
  if (sel.processing !== undefined) {
    // header.processing: 'Raw' for raw data, else from DRAGONS' PROCMODE card (metadata.ts).
    eq('h.processing', sel.processing);
  }

  // Quality and status.
  switch (sel.qa_state) {
    case undefined:
    case 'AnyQA':
      break;
    case 'Win':
      where.push(`h.qa_state = ANY(${p.add(['Pass', 'Usable'], 'text[]')})`);
      break;
    case 'Lucky':
      where.push(`h.qa_state = ANY(${p.add(['Pass', 'Undefined'], 'text[]')})`);
      break;
    case 'NotFail':
      where.push(`h.qa_state IS DISTINCT FROM ${p.add('Fail', 'text')}`);
      break;
    case 'UndefinedQA':
      eq('h.qa_state', 'Undefined');
      break;
    default:
      eq('h.qa_state', sel.qa_state);
  }
  if (sel.engineering === true || sel.engineering === false) flag('h.engineering', sel.engineering);
  else if (opts.defaults !== false && excludesEngineeringByDefault(sel)) flag('h.engineering', false);
  flag('h.science_verification', sel.science_verification);
  flag('h.calibration_program', sel.calprog);
  if (sel.site_monitoring !== undefined) {
    const op = sel.site_monitoring ? '=' : 'IS DISTINCT FROM';
    where.push(`h.instrument ${op} ${p.add('GS_ALLSKYCAMERA', 'text')}`);
  }
  if (sel.twilight !== undefined) {
    where.push(`h.object ${sel.twilight ? '=' : 'IS DISTINCT FROM'} ${p.add('Twilight', 'text')}`);
  }
  if (sel.pre_image !== undefined) {
    const cond = `(h.keywords->>'PREIMAGE') = ANY(${p.add(['true', 'T'], 'text[]')})`;
    where.push(sel.pre_image ? cond : `(${cond}) IS NOT TRUE`);
  }

  if (sel.photstandard === true) where.push('h.phot_standard IS TRUE');
  if (sel.gpi_astrometric_standard !== undefined) {
    // GPI marks its astrometric calibration fields with ASTROMTC.
    const cond = `h.instrument = ${p.add('GPI', 'text')} AND (h.keywords->>'ASTROMTC') = ANY(${p.add(['true', 'T'], 'text[]')})`;
    where.push(sel.gpi_astrometric_standard ? cond : `(${cond}) IS NOT TRUE`);
  }

  // Programs and publications: words all present (full-text, as the archive's to_tsvector match).
  for (const [key, column] of [
    ['PIname', 'pi_coi_names'],
    ['ProgramText', 'title'],
  ] as const) {
    const v = sel[key];
    if (v === undefined) continue;
    where.push(
      `EXISTS (SELECT 1 FROM program p WHERE p.program_id = h.program_id AND ` +
        `to_tsvector('english', coalesce(p.${column}, '')) @@ plainto_tsquery('english', ${p.add(v, 'text')}))`,
    );
  }
  if (sel.publication !== undefined) {
    where.push(
      `EXISTS (SELECT 1 FROM program p JOIN programpublication pp ON pp.program_id = p.id ` +
        `JOIN publication pub ON pub.id = pp.publication_id ` +
        `WHERE p.program_id = h.program_id AND pub.bibcode = ${p.add(sel.publication, 'text')})`,
    );
  }

  // Files.
  if (sel.path !== undefined) eq('df.path', sel.path);
  for (const [key, column] of [
    ['entrytimedaterange', 'df.entrytime'],
    ['lastmoddaterange', 'df.lastmod'],
  ] as const) {
    const v = sel[key];
    if (v === undefined) continue;
    const [start, end] = dateBounds(v);
    where.push(
      `${column} >= ${p.add(start.toISOString(), 'timestamptz')} AND ${column} < ${p.add(end.toISOString(), 'timestamptz')}`,
    );
  }
  if (sel.processing_tag !== undefined) {
    // Raw data has no tag and always matches, as on the archive. We keep no processing-tag table
    // (the archive's reprocessing campaigns): processed data matches only through a PROCTAG card.
    where.push(`(h.reduction = 'RAW' OR (h.keywords->>'PROCTAG') = ${p.add(sel.processing_tag, 'text')})`);
  }

  // Configuration.
  flag('h.spectroscopy', sel.spectroscopy);
  if (sel.mode !== undefined) eq('h.mode', sel.mode);
  if (sel.ao !== undefined) flag('h.adaptive_optics', sel.ao === 'AO');
  if (sel.lgs !== undefined) flag('h.laser_guide_star', sel.lgs === 'LGS');
  if (sel.disperser !== undefined) disperser(sel.disperser);
  if (sel.camera !== undefined) camera(sel.camera);
  if (sel.focal_plane_mask !== undefined) {
    const m = sel.focal_plane_mask;
    // GMOS: a prefix finds every mask of a MOS program; TReCS names carry quotes and "+ options".
    if (sel.inst?.startsWith('GMOS'))
      where.push(`h.focal_plane_mask LIKE ${p.add(escapeLike(m) + '%', 'text')}`);
    else if (sel.inst === 'TReCS')
      where.push(`h.focal_plane_mask LIKE ${p.add('%' + escapeLike(m) + '%', 'text')}`);
    else eq('h.focal_plane_mask', m);
  }
  if (sel.filter !== undefined) eq('h.filter_name', sel.filter);
  if (sel.binning !== undefined) eq('h.detector_binning', sel.binning);
  if (sel.gain !== undefined) eq('h.detector_gain_setting', sel.gain);
  if (sel.readspeed !== undefined) eq('h.detector_readspeed_setting', sel.readspeed);
  if (sel.welldepth !== undefined) eq('h.detector_welldepth_setting', sel.welldepth);
  if (sel.readmode !== undefined) {
    // Stored as astrodata names it ('Very Faint Objects'); URL words have '_' for ' '.
    where.push(
      `replace(h.detector_readmode_setting, ' ', '_') = ${p.add(sel.readmode.replace(/ /g, '_'), 'text')}`,
    );
  }
  if (sel.pupil_mask !== undefined) {
    // No column: what astrodata reads, component id removed (GPI's APODIZER, NIRI's FILTER3 'pup…').
    where.push(`${PUPIL_MASK} = ${p.add(sel.pupil_mask, 'text')}`);
  }
  if (sel.detector_roi !== undefined) {
    // Instruments without selectable ROIs record 'Fixed': that is their full frame.
    if (sel.detector_roi === 'Full Frame') {
      where.push(`h.detector_roi_setting = ANY(${p.add(['Fixed', 'Full Frame'], 'text[]')})`);
    } else eq('h.detector_roi_setting', sel.detector_roi);
  }

  // Target and numbers.
  const pos = sel.ra !== undefined || sel.dec !== undefined ? positionConstraint(sel) : undefined;
  if (pos?.cone) {
    const { ra, dec, radius } = pos.cone;
    const [r, d] = [p.add(ra, 'float8'), p.add(dec, 'float8')];
    // Haversine great-circle distance, in degrees.
    where.push(
      `degrees(2 * asin(least(1, sqrt(power(sin(radians(h.dec - ${d}) / 2), 2) + ` +
        `cos(radians(h.dec)) * cos(radians(${d})) * power(sin(radians(h.ra - ${r}) / 2), 2))))) <= ${p.add(radius, 'float8')}`,
    );
  }
  if (pos?.dec) between('h.dec', pos.dec.lo, pos.dec.hi);
  if (pos?.ra) {
    const { lo, hi } = pos.ra;
    if (lo <= hi) between('h.ra', lo, hi);
    else where.push(`(h.ra >= ${p.add(lo, 'float8')} OR h.ra < ${p.add(hi, 'float8')})`);
  }
  // A name search is dropped when a position is given, as on the archive.
  if (sel.object !== undefined && pos === undefined) {
    where.push(`h.object ILIKE ${p.add(escapeLike(sel.object).replace(/\*/g, '%'), 'text')}`);
  }
  const ranges: Array<
    [string | undefined, string, (s: string) => ReturnType<typeof degreeRange>, '<' | '<=', '>=' | '>']
  > = [
    [sel.exposure_time, 'h.exposure_time', exposureTimeRange, '<=', '>='],
    [sel.cenwlen, 'h.central_wavelength', centralWavelengthRange, '<', '>'],
    [sel.az, 'h.azimuth', (s) => degreeRange(s, 'azimuth'), '<', '>='],
    [sel.el, 'h.elevation', (s) => degreeRange(s, 'elevation'), '<', '>='],
    [sel.crpa, CRPA, (s) => degreeRange(s, 'CRPA'), '<', '>='],
  ];
  for (const [raw, column, read, hiOp, loOp] of ranges) {
    if (raw === undefined) continue;
    const r = read(raw);
    if (r.ok) between(column, r.value.lo, r.value.hi, hiOp, loOp);
  }
  if (sel.coadds !== undefined) {
    const c = coaddsValue(sel.coadds);
    if (c.ok) where.push(`h.coadds = ${p.add(c.value, 'integer')}`);
  }
  for (const key of ['raw_iq', 'raw_cc', 'raw_wv', 'raw_bg'] as const) {
    const raw = sel[key];
    if (raw === undefined) continue;
    const v = percentileValue(raw, key);
    // Stored as the percentile number; older ingests wrote '70-percentile' and 'Any'.
    const spellings = v.ok
      ? [String(v.value), `${v.value}-percentile`, ...(v.value === 100 ? ['Any'] : [])]
      : [];
    if (v.ok) where.push(`h.${key} = ANY(${p.add(spellings, 'text[]')})`);
  }

  // Gemini's proprietary-metadata rule (FitsStorage's querypropcoords, widened to the requester's
  // own rights): a search by target or position never matches a row whose metadata the requester
  // may not see, or the name and position could be recovered by probing.
  const byCoords =
    pos !== undefined ||
    (sel.object !== undefined && pos === undefined) ||
    [sel.az, sel.el, sel.crpa].some((v) => v !== undefined);
  const visible = byCoords ? metadataVisible(opts.coords, p) : null;
  if (visible) where.push(visible(qualified));

  // Each condition in parentheses, so that the whole is safe to AND with anything.
  return { where: where.length ? where.map((w) => `(${w})`).join(' AND ') : 'TRUE', values: p.values };

  function disperser(d: string): void {
    // GNIRS cross-dispersed modes: the short and long XD prisms under one name.
    const gnirsXd: Readonly<Record<string, string>> = {
      '10lXD': '10_mm',
      '32lXD': '32_mm',
      '111lXD': '111_mm',
    };
    if (sel.inst === 'GNIRS') {
      const g = gnirsXd[d];
      if (g) where.push(`h.disperser = ANY(${p.add([`${g}&SXD`, `${g}&LXD`], 'text[]')})`);
      else eq('h.disperser', d);
      return;
    }
    // Names may still carry a component id (B600_G5307).
    where.push(
      `(h.disperser = ${p.add(d, 'text')} OR h.disperser LIKE ${p.add(escapeLike(d) + '\\_%', 'text')})`,
    );
  }

  function camera(c: string): void {
    // GNIRS long and short cameras come in red and blue versions.
    const gnirs: Readonly<Record<string, [string, string]>> = {
      GnirsLong: ['LongRed', 'LongBlue'],
      GnirsShort: ['ShortRed', 'ShortBlue'],
    };
    if (gnirs[c]) where.push(`h.camera = ANY(${p.add(gnirs[c], 'text[]')})`);
    else eq('h.camera', c);
  }
}

const PUPIL_MASK = `regexp_replace(coalesce(h.keywords->>'APODIZER', CASE WHEN (h.keywords->>'FILTER3') LIKE 'pup%' THEN h.keywords->>'FILTER3' END), '_G[0-9]+$', '')`;

// The Cassegrain rotator angle lives only in the card (no header column); non-numbers count as unknown.
const CRPA = 'h.cass_rotator_pa';
