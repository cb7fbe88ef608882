// Parsing of 80-character header cards (FITS 4.0 §4.1–4.2), including the long-string CONTINUE
// convention and ESO HIERARCH keywords. Parsing never throws: a card that breaks the rules is
// kept as well as it can be read and the breach is reported as a CardIssue, because archive
// ingest must still index files written by imperfect instrument software.

import type { Card, CardValue } from './types.js';

export const CARD_LENGTH = 80;

export interface CardIssue {
  kind: 'bad-card' | 'bad-keyword';
  message: string;
}

export interface ParsedCard {
  card: Card;
  issues: CardIssue[];
}

/** Keywords whose cards carry free text in columns 9–80 and never a value. */
export const COMMENTARY_KEYWORDS = new Set(['COMMENT', 'HISTORY', '']);

const KEYWORD_CHARS = /^[A-Z0-9_-]*$/;
const INTEGER = /^[+-]?\d+$/;
// Fixed-format and free-format reals; FITS allows a 'D' exponent for double precision.
const REAL = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[EeDd][+-]?\d+)?$/;
const REAL_PART = String.raw`[+-]?(?:\d+\.?\d*|\.\d+)(?:[EeDd][+-]?\d+)?`;
const COMPLEX = new RegExp(String.raw`^\(\s*${REAL_PART}\s*,\s*${REAL_PART}\s*\)$`);

/** The printable-ASCII rule of FITS headers: bytes 0x20–0x7E only. */
export function firstNonPrintable(text: string): number {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x20 || c > 0x7e) return i;
  }
  return -1;
}

interface ValueParse {
  value: CardValue;
  comment?: string;
  /** Set when the value field could not be read as any FITS type. */
  problem?: string;
}

/**
 * Reads a quoted string starting at `text[0] === "'"`. Returns the unescaped string with trailing
 * blanks removed (they are not significant, §4.2.1.1) and the text after the closing quote, or
 * null when the closing quote is missing.
 */
function readQuoted(text: string): { value: string; rest: string } | null {
  let out = '';
  let i = 1;
  for (;;) {
    const q = text.indexOf("'", i);
    if (q < 0) return null;
    out += text.slice(i, q);
    if (text[q + 1] === "'") {
      out += "'";
      i = q + 2;
      continue;
    }
    return { value: out.replace(/ +$/, ''), rest: text.slice(q + 1) };
  }
}

/** Parses the value/comment field (columns 11–80 for standard keywords). */
export function parseValueField(field: string): ValueParse {
  const text = field.replace(/^ +/, '');
  if (text.startsWith("'")) {
    const q = readQuoted(text);
    if (!q) return { value: text.replace(/ +$/, ''), problem: 'unterminated string value' };
    const rest = q.rest.trim();
    if (rest === '') return { value: q.value };
    if (rest.startsWith('/')) return { value: q.value, comment: rest.slice(1).trim() };
    return { value: q.value, comment: rest, problem: `text after string value: ${JSON.stringify(rest)}` };
  }
  const slash = text.indexOf('/');
  const token = (slash < 0 ? text : text.slice(0, slash)).trim();
  const comment = slash < 0 ? undefined : text.slice(slash + 1).trim();
  const withComment = (v: ValueParse): ValueParse => (comment === undefined ? v : { ...v, comment });
  if (token === '') return withComment({ value: null });
  if (token === 'T') return withComment({ value: true });
  if (token === 'F') return withComment({ value: false });
  // Integers beyond 2^53 lose precision as numbers; the raw card keeps the exact digits.
  if (INTEGER.test(token)) return withComment({ value: Number(token) });
  if (REAL.test(token)) return withComment({ value: Number(token.replace(/[Dd]/, 'E')) });
  if (COMPLEX.test(token)) return withComment({ value: token });
  // Keep the raw token so people can still read a value like an unquoted date.
  return withComment({ value: token, problem: `unparseable value ${JSON.stringify(token)}` });
}

/**
 * Parses one 80-character card image. The image should be decoded as latin1 so that every byte
 * maps to one character and bad bytes can be reported by column.
 */
