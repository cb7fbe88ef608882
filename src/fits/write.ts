// A small FITS writer: card formatting in the fixed format of FITS 4.0 §4.2 (as astropy and
// cfitsio write it), header blocks, and whole files from headers and typed arrays. Used by tests,
// by the sample-data generator and for header edits. Invalid input throws: it is a program bug.

import { CARD_LENGTH, COMMENTARY_KEYWORDS, parseCards } from './cards.js';
import { padded } from './layout.js';
import type { Card } from './types.js';

export type WritableValue = string | number | bigint | boolean | null;

/** A card to write: a parsed Card (its raw images are written as they are) or a spec. */
export type CardInput =
  | Card
  | { keyword: string; value?: WritableValue; comment?: string }
  | [keyword: string, value?: WritableValue, comment?: string];

export type PixelArray =
  Uint8Array | Int16Array | Uint16Array | Int32Array | BigInt64Array | Float32Array | Float64Array;

const STANDARD_KEYWORD = /^[A-Z0-9_-]{0,8}$/;
const VALUE_WIDTH = 20; // fixed format: values end in column 30
const STRING_MAX = 68; // quotes in columns 11 and 80
const CONTINUE_PIECE = 67; // 'piece&' in columns 11–80

function assertPrintable(text: string, what: string): void {
  if (!/^[\x20-\x7e]*$/.test(text))
    throw new Error(`${what} has characters outside printable ASCII: ${JSON.stringify(text)}`);
}

/** Formats a real so that it reads back as a real (decimal point or exponent) in ≤ 20 chars. */
export function formatReal(v: number): string {
  if (!Number.isFinite(v)) throw new Error(`FITS header values cannot be ${v}`);
  let s = String(v).toUpperCase();
  if (!/[.E]/.test(s)) s += '.0';
  else if (/E/.test(s) && !/\./.test(s)) s = s.replace('E', '.0E');
  for (let digits = 16; s.length > VALUE_WIDTH && digits > 0; digits--) {
    s = v.toExponential(digits).toUpperCase();
  }
  return s;
}

/** The value as written in the value field (before right/left justification). */
export function formatValue(value: WritableValue): string {
  if (value === null) return '';
  if (typeof value === 'boolean') return value ? 'T' : 'F';
  if (typeof value === 'bigint') return value.toString();
  // Whole numbers are written as integers (so 1.0 reads back as 1); beyond 2^53 as reals.
  if (typeof value === 'number') return Number.isSafeInteger(value) ? String(value) : formatReal(value);
  return `'${value.replace(/'/g, "''").padEnd(8)}'`;
}

function finishImage(head: string, comment: string | undefined): string {
  let image = head;
  if (comment) image += ` / ${comment}`;
  if (image.length > CARD_LENGTH) image = image.slice(0, CARD_LENGTH); // comment truncated, as astropy does
  return image.padEnd(CARD_LENGTH);
}

/** Splits text into pieces of at most `width` characters, at spaces where possible. */
function wrapWords(text: string, width: number): string[] {
  const out: string[] = [];
  let rest = text;
  while (rest.length > width) {
    let cut = rest.lastIndexOf(' ', width);
    if (cut <= 0) cut = width;
    out.push(rest.slice(0, cut));
    rest = rest.slice(cut).replace(/^ /, '');
  }
  out.push(rest);
  return out;
}

/** Splits a string so that each escaped piece fits in `width` and no '' pair is cut. */
function splitEscaped(value: string, width: number): string[] {
  const pieces: string[] = [];
  let cur = '';
  for (const ch of value) {
    const esc = ch === "'" ? "''" : ch;
    if (cur.length + esc.length > width) {
      pieces.push(cur);
      cur = '';
    }
    cur += esc;
  }
  pieces.push(cur);
  return pieces;
}

