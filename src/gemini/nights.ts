// UT dates and Gemini observing nights.
//
// A Gemini "night label" is a YYYYMMDD that does not change during an observing night. Both
// summit data-handling systems roll the date over at 14:00 local time, i.e. in the afternoon:
//   - Gemini-North (Hawaii, HST = UTC-10, no daylight saving): 14:00 HST is 00:00 UT, so the
//     night label is simply the UT date.
//   - Gemini-South (Chile, UTC-4 in winter / UTC-3 in summer): the label changes at 14:00 local,
//     i.e. 18:00 UT in winter and 17:00 UT in summer, so an evening exposure carries the next
//     day's date and DATE-OBS (UT) can be one day earlier than the date in the filename.
// The corpus shows both sides of the boundary: a GS file taken 2014-03-20 17:20 UT (14:20 CLST)
// is named S20140321..., one taken 2014-03-15 16:46 UT (13:46 CLST) is S20140315...; a fixed
// "UT + 6 h" rule (the FitsStorage CHILE_OFFSET) would mislabel the first, so we use the real
// Chilean clock through the platform's time-zone database (Node ships full ICU).

export type Site = 'GN' | 'GS';

const SITE_TIME_ZONE: Record<Site, string> = {
  GN: 'Pacific/Honolulu',
  GS: 'America/Santiago',
};

/** The local hour at which a site's night label rolls over to the next date. */
const ROLLOVER_HOUR = 14;

const DAY_MS = 86_400_000;
const HOUR_MS = 3_600_000;

const YYYYMMDD_RE = /^(\d{4})(\d{2})(\d{2})$/;

/** True when `s` is a real calendar date written YYYYMMDD. */
export function isYyyymmdd(s: string): boolean {
  return parseYyyymmdd(s) !== null;
}

/** Midnight UT of a YYYYMMDD date as epoch milliseconds, or null when it is not a real date. */
function parseYyyymmdd(s: string): number | null {
  const m = YYYYMMDD_RE.exec(s);
  if (!m) return null;
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const ms = Date.UTC(y, mo - 1, d);
  const back = new Date(ms);
  // Date.UTC silently rolls 20200231 into March; reject anything that does not round-trip.
  if (back.getUTCFullYear() !== y || back.getUTCMonth() !== mo - 1 || back.getUTCDate() !== d) return null;
  return ms;
}

/** The UT date (YYYYMMDD) of an instant. */
export function utDate(t: Date): string {
  return formatYyyymmdd(t.getTime());
}

function formatYyyymmdd(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10).replace(/-/g, '');
}

function requireDate(yyyymmdd: string): number {
  const ms = parseYyyymmdd(yyyymmdd);
  if (ms === null) throw new RangeError(`not a YYYYMMDD date: ${JSON.stringify(yyyymmdd)}`);
  return ms;
}

/** [start, end) of a UT day. */
export function utDateRange(yyyymmdd: string): [Date, Date] {
  const start = requireDate(yyyymmdd);
  return [new Date(start), new Date(start + DAY_MS)];
}

/** [start of first, end of last) UT day of an inclusive date range; the ends may come in either order. */
export function utDatesRange(first: string, last: string): [Date, Date] {
  let a = requireDate(first);
  let b = requireDate(last);
  if (a > b) [a, b] = [b, a];
  return [new Date(a), new Date(b + DAY_MS)];
}

const offsetFormatters = new Map<string, Intl.DateTimeFormat>();

/** Offset of the site's local clock from UT at instant `ms`, in milliseconds (negative west of Greenwich). */
function localOffsetMs(site: Site, ms: number): number {
  const tz = SITE_TIME_ZONE[site];
  let fmt = offsetFormatters.get(tz);
  if (!fmt) {
    fmt = new Intl.DateTimeFormat('en-US', {
      timeZone: tz,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
    });
    offsetFormatters.set(tz, fmt);
  }
  const parts: Record<string, number> = {};
  for (const p of fmt.formatToParts(new Date(ms))) {
    if (p.type !== 'literal') parts[p.type] = Number(p.value);
  }
  const asUtc = Date.UTC(parts.year, parts.month - 1, parts.day, parts.hour, parts.minute, parts.second);
  // Round away the sub-second part of `ms` that the formatter dropped.
  return Math.round((asUtc - ms) / 60_000) * 60_000;
}

/** The observing-night label (YYYYMMDD) of an instant at a site. */
export function nightOf(ut: Date, site: Site): string {
  const ms = ut.getTime();
  if (Number.isNaN(ms)) throw new RangeError('invalid date');
  // Local clock shifted so that the 14:00 rollover lands on midnight.
  return formatYyyymmdd(ms + localOffsetMs(site, ms) + (24 - ROLLOVER_HOUR) * HOUR_MS);
}

/** The UT instant at which the site's local clock reads 14:00 on the given UT-midnight date. */
function rolloverInstant(site: Site, dayMs: number): number {
  const localTarget = dayMs + ROLLOVER_HOUR * HOUR_MS;
  // Two passes settle the offset even when a daylight-saving change falls near the rollover.
  let guess = localTarget - localOffsetMs(site, localTarget);
  guess = localTarget - localOffsetMs(site, guess);
  return guess;
}

/** [start, end) in UT of the observing night labelled `yyyymmdd` at a site. */
export function utRangeOfNight(yyyymmdd: string, site: Site): [Date, Date] {
  const day = requireDate(yyyymmdd);
  return [new Date(rolloverInstant(site, day - DAY_MS)), new Date(rolloverInstant(site, day))];
}

/**
 * The last `n` UT dates up to and including today's, oldest first: the archive's `today` is
 * recentUtDates(1), `twoday` recentUtDates(2), `fourday` recentUtDates(4) and so on.
 */
export function recentUtDates(n: number, now: Date = new Date()): string[] {
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`need a positive whole number of days, got ${n}`);
  const today = requireDate(utDate(now));
  const out: string[] = [];
  for (let i = n - 1; i >= 0; i--) out.push(formatYyyymmdd(today - i * DAY_MS));
  return out;
}

/** Named day spans of the archive's selection grammar, in days including today. */
export const RECENT_DAY_WORDS: Readonly<Record<string, number>> = {
  today: 1,
  twoday: 2,
  threeday: 3,
  fourday: 4,
  fiveday: 5,
  sixday: 6,
  sevenday: 7,
  tenday: 10,
};

/**
 * A date as the selection grammar writes it: YYYYMMDD, or today / yesterday / tomorrow (UT).
 * Returns YYYYMMDD, or null when it is not a date. Dates outside 1999..2099 are refused, as the
 * archive does, so that a stray eight-digit number is not read as a date.
 */
export function geminiDate(s: string, now: Date = new Date()): string | null {
  const today = requireDate(utDate(now));
  if (s === 'today') return formatYyyymmdd(today);
  if (s === 'yesterday') return formatYyyymmdd(today - DAY_MS);
  if (s === 'tomorrow') return formatYyyymmdd(today + DAY_MS);
  const ms = parseYyyymmdd(s);
  if (ms === null) return null;
  const year = Number(s.slice(0, 4));
  return year >= 1999 && year <= 2099 ? s : null;
}