export function parseCard(image: string): ParsedCard {
  const issues: CardIssue[] = [];
  const raw = image.length >= CARD_LENGTH ? image.slice(0, CARD_LENGTH) : image.padEnd(CARD_LENGTH);
  const bad = firstNonPrintable(raw);
  if (bad >= 0) {
    issues.push({
      kind: 'bad-card',
      message: `non-ASCII byte 0x${raw.charCodeAt(bad).toString(16).padStart(2, '0')} in column ${bad + 1}`,
    });
  }

  const name = raw.slice(0, 8);
  // HIERARCH: "HIERARCH ESO DET CHIP = value"; the keyword is everything up to '='.
  if (name === 'HIERARCH' && raw.indexOf('=', 8) > 8) {
    const eq = raw.indexOf('=', 8);
    const keyword = raw.slice(8, eq).trim();
    const v = parseValueField(raw.slice(eq + 1));
    if (v.problem) issues.push({ kind: 'bad-card', message: `${keyword}: ${v.problem}` });
    return { card: withOptional({ keyword, raw }, v.value, v.comment), issues };
  }

  const trimmed = name.replace(/ +$/, '');
  const keyword = trimmed.toUpperCase();
  if (!KEYWORD_CHARS.test(trimmed)) {
    issues.push({ kind: 'bad-keyword', message: `invalid keyword ${JSON.stringify(trimmed)}` });
  }

  // Commentary cards, and any card without the "= " value indicator in columns 9–10, hold text.
  if (COMMENTARY_KEYWORDS.has(keyword) || raw.slice(8, 10) !== '= ') {
    const text = raw.slice(8).replace(/ +$/, '');
    const card: Card = { keyword, raw };
    if (text !== '') card.comment = text;
    return { card, issues };
  }

  const v = parseValueField(raw.slice(10));
  if (v.problem) issues.push({ kind: 'bad-card', message: `${keyword || '(blank)'}: ${v.problem}` });
  return { card: withOptional({ keyword, raw }, v.value, v.comment), issues };
}

function withOptional(card: Card, value: CardValue, comment: string | undefined): Card {
  card.value = value;
  if (comment !== undefined && comment !== '') card.comment = comment;
  return card;
}

/** The string fragment of a CONTINUE card (columns 11–80), or null if it holds none. */
function continueFragment(raw: string): { value: string; comment?: string } | null {
  const text = raw.slice(10).replace(/^ +/, '');
  if (!text.startsWith("'")) return null;
  const q = readQuoted(text);
  if (!q) return null;
  const rest = q.rest.trim();
  return { value: q.value, comment: rest.startsWith('/') ? rest.slice(1).trim() : undefined };
}

/**
 * Parses a sequence of card images, joining long strings: a string value ending in '&' followed
 * by CONTINUE cards becomes one Card whose value is the concatenation (without the '&'s) and
 * whose raw holds every image. Comments of the pieces are joined with a space.
 */
export function parseCards(images: string[]): { cards: Card[]; issues: { index: number; issue: CardIssue }[] } {
  const cards: Card[] = [];
  const issues: { index: number; issue: CardIssue }[] = [];
  for (let i = 0; i < images.length; i++) {
    const { card, issues: own } = parseCard(images[i]);
    for (const issue of own) issues.push({ index: i, issue });
    cards.push(card);
    if (typeof card.value !== 'string' || !card.raw.slice(10).trimStart().startsWith("'")) continue;
    let value = card.value;
    const comments = card.comment ? [card.comment] : [];
    let raw = card.raw;
    let joined = false;
    while (value.endsWith('&') && i + 1 < images.length && images[i + 1].startsWith('CONTINUE  ')) {
      const next = images[i + 1].slice(0, CARD_LENGTH).padEnd(CARD_LENGTH);
      const frag = continueFragment(next);
      if (!frag) break;
      const bad = firstNonPrintable(next);
      if (bad >= 0) {
        issues.push({ index: i + 1, issue: { kind: 'bad-card', message: `non-ASCII byte in CONTINUE card column ${bad + 1}` } });
      }
      value = value.slice(0, -1) + frag.value;
      if (frag.comment) comments.push(frag.comment);
      raw += next;
      joined = true;
      i++;
    }
    if (joined) {
      card.value = value;
      card.raw = raw;
      if (comments.length) card.comment = comments.join(' ');
    }
  }
  return { cards, issues };
}
