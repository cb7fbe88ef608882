// fitsverify-style checks: the structural problems of the reader plus the mandatory keywords of
// FITS 4.0 §4.4 and §7, in their required order and with valid values. Deviations that readers
// tolerate (missing EXTEND, duplicate keywords, unknown extension types) are warnings.

import type { Readable } from 'node:stream';
import { columnsOf, rowWidth } from './bintable.js';
import { hduLabel, VALID_BITPIX } from './layout.js';
import { FitsReadError, readFits, type ReadOptions } from './reader.js';
import type { Card, FitsProblem, Hdu } from './types.js';

export interface VerifyResult {
  /** No error-severity problems. */
  ok: boolean;
  problems: FitsProblem[];
  hdus: Hdu[];
  errors: number;
  warnings: number;
  totalBytes: number;
}

type Kind = FitsProblem['kind'];

class Checker {
  readonly problems: FitsProblem[] = [];
  constructor(
    private readonly hdu: Hdu,
    private readonly label: string,
  ) {}

  add(kind: Kind, message: string, severity: 'error' | 'warning' = 'error'): void {
    const p: FitsProblem = { hdu: this.hdu.index, kind, message: `${this.label}: ${message}`, fatal: false };
    if (severity === 'warning') p.severity = 'warning';
    this.problems.push(p);
  }

  private get cards(): Card[] {
    return this.hdu.header.cards;
  }

  /** Keyword must be card `pos` (0-based) and satisfy `valid`. */
  at(pos: number, keyword: string, valid: (v: unknown) => boolean, want: string): void {
    const card = this.cards[pos];
    if (card?.keyword === keyword) {
      if (!valid(card.value))
        this.add('bad-value', `${keyword} = ${JSON.stringify(card.value ?? null)}: must be ${want}`);
      return;
    }
    if (this.hdu.header.has(keyword)) this.add('bad-keyword', `${keyword} must be card ${pos + 1}`);
    else this.add('missing-keyword', `mandatory keyword ${keyword} is missing`);
  }

  /** Keyword must be present (anywhere) and satisfy `valid`. */
  present(keyword: string, valid: (v: unknown) => boolean, want: string): void {
    if (!this.hdu.header.has(keyword)) {
      this.add('missing-keyword', `mandatory keyword ${keyword} is missing`);
      return;
    }
    const v = this.hdu.header.get(keyword);
    if (!valid(v)) this.add('bad-value', `${keyword} = ${JSON.stringify(v ?? null)}: must be ${want}`);
  }

  /** Optional keyword that, if present, must satisfy `valid`. */
  optional(keyword: string, valid: (v: unknown) => boolean, want: string): void {
    if (this.hdu.header.has(keyword)) this.present(keyword, valid, want);
  }
}

const isInt = (v: unknown) => typeof v === 'number' && Number.isInteger(v);
const nonNeg = (v: unknown) => isInt(v) && (v as number) >= 0;
const eq = (x: unknown) => (v: unknown) => v === x;
const isNum = (v: unknown) => typeof v === 'number';
const isStr = (v: unknown) => typeof v === 'string';

const COMMENTARY = new Set(['COMMENT', 'HISTORY', '', 'CONTINUE']);

