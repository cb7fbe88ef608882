// Field-by-field comparison of extracted header rows with the archive's /jsonsummary answers,
// shared by the local corpus measurement (bench/metadata-corpus.ts) and the fidelity test over
// the project's own fixtures (test/gemini/fidelity.test.ts).

import { parseCards } from '../src/fits/cards.js';
import { makeHeader } from '../src/fits/header.js';
import type { Header } from '../src/fits/types.js';
import type { Corner } from '../src/gemini/footprint.js';
import type { HeaderRow } from '../src/gemini/headerrow.js';

/** One /jsonsummary entry: the archive's field names and values. */
export type Expected = Record<string, unknown>;

/** Fields not compared: `types` (old answers spell tags the 2017 way) and the raw keyword map. */
const NOT_COMPARED = new Set(['types', 'keywords']);

/** Degrees: positions computed from a WCS agree to a few milliarcseconds, not to the last bit. */
const POSITION_TOLERANCE = 5e-6;

export interface FieldResult {
  field: string;
  ok: boolean;
  got: unknown;
  want: unknown;
}

export interface FileResult {
  name: string;
  instrument: string;
  fields: FieldResult[];
}

/**
 * Header dump text → one Header per HDU. Accepts plain card images (80 columns a line, HDUs
 * following each other after END or separated by lines such as '--- HDU 1 ---', '--- PHU ---'
 * or '# HDU 0 in file:'); other free text lines (Filename:, AstroData Types:) are skipped.
 */
