// Typed, forgiving access to a file's headers for the metadata extractors.
//
// Real Gemini headers are messy: numbers written as strings, '' or 'UNKNOWN' for missing values,
// -9999 sentinels, trailing blanks. Extractors read through these helpers so that one bad card
// makes one field null instead of failing the whole ingest.

import type { CardValue, Header } from '../../fits/types.js';

type Value = CardValue | undefined;

/** Extension names that hold no pixel data of the science arrays (astrodata keeps them aside). */
const NON_SCIENCE_EXTNAMES = new Set(['VAR', 'DQ', 'MDF', 'OBJCAT', 'REFCAT', 'OBJMASK', 'BPM', 'HISTORY']);

export class HeaderSet {
  readonly phu: Header;
  /** The science extensions, in file order (SCI ones if any are so named). */
  readonly exts: readonly Header[];
  /** Every extension after the primary header, in file order. */
  readonly allExts: readonly Header[];

  constructor(hdus: readonly Header[]) {
    if (hdus.length === 0) throw new Error('no header to read metadata from');
    this.phu = hdus[0];
    this.allExts = hdus.slice(1);
    const named = this.allExts.filter((h) => strOf(h.get('EXTNAME'))?.toUpperCase() === 'SCI');
    this.exts =
      named.length > 0
        ? named
        : this.allExts.filter((h) => {
            const xt = strOf(h.get('XTENSION'))?.toUpperCase();
            const name = strOf(h.get('EXTNAME'))?.toUpperCase();
            return (xt === undefined || xt === 'IMAGE') && !(name && NON_SCIENCE_EXTNAMES.has(name));
          });
  }

  has(keyword: string): boolean {
    return this.phu.has(keyword);
  }

  raw(keyword: string): Value {
    return this.phu.get(keyword);
  }

  /** Primary-header string, trimmed; undefined when absent, null-valued or blank. */
  str(keyword: string): string | undefined {
    return strOf(this.phu.get(keyword));
  }

  /** Primary-header number (numeric strings accepted); undefined when absent or not a number. */
  num(keyword: string): number | undefined {
    return numOf(this.phu.get(keyword));
  }

  /** Value from the first science extension, falling back to the primary header. */
  extStr(keyword: string): string | undefined {
    const h = this.exts[0];
    return (h && strOf(h.get(keyword))) ?? undefined;
  }

  extNum(keyword: string): number | undefined {
    const h = this.exts[0];
    return h ? numOf(h.get(keyword)) : undefined;
  }

  /** One value per science extension. */
  extValues(keyword: string): Value[] {
    return this.exts.map((h) => h.get(keyword));
  }

  /** Primary header first, then the first science extension. */
  anyStr(keyword: string): string | undefined {
    return this.str(keyword) ?? this.extStr(keyword);
  }

  anyNum(keyword: string): number | undefined {
    return this.num(keyword) ?? this.extNum(keyword);
  }

  /** Every primary-header keyword that has a value. */
  keywords(): string[] {
    return this.phu.cards.filter((c) => c.value !== undefined).map((c) => c.keyword);
  }
}

export function strOf(v: Value): string | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v === 'string') {
    const s = v.trim();
    return s === '' ? undefined : s;
  }
  if (typeof v === 'boolean') return v ? 'T' : 'F';
  return String(v);
}

export function numOf(v: Value): number | undefined {
  if (typeof v === 'number') return Number.isFinite(v) ? v : undefined;
  if (typeof v === 'string') {
    const s = v.trim().replace(/[dD]/, 'e');
    if (s === '' || !/^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i.test(s)) return undefined;
    return Number(s);
  }
  return undefined;
}

/** Remove a Gemini component id (`_G0301`): everything from the first `_G` on. */
export function removeComponentId(s: string): string {
  const i = s.indexOf('_G');
  return i < 0 ? s : s.slice(0, i);
}

/** Sexagesimal 'hh:mm:ss.s' or 'dd:mm:ss' to a number (hours or degrees as written). */
export function sexagesimal(s: string): number | undefined {
  const m = /^\s*([+-]?)(\d+)[: ](\d+)[: ](\d+(?:\.\d*)?)\s*$/.exec(s);
  if (!m) return numOf(s);
  const v = Number(m[2]) + Number(m[3]) / 60 + Number(m[4]) / 3600;
  return m[1] === '-' ? -v : v;
}