function longString(name: string, value: string, comment: string | undefined): string[] {
  const pieces = splitEscaped(value, CONTINUE_PIECE);
  const images = pieces.map((p, i) => {
    const last = i === pieces.length - 1;
    return `${i === 0 ? name : 'CONTINUE  '}'${p}${last ? '' : '&'}'`;
  });
  if (!comment) return images.map((im) => im.padEnd(CARD_LENGTH));
  const lastImage = images[images.length - 1];
  if (lastImage.length + 3 + comment.length <= CARD_LENGTH) {
    images[images.length - 1] = `${lastImage} / ${comment}`;
  } else {
    // Comment on continuation cards of its own: the last piece gets its '&' back.
    images[images.length - 1] = lastImage.slice(0, -1) + "&'";
    const lines = wrapWords(comment, CARD_LENGTH - "CONTINUE  '&' / ".length);
    lines.forEach((line, i) => images.push(`CONTINUE  '${i === lines.length - 1 ? '' : '&'}' / ${line}`));
  }
  return images.map((im) => im.padEnd(CARD_LENGTH));
}

/**
 * Formats a card as one or more 80-char images, concatenated. Keywords longer than 8 characters
 * or with spaces become HIERARCH cards; strings too long for one card use CONTINUE; COMMENT and
 * HISTORY text longer than 72 characters is spread over several cards.
 */
export function formatCard(keyword: string, value?: WritableValue, comment?: string): string {
  assertPrintable(keyword, 'keyword');
  if (comment !== undefined) assertPrintable(comment, `comment of ${keyword}`);
  if (typeof value === 'string') assertPrintable(value, `value of ${keyword}`);
  const upper = keyword.toUpperCase();
  if (COMMENTARY_KEYWORDS.has(upper)) {
    const text = typeof value === 'string' ? value : (comment ?? '');
    const width = CARD_LENGTH - 8;
    const lines: string[] = [];
    for (let i = 0; i === 0 || i < text.length; i += width) lines.push(text.slice(i, i + width));
    return lines.map((line) => (upper.padEnd(8) + line).padEnd(CARD_LENGTH)).join('');
  }
  if (!STANDARD_KEYWORD.test(upper)) {
    // HIERARCH keeps the case it is given, as astropy does.
    const head = `HIERARCH ${keyword.trim()} = ${value === undefined ? '' : formatValue(value)}`;
    if (head.length > CARD_LENGTH) throw new Error(`HIERARCH card too long: ${head}`);
    return finishImage(head, comment);
  }
  const name = upper.padEnd(8);
  if (value === undefined) return finishImage(`${name}  ${comment ?? ''}`.trimEnd(), undefined);
  if (typeof value === 'string') {
    const quoted = formatValue(value);
    if (quoted.length - 2 > STRING_MAX) return longString(`${name}= `, value, comment).join('');
    return finishImage(`${name}= ${quoted.padEnd(VALUE_WIDTH)}`, comment);
  }
  return finishImage(`${name}= ${formatValue(value).padStart(VALUE_WIDTH)}`, comment);
}

function cardImages(input: CardInput): string {
  if (Array.isArray(input)) return formatCard(input[0], input[1], input[2]);
  if ('raw' in input && typeof input.raw === 'string') {
    const raw = input.raw;
    return raw.padEnd(Math.ceil(raw.length / CARD_LENGTH) * CARD_LENGTH || CARD_LENGTH);
  }
  return formatCard(input.keyword, input.value, input.comment);
}

/** A Card (parsed back from its own images, so value and comment are what a reader sees). */
export function card(keyword: string, value?: WritableValue, comment?: string): Card {
  const raw = formatCard(keyword, value, comment);
  const images: string[] = [];
  for (let i = 0; i < raw.length; i += CARD_LENGTH) images.push(raw.slice(i, i + CARD_LENGTH));
  const { cards } = parseCards(images);
  if (cards.length === 1) return cards[0];
  // Long COMMENT text spans several cards; keep them as one Card whose raw holds them all.
  return { keyword: cards[0].keyword, comment: cards.map((c) => c.comment ?? '').join(''), raw };
}