export function parseHeaderDump(text: string): Header[] {
  const hdus: string[][] = [];
  let cur: string[] | null = null;
  const close = () => {
    if (cur && cur.length) hdus.push(cur);
    cur = null;
  };
  for (const line of text.split(/\r?\n/)) {
    if (/^(---|#\s*HDU|===)/.test(line)) {
      close();
      continue;
    }
    if (/^(Filename:|AstroData )/.test(line)) continue;
    if (/^(SIMPLE  =|XTENSION=)/.test(line)) close();
    if (/^END\s*$/.test(line)) {
      close();
      continue;
    }
    if (line.trim() === '' && cur === null) continue;
    (cur ??= []).push(line.padEnd(80).slice(0, 80));
  }
  close();
  return hdus
    .map((images) => makeHeader(parseCards(images.filter((l) => l.trim() !== '')).cards))
    .filter((h) => h.cards.length > 0);
}

function micros(v: unknown): number | undefined {
  if (typeof v !== 'string') return undefined;
  const m = /^(\d{4}-\d\d-\d\d)[ T](\d\d):(\d\d):(\d\d)(?:\.(\d+))?/.exec(v);
  if (!m) return undefined;
  const day = Date.parse(`${m[1]}T00:00:00Z`) * 1000;
  return (
    day +
    ((Number(m[2]) * 60 + Number(m[3])) * 60 + Number(m[4])) * 1e6 +
    Number(((m[5] ?? '') + '000000').slice(0, 6))
  );
}

function timeMicros(v: unknown): number | undefined {
  if (typeof v !== 'string') return undefined;
  const m = /^(\d\d):(\d\d):(\d\d)(?:\.(\d+))?$/.exec(v);
  if (!m) return undefined;
  return (
    ((Number(m[1]) * 60 + Number(m[2])) * 60 + Number(m[3])) * 1e6 +
    Number(((m[4] ?? '') + '000000').slice(0, 6))
  );
}

/**
 * Whether a standard star lies inside one of the footprints, as ingest asks the database
 * (`point <@ polygon`: plain (RA, Dec) polygons, no wrap at RA 0, the boundary counting as
 * inside). For local measurements without a database.
 */
export function standardInside(
  polygons: readonly Corner[][],
  stars: readonly { ra: number; dec: number }[],
): boolean {
  return polygons.some((poly) => stars.some((s) => insidePolygon(poly, s.ra, s.dec)));
}

function insidePolygon(poly: readonly Corner[], x: number, y: number): boolean {
  let inside = false;
  for (let i = 0, j = poly.length - 1; i < poly.length; j = i++) {
    const [xi, yi] = poly[i]!;
    const [xj, yj] = poly[j]!;
    // On an edge: inside, as PostgreSQL counts it.
    const cross = (xj - xi) * (y - yi) - (yj - yi) * (x - xi);
    if (
      Math.abs(cross) < 1e-12 &&
      x >= Math.min(xi, xj) &&
      x <= Math.max(xi, xj) &&
      y >= Math.min(yi, yj) &&
      y <= Math.max(yi, yj)
    ) {
      return true;
    }
    if (yi > y !== yj > y && x < ((xj - xi) * (y - yi)) / (yj - yi) + xi) inside = !inside;
  }
  return inside;
}

export function agrees(field: string, got: unknown, want: unknown): boolean {
  if (want === undefined) return true;
  if (got === null || got === undefined || want === null) return (got ?? null) === want;
  if (field === 'ut_datetime') return micros(got) === micros(want);
  if (field === 'local_time') return timeMicros(got) === timeMicros(want);
  if (typeof want === 'number' && typeof got === 'number') {
    if (field === 'ra' || field === 'dec') return Math.abs(got - want) <= POSITION_TOLERANCE;
    return Math.abs(got - want) <= 1e-6 * Math.max(1, Math.abs(want));
  }
  if (typeof want === 'number' && typeof got === 'string') return Number(got) === want;
  return got === want;
}

/**
 * Compares the fields of an extracted row (or a /jsonsummary entry) with the archive's answer.
 * 'row': the fields both have (an extraction has no file sizes, the archive's old answers lack
 * newer fields); 'expected': every field of the answer, missing ones counting as disagreements.
 */
export function compareRow(
  name: string,
  row: HeaderRow | Record<string, unknown>,
  expected: Expected,
  fieldsFrom: 'row' | 'expected' = 'row',
): FileResult {
  const fields: FieldResult[] = [];
  const got = row as Record<string, unknown>;
  const names = fieldsFrom === 'row' ? Object.keys(got).filter((f) => f in expected) : Object.keys(expected);
  for (const field of names) {
    if (NOT_COMPARED.has(field)) continue;
    const want = expected[field];
    fields.push({ field, ok: agrees(field, got[field], want), got: got[field], want });
  }
  return { name, instrument: String(expected.instrument ?? got.instrument ?? '?'), fields };
}

export interface Tally {
  fields: Map<string, { ok: number; n: number }>;
  instruments: Map<string, { ok: number; n: number; files: number; goodFiles: number }>;
}

export function tally(results: readonly FileResult[]): Tally {
  const fields = new Map<string, { ok: number; n: number }>();
  const instruments = new Map<string, { ok: number; n: number; files: number; goodFiles: number }>();
  for (const r of results) {
    const inst = instruments.get(r.instrument) ?? { ok: 0, n: 0, files: 0, goodFiles: 0 };
    inst.files++;
    if (r.fields.every((f) => f.ok)) inst.goodFiles++;
    for (const f of r.fields) {
      const t = fields.get(f.field) ?? { ok: 0, n: 0 };
      t.n++;
      inst.n++;
      if (f.ok) {
        t.ok++;
        inst.ok++;
      }
      fields.set(f.field, t);
    }
    instruments.set(r.instrument, inst);
  }
  return { fields, instruments };
}

const pct = (ok: number, n: number) => (n === 0 ? '-' : ((100 * ok) / n).toFixed(1) + '%');

export function summarise(
  results: readonly FileResult[],
  opts: { onlyField?: string; onlyInst?: string; showDiff?: boolean; out: (s: string) => void },
): Tally {
  const t = tally(results);
  const { out } = opts;
  out(`files compared: ${results.length}`);
  out('\nper field (agreeing files / files whose answer has the field):');
  for (const [field, v] of [...t.fields].sort((a, b) => a[1].ok / a[1].n - b[1].ok / b[1].n)) {
    out(`  ${field.padEnd(28)} ${pct(v.ok, v.n).padStart(7)}  ${v.ok}/${v.n}`);
  }
  out('\nper instrument (agreeing fields / fields compared; files fully agreeing):');
  for (const [inst, v] of [...t.instruments].sort()) {
    out(`  ${inst.padEnd(16)} ${pct(v.ok, v.n).padStart(7)}  files ${v.goodFiles}/${v.files}`);
  }
  if (opts.showDiff) {
    out('\ndisagreements:');
    for (const r of results) {
      if (opts.onlyInst && r.instrument !== opts.onlyInst) continue;
      for (const f of r.fields) {
        if (f.ok || (opts.onlyField && f.field !== opts.onlyField)) continue;
        out(
          `  ${r.instrument.padEnd(12)} ${r.name.padEnd(36)} ${f.field}: got ${JSON.stringify(f.got)} want ${JSON.stringify(f.want)}`,
        );
      }
    }
  }
  return t;
}