function checkHdu(hdu: Hdu, count: number): FitsProblem[] {
  const h = hdu.header;
  const c = new Checker(hdu, hduLabel(hdu.index, h));
  const primary = hdu.index === 0;
  if (primary) c.at(0, 'SIMPLE', eq(true), 'T');
  else c.at(0, 'XTENSION', isStr, 'a string');
  c.at(1, 'BITPIX', (v) => VALID_BITPIX.has(v as number), 'one of 8, 16, 32, 64, -32, -64');
  c.at(2, 'NAXIS', (v) => nonNeg(v) && (v as number) <= 999, 'an integer 0–999');
  const naxis = nonNeg(h.get('NAXIS')) ? (h.get('NAXIS') as number) : 0;
  for (let n = 1; n <= naxis; n++) c.at(2 + n, `NAXIS${n}`, nonNeg, 'a non-negative integer');

  if (primary) {
    if (count > 1 && h.get('EXTEND') !== true) {
      c.add('missing-keyword', 'EXTEND = T should be present when extensions follow', 'warning');
    }
  } else {
    c.at(3 + naxis, 'PCOUNT', nonNeg, 'a non-negative integer');
    c.at(4 + naxis, 'GCOUNT', nonNeg, 'a non-negative integer');
    for (const k of ['SIMPLE', 'EXTEND', 'GROUPS']) {
      if (h.has(k)) c.add('bad-keyword', `${k} belongs in the primary header only`, 'warning');
    }
    const xt = String(h.get('XTENSION') ?? '').trim();
    if (xt === 'IMAGE') {
      // Presence and position were checked above; here only the values.
      c.optional('PCOUNT', eq(0), '0 in an IMAGE extension');
      c.optional('GCOUNT', eq(1), '1 in an IMAGE extension');
    } else if (xt === 'TABLE' || xt === 'BINTABLE') {
      checkTable(c, hdu, xt);
    } else if (xt !== '') {
      c.add('bad-value', `XTENSION = '${xt}' is not a standard extension type`, 'warning');
    }
  }

  c.optional('EXTNAME', isStr, 'a string');
  c.optional('EXTVER', isInt, 'an integer');
  c.optional('BSCALE', isNum, 'a number');
  c.optional('BZERO', isNum, 'a number');
  c.optional('BLANK', isInt, 'an integer');
  const bitpix = h.get('BITPIX');
  if (h.has('BLANK') && typeof bitpix === 'number' && bitpix < 0) {
    c.add('bad-keyword', 'BLANK is meaningless with floating-point BITPIX', 'warning');
  }

  const seen = new Set<string>();
  const reported = new Set<string>();
  for (const card of h.cards) {
    const k = card.keyword.toUpperCase();
    if (COMMENTARY.has(k)) continue;
    if (seen.has(k) && !reported.has(k)) {
      reported.add(k);
      c.add('bad-keyword', `keyword ${k} appears more than once`, 'warning');
    }
    seen.add(k);
  }
  return c.problems;
}

function checkTable(c: Checker, hdu: Hdu, xt: 'TABLE' | 'BINTABLE'): void {
  const h = hdu.header;
  c.optional('BITPIX', eq(8), `8 in a ${xt}`);
  c.optional('NAXIS', eq(2), `2 in a ${xt}`);
  if (xt === 'TABLE') c.optional('PCOUNT', eq(0), '0 in a TABLE');
  c.optional('GCOUNT', eq(1), `1 in a ${xt}`);
  c.present('TFIELDS', (v) => nonNeg(v) && (v as number) <= 999, 'an integer 0–999');
  const tfields = h.get('TFIELDS');
  if (!nonNeg(tfields)) return;
  for (let n = 1; n <= (tfields as number); n++) {
    c.present(`TFORM${n}`, isStr, 'a string');
    if (xt === 'TABLE') c.present(`TBCOL${n}`, (v) => isInt(v) && (v as number) >= 1, 'a positive integer');
  }
  if (xt === 'BINTABLE') {
    try {
      const width = rowWidth(columnsOf(h));
      if (width !== h.get('NAXIS1'))
        c.add('bad-value', `NAXIS1 = ${h.get('NAXIS1')} but the TFORMn columns add up to ${width} bytes`);
    } catch (err) {
      c.add('bad-value', err instanceof Error ? err.message : String(err));
    }
    if (h.has('THEAP') && h.get('PCOUNT') === 0)
      c.add('bad-keyword', 'THEAP given but PCOUNT = 0', 'warning');
  }
}

/** Verifies a FITS file (or stream): structure, then each header's mandatory keywords. */
export async function verifyFits(
  source: string | Readable,
  opts: Pick<ReadOptions, 'bzip2'> = {},
): Promise<VerifyResult> {
  let hdus: Hdu[];
  let problems: FitsProblem[];
  let totalBytes: number;
  try {
    ({ hdus, problems, totalBytes } = await readFits(source, opts));
  } catch (err) {
    if (!(err instanceof FitsReadError)) throw err;
    ({ hdus, problems, totalBytes } = err.partial);
    problems.push({ kind: 'read-error', message: err.message, fatal: true });
  }
  for (const hdu of hdus) problems.push(...checkHdu(hdu, hdus.length));
  const warnings = problems.filter((p) => p.severity === 'warning').length;
  const errors = problems.length - warnings;
  return { ok: errors === 0, problems, hdus, errors, warnings, totalBytes };
}