/** Header bytes: the cards, END, and blank padding to whole 2880-byte blocks. */
export function headerBlocks(cards: CardInput[]): Buffer {
  const text = cards.map(cardImages).join('') + 'END'.padEnd(CARD_LENGTH);
  return Buffer.from(text.padEnd(padded(text.length), ' '), 'latin1');
}

export function bitpixOf(data: PixelArray): number {
  if (data instanceof Uint8Array) return 8;
  if (data instanceof Int16Array || data instanceof Uint16Array) return 16;
  if (data instanceof Int32Array) return 32;
  if (data instanceof BigInt64Array) return 64;
  if (data instanceof Float32Array) return -32;
  return -64;
}

/**
 * Big-endian bytes of a pixel array. Uint16Array is stored the FITS way, as int16 with
 * BZERO = 32768 (imageHdu writes that keyword).
 */
export function bigEndianBytes(data: PixelArray): Buffer {
  if (data instanceof Uint16Array) {
    const shifted = new Int16Array(data.length);
    for (let i = 0; i < data.length; i++) shifted[i] = data[i] - 32768;
    return bigEndianBytes(shifted);
  }
  const bytes = Buffer.from(new Uint8Array(data.buffer, data.byteOffset, data.byteLength)); // a copy
  const size = data.BYTES_PER_ELEMENT;
  if (size === 2) bytes.swap16();
  else if (size === 4) bytes.swap32();
  else if (size === 8) bytes.swap64();
  return bytes;
}

export interface HduInput {
  cards: CardInput[];
  /** Data unit: raw bytes as they go in the file, or a pixel array written big-endian. */
  data?: Buffer | PixelArray;
}

/** A whole FITS file: each HDU's header blocks, then its data padded with zeros. */
export function buildFits(hdus: HduInput[]): Buffer {
  const parts: Buffer[] = [];
  for (const hdu of hdus) {
    parts.push(headerBlocks(hdu.cards));
    if (hdu.data && hdu.data.byteLength > 0) {
      const bytes = Buffer.isBuffer(hdu.data) ? hdu.data : bigEndianBytes(hdu.data);
      parts.push(bytes);
      const pad = padded(bytes.length) - bytes.length;
      if (pad) parts.push(Buffer.alloc(pad));
    }
  }
  return Buffer.concat(parts);
}

export interface ImageHduOptions {
  /** Primary HDU (SIMPLE, EXTEND) rather than an IMAGE extension. */
  primary?: boolean;
  /** NAXIS1, NAXIS2, ... (fastest axis first). Default: [data.length]. */
  shape?: number[];
  /** BITPIX when `data` is raw bytes. */
  bitpix?: number;
  /** Cards after the mandatory ones. */
  cards?: CardInput[];
}

/** An image HDU with its mandatory keywords generated from the data. */
export function imageHdu(data: PixelArray | null, opts: ImageHduOptions = {}): HduInput {
  const bitpix = opts.bitpix ?? (data ? bitpixOf(data) : 8);
  const shape = opts.shape ?? (data && data.length > 0 ? [data.length] : []);
  const count = shape.reduce((a, b) => a * b, shape.length ? 1 : 0);
  if (data && count !== data.length)
    throw new Error(`shape ${shape.join('x')} does not match ${data.length} pixels`);
  const cards: CardInput[] = opts.primary
    ? [['SIMPLE', true, 'conforms to FITS standard']]
    : [['XTENSION', 'IMAGE', 'Image extension']];
  cards.push(['BITPIX', bitpix, 'array data type'], ['NAXIS', shape.length, 'number of array dimensions']);
  shape.forEach((n, i) => cards.push([`NAXIS${i + 1}`, n]));
  if (opts.primary) cards.push(['EXTEND', true]);
  else cards.push(['PCOUNT', 0, 'number of parameters'], ['GCOUNT', 1, 'number of groups']);
  if (data instanceof Uint16Array) cards.push(['BZERO', 32768], ['BSCALE', 1]);
  cards.push(...(opts.cards ?? []));
  return data ? { cards, data } : { cards };
}
