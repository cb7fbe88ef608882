// Editing a primary header: set or add keyword cards, remove cards, append HISTORY, and keep every
// other card image byte for byte (CONTINUE and HIERARCH included). Pure: header bytes in, header
// bytes out. The services stream the rest of the file and do the temp-file-and-rename dance.
//
// A header that still fits its blocks keeps its size, so the data units stay where they were and
// the file can be patched in place; one that grows takes whole extra blocks and the file is
// rewritten.

import { CARD_LENGTH, COMMENTARY_KEYWORDS, parseCards } from './cards.js';
import { BLOCK_SIZE } from './header.js';
import type { Card, CardValue } from './types.js';
import { formatCard, type WritableValue } from './write.js';

export interface CardChange {
  keyword: string;
  value: WritableValue;
  /** New comment; default: the existing card's comment (none for a new card). */
  comment?: string;
}

export interface HeaderEdit {
  set?: CardChange[];
  /** Keywords whose cards (every occurrence) are removed. */
  remove?: string[];
  /** HISTORY lines appended after the last card. */
  history?: string[];
}

export interface EditOptions {
  /** Refuse to add keywords the header does not have: protects against typos (Gemini's reject_new). */
  rejectNew?: boolean;
}

export interface EditChange {
  keyword: string;
  action: 'set' | 'add' | 'remove' | 'history';
  before?: CardValue;
  after?: WritableValue;
}

export interface EditResult {
  /** The new header: cards, END, blank padding to whole blocks. */
  header: Buffer;
  /** Same number of blocks as before: the data units keep their offsets. */
  inPlace: boolean;
  /** What was done, in order. A change to the value a card already had is not listed. */
  changes: EditChange[];
}

export class HeaderEditError extends Error {
  override name = 'HeaderEditError';
}

/**
 * Keywords that define how the data units are laid out and read. Changing one would turn the
 * same data bytes into a different file, which a header edit must never do.
 */
const STRUCTURAL = /^(SIMPLE|BITPIX|NAXIS\d*|EXTEND|GROUPS|PCOUNT|GCOUNT|XTENSION|END|CONTINUE)$/;

const END_IMAGE = 'END'.padEnd(CARD_LENGTH);

/**
 * Bytes of the header at the start of `buf`: whole blocks up to and including the one with the
 * END card; null when END is not within `buf` (read more), or when it is not a FITS header.
 */
export function headerLength(buf: Buffer): number | null {
  for (let block = 0; (block + 1) * BLOCK_SIZE <= buf.length; block++) {
    for (let i = 0; i < BLOCK_SIZE / CARD_LENGTH; i++) {
      const at = block * BLOCK_SIZE + i * CARD_LENGTH;
      if (buf.toString('latin1', at, at + CARD_LENGTH) === END_IMAGE) return (block + 1) * BLOCK_SIZE;
    }
  }
  return null;
}

/** The card images before END, with blank padding cards at the end dropped. */
function cardImages(header: Buffer): string[] {
  const size = headerLength(header);
  if (size === null) throw new HeaderEditError('not a complete FITS header: no END card');
  const text = header.toString('latin1', 0, size);
  const images: string[] = [];
  for (let at = 0; at < size; at += CARD_LENGTH) {
    const image = text.slice(at, at + CARD_LENGTH);
    if (image === END_IMAGE) break;
    images.push(image);
  }
  while (images.length && images[images.length - 1].trim() === '') images.pop();
  return images;
}

function checkKeyword(keyword: string): string {
  const key = keyword.trim().toUpperCase();
  if (key === '' || COMMENTARY_KEYWORDS.has(key)) {
    throw new HeaderEditError(
      `cannot set ${keyword === '' ? 'a blank keyword' : key}: commentary cards have no value`,
    );
  }
  if (STRUCTURAL.test(key))
    throw new HeaderEditError(`refusing to change ${key}: it defines the data layout`);
  return key;
}

function sameValue(a: CardValue | undefined, b: WritableValue): boolean {
  if (typeof b === 'bigint')
    return typeof a === 'number' && BigInt(Math.trunc(a)) === b && Number.isInteger(a);
  if (typeof a === 'string' && typeof b === 'string') return a.trimEnd() === b.trimEnd();
  return a === b;
}

/**
 * Applies `edit` to the header at the start of `header` (extra bytes after it are ignored).
 * Throws HeaderEditError for edits that must not happen (structural keywords, reject_new).
 */
export function editHeader(header: Buffer, edit: HeaderEdit, opts: EditOptions = {}): EditResult {
  const oldSize = headerLength(header)!;
  const { cards } = parseCards(cardImages(header));
  const out: Card[] = [...cards];
  const changes: EditChange[] = [];
  const find = (key: string) => out.findIndex((c) => c.keyword.toUpperCase() === key);

  for (const key of (edit.remove ?? []).map(checkKeyword)) {
    for (let i = find(key); i >= 0; i = find(key)) {
      changes.push({ keyword: key, action: 'remove', before: out[i].value });
      out.splice(i, 1);
    }
  }

  for (const change of edit.set ?? []) {
    const key = checkKeyword(change.keyword);
    const i = find(key);
    if (i >= 0) {
      const old = out[i];
      const comment = change.comment ?? old.comment;
      // A card whose keyword is spelled in lower case (Zorro's 'Object') is rewritten too.
      const spelled = old.raw.slice(0, 8).trimEnd() === key || old.raw.startsWith('HIERARCH');
      if (sameValue(old.value, change.value) && comment === old.comment && spelled) continue;
      out[i] = cardOf(key, change.value, comment);
      changes.push({ keyword: key, action: 'set', before: old.value, after: change.value });
      continue;
    }
    if (opts.rejectNew)
      throw new HeaderEditError(`keyword ${key} is not in the header and reject_new is set`);
    // Like astropy: a new card goes after the last non-commentary card, so trailing COMMENT and
    // HISTORY blocks stay together at the end.
    let at = out.length;
    while (at > 0 && COMMENTARY_KEYWORDS.has(out[at - 1].keyword)) at--;
    out.splice(at, 0, cardOf(key, change.value, change.comment));
    changes.push({ keyword: key, action: 'add', after: change.value });
  }

  for (const line of edit.history ?? []) {
    out.push({ keyword: 'HISTORY', comment: line, raw: formatCard('HISTORY', line) });
    changes.push({ keyword: 'HISTORY', action: 'history', after: line });
  }

  const text = out.map((c) => c.raw).join('') + END_IMAGE;
  const blocks = Math.max(oldSize / BLOCK_SIZE, Math.ceil(text.length / BLOCK_SIZE));
  const bytes = Buffer.from(text.padEnd(blocks * BLOCK_SIZE, ' '), 'latin1');
  return { header: bytes, inPlace: bytes.length === oldSize, changes };
}

function cardOf(keyword: string, value: WritableValue, comment: string | undefined): Card {
  const raw = formatCard(keyword, value, comment);
  return { ...parseCards(raw.match(/.{80}/gs) ?? [raw]).cards[0], raw };
}
