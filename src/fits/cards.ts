// Parsing of 80-character header cards (FITS 4.0 §4.1–4.2), including the long-string CONTINUE
// convention and ESO HIERARCH keywords. Parsing never throws: a card that breaks the rules is
// kept as well as it can be read and the breach is reported as a CardIssue, because archive
// ingest must still index files written by imperfect instrument software.

import type { Card, CardValue } from './types.js';

export const CARD_LENGTH = 80;

export interface CardIssue {
  kind: 'bad-card' | 'bad-keyword';
  message: string;
  /** 'warning' for tolerated deviations; errors otherwise. */
  severity?: 'warning';
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

/** A CONTINUE card: "CONTINUE" in columns 1–8 and, by the standard, blanks in 9–10. */
function isContinue(image: string | undefined): boolean {
  return image !== undefined && image.startsWith('CONTINUE') && (image[8] === ' ' || image[8] === '=');
}

/**
 * Parses a sequence of card images, joining long strings: a string value followed by CONTINUE
 * cards becomes one Card whose value is the concatenation (each piece's trailing '&' removed) and
 * whose raw holds every image; comments of the pieces are joined with a space.
 *
 * Like astropy, CONTINUE cards are joined even when the previous piece lacks its '&' or the
 * CONTINUE card has '=' in column 9: IGRINS-2 writes FITSFILE that way, and the joined value is
 * what its authors meant. Those deviations are reported as warnings.
 */
export function parseCards(images: string[]): {
  cards: Card[];
  issues: { index: number; issue: CardIssue }[];
} {
  const cards: Card[] = [];
  const issues: { index: number; issue: CardIssue }[] = [];
  const warn = (index: number, message: string) =>
    issues.push({ index, issue: { kind: 'bad-card', message, severity: 'warning' } });
  for (let i = 0; i < images.length; i++) {
    const { card, issues: own } = parseCard(images[i]);
    for (const issue of own) issues.push({ index: i, issue });
    cards.push(card);
    if (COMMENTARY_KEYWORDS.has(card.keyword) && isContinue(images[i + 1])) {
      // Malformed, but AstroData wrote such HISTORY cards; astropy keeps the CONTINUE images as
      // part of the commentary text, and so do we (one card, text = columns 9 onwards).
      while (isContinue(images[i + 1])) card.raw += images[++i].slice(0, CARD_LENGTH).padEnd(CARD_LENGTH);
      card.comment = card.raw.slice(8).replace(/ +$/, '');
      warn(i, `${card.keyword || '(blank)'} card followed by CONTINUE cards`);
      continue;
    }
    const isString = typeof card.value === 'string' && card.raw.slice(10).trimStart().startsWith("'");
    if (!isString || !isContinue(images[i + 1])) continue;
    const first = i;
    let value = card.value as string;
    const comments = card.comment ? [card.comment] : [];
    let raw = card.raw;
    while (isContinue(images[i + 1])) {
      const next = images[i + 1].slice(0, CARD_LENGTH).padEnd(CARD_LENGTH);
      const frag = continueFragment(next);
      if (!frag) break;
      const bad = firstNonPrintable(next);
      if (bad >= 0) {
        issues.push({
          index: i + 1,
          issue: { kind: 'bad-card', message: `non-ASCII byte in CONTINUE card column ${bad + 1}` },
        });
      }
      if (next[8] === '=') warn(i + 1, `${card.keyword}: CONTINUE card has '=' in column 9`);
      if (value.endsWith('&')) value = value.slice(0, -1);
      else warn(i, `${card.keyword}: string continued without a trailing '&'`);
      // astropy drops a trailing '&' from the last piece too; AstroData leaves them there.
      value += frag.value;
      if (frag.comment) comments.push(frag.comment);
      raw += next;
      i++;
    }
    if (i > first) {
      if (value.endsWith('&')) value = value.slice(0, -1);
      card.value = value;
      card.raw = raw;
      if (comments.length) card.comment = comments.join(' ');
    }
  }
  return { cards, issues };
}
