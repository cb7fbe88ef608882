// Header dates and times to exact strings. JavaScript Dates keep milliseconds only, and the
// header table keeps microseconds (TIME-OBS '06:53:01.148842'), so instants travel as integer
// microseconds since the epoch and are formatted by hand.

const DATE_RE = /^(\d{4})-(\d{2})-(\d{2})$/;
const DATETIME_RE = /^(\d{4})-([01]\d)-([0123]\d)T([012]\d:[0-5]\d:\d\d(?:\.\d*)?)/;
const TIME_RE = /^([012]?\d):([0-5]?\d):(\d\d?(?:\.\d*)?)$/;

export interface TimeOfDay {
  /** Microseconds since midnight. */
  micros: number;
}

export function parseTimeOfDay(s: string): TimeOfDay | undefined {
  const m = TIME_RE.exec(s.trim());
  if (!m) return undefined;
  const [h, mi] = [Number(m[1]), Number(m[2])];
  if (h > 23) return undefined;
  const [whole, frac = ''] = m[3].split('.');
  const micros = Number((frac + '000000').slice(0, 6));
  return { micros: ((h * 60 + mi) * 60 + Number(whole)) * 1_000_000 + micros };
}

/** Epoch microseconds of midnight UT of 'YYYY-MM-DD', or undefined when not a real date. */
export function parseIsoDate(s: string): number | undefined {
  const m = DATE_RE.exec(s.trim());
  if (!m) return undefined;
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const ms = Date.UTC(y, mo - 1, d);
  const back = new Date(ms);
  if (back.getUTCFullYear() !== y || back.getUTCMonth() !== mo - 1 || back.getUTCDate() !== d)
    return undefined;
  return ms * 1000;
}

/** 'YYYY-MM-DDTHH:MM:SS[.sss]' at the start of a string, as epoch microseconds. */
export function parseIsoDatetime(s: string): number | undefined {
  const m = DATETIME_RE.exec(s.trim());
  if (!m) return undefined;
  const day = parseIsoDate(`${m[1]}-${m[2]}-${m[3]}`);
  const t = parseTimeOfDay(m[4]);
  return day === undefined || t === undefined ? undefined : day + t.micros;
}

function pad(n: number, w = 2): string {
  return String(n).padStart(w, '0');
}

/** 'YYYY-MM-DDTHH:MM:SS[.ffffff]Z' from epoch microseconds (fraction only when non-zero). */
export function formatUtMicros(micros: number): string {
  const ms = Math.floor(micros / 1000);
  const rest = micros - ms * 1000; // 0..999 microseconds beyond the millisecond
  const d = new Date(ms);
  const frac = d.getUTCMilliseconds() * 1000 + rest;
  const base =
    `${pad(d.getUTCFullYear(), 4)}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}` +
    `T${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}`;
  return `${base}${frac ? '.' + pad(frac, 6) : ''}Z`;
}

/** 'HH:MM:SS[.ffffff]' (fraction only when non-zero), as Postgres `time` reads it. */
export function formatTimeOfDay(t: TimeOfDay): string {
  const micros = t.micros % 86_400_000_000;
  const secs = Math.floor(micros / 1_000_000);
  const frac = micros - secs * 1_000_000;
  const base = `${pad(Math.floor(secs / 3600))}:${pad(Math.floor(secs / 60) % 60)}:${pad(secs % 60)}`;
  return `${base}${frac ? '.' + pad(frac, 6) : ''}`;
}

const MJD_EPOCH_MICROS = Date.UTC(1858, 10, 17) * 1000;

export function mjdToMicros(mjd: number): number {
  return MJD_EPOCH_MICROS + Math.round(mjd * 86_400_000_000);
}
