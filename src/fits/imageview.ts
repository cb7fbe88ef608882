// The header of the image held in a tile-compressed HDU, as astropy presents it (CompImageHDU's
// header, astropy 5.2): the binary-table header with the table's own keywords and the
// compression keywords taken out, and the image's mandatory keywords rebuilt from their Z
// counterparts (ZSIMPLE/ZTENSION, ZBITPIX, ZNAXISn, ZPCOUNT, ZGCOUNT, ZEXTEND, ZBLOCKED,
// ZHECKSUM, ZDATASUM). Cards are kept, moved or re-formatted the way astropy's Header.set does,
// so `fitsheader` prints the same cards in the same order as astropy's fitsheader.

import { COMMENTARY_KEYWORDS } from './cards.js';
import type { Card, CardValue, Header } from './types.js';
import { card } from './write.js';

/** fpack's and astropy's EXTNAME for a compressed HDU that had none: not part of the image. */
const DEFAULT_EXTNAME = 'COMPRESSED_IMAGE';

/** Column keywords of a table (TTYPEn, TFORMn ...): FITS 4.0 §7.3.2 plus the WCS column keywords. */
const TABLE_KEYWORDS = new Set([
  'TTYPE',
  'TFORM',
  'TUNIT',
  'TNULL',
  'TSCAL',
  'TZERO',
  'TDISP',
  'TBCOL',
  'TDIM',
  'TCTYP',
  'TCUNI',
  'TCRPX',
  'TCRVL',
  'TCDLT',
  'TRPOS',
]);

/** Keywords of the tiled-image convention that describe the compression, not the image. */
const COMPRESSION_KEYWORDS = new Set([
  'ZSIMPLE',
  'ZTENSION',
  'ZBITPIX',
  'ZNAXIS',
  'ZEXTEND',
  'ZBLOCKED',
  'ZPCOUNT',
  'ZGCOUNT',
  'ZHECKSUM',
  'ZDATASUM',
  'ZIMAGE',
  'ZCMPTYPE',
  'ZMASKCMP',
  'ZQUANTIZ',
  'ZDITHER0',
]);
const INDEXED_COMPRESSION_KEYWORDS = new Set(['ZNAXIS', 'ZTILE', 'ZNAME', 'ZVAL']);

/**
 * Whether a table-header keyword stays out of the image header. The name is split as astropy
 * splits it (letters, then an index from 1), so ZDITHER0, read as 'ZDITHER' + '0', is kept, as
 * astropy keeps it.
 */
function isReserved(keyword: string): boolean {
  if (keyword === 'TFIELDS') return true;
  const t = /^(T[A-Z]*)[1-9][0-9 ]*$/.exec(keyword);
  if (t && TABLE_KEYWORDS.has(t[1])) return true;
  const z = /^([Zz][a-zA-Z]*)([1-9][0-9 ]*$)?/.exec(keyword);
  if (!z) return false;
  const label = z[1].toUpperCase();
  if (z[2] !== undefined && INDEXED_COMPRESSION_KEYWORDS.has(label)) return true;
  return COMPRESSION_KEYWORDS.has(label);
}

const isBlank = (c: Card) => c.keyword === '' && c.value === undefined && !(c.comment ?? '').trim();

function trimmed(v: CardValue | undefined): CardValue | undefined {
  return typeof v === 'string' ? v.trimEnd() : v;
}

/** Header.set of astropy on a card list: update in place (re-formatting only what changed), move, or add. */
class CardList {
  constructor(public cards: Card[]) {}

  index(keyword: string): number {
    return this.cards.findIndex((c) => c.keyword === keyword);
  }

  has(keyword: string): boolean {
    return this.index(keyword) >= 0;
  }

  /** Removes every card of a keyword. */
  delete(keyword: string): void {
    this.cards = this.cards.filter((c) => c.keyword !== keyword);
  }

  set(
    keyword: string,
    value: CardValue,
    comment: string | undefined,
    at?: { before: number } | { after: string },
  ): void {
    const i = this.index(keyword);
    let next: Card;
    if (i >= 0) {
      const old = this.cards[i];
      const newComment = comment ?? old.comment;
      next =
        trimmed(old.value) === trimmed(value) && (old.comment ?? '') === (newComment ?? '')
          ? old
          : card(keyword, value as string | number | boolean | null, newComment || undefined);
      if (!at) {
        this.cards[i] = next;
        return;
      }
      this.cards.splice(i, 1);
    } else {
      next = card(keyword, value as string | number | boolean | null, comment || undefined);
      if (!at) {
        this.append(next);
        return;
      }
    }
    const target = 'before' in at ? at.before : this.index(at.after) + 1;
    this.cards.splice(Math.max(0, Math.min(target, this.cards.length)), 0, next);
  }

  /**
   * A new card goes after the last card that is not commentary (COMMENT, HISTORY, blank), and
   * takes the place of a trailing blank card if there is one (astropy's useblanks).
   */
  append(c: Card): void {
    let i = this.cards.length;
    while (i > 0 && COMMENTARY_KEYWORDS.has(this.cards[i - 1].keyword)) i--;
    this.cards.splice(i, 0, c);
    if (this.cards.length > 0 && isBlank(this.cards[this.cards.length - 1])) this.cards.pop();
  }
}

/** The image header astropy shows for a tile-compressed HDU (ZIMAGE = T binary table). */
export function compressedImageCards(table: Header): Card[] {
  const first = (k: string) => table.cards.find((c) => c.keyword === k);
  const value = (k: string) => first(k)?.value ?? null;
  // A Z card without a comment gives its keyword an empty comment (astropy's header.comments).
  const comment = (k: string) => {
    const c = first(k);
    return c ? (c.comment ?? '') : undefined;
  };

  // Doubled EXTNAMEs where one is the default: the default goes (all but one, if all are).
  let cards = [...table.cards];
  const extnames = cards.filter((c) => c.keyword === 'EXTNAME');
  if (extnames.length > 1) {
    const defaults = extnames.filter((c) => trimmed(c.value) === DEFAULT_EXTNAME);
    if (defaults.length === extnames.length) defaults.shift();
    cards = cards.filter((c) => !defaults.includes(c));
  }
  const image = new CardList(cards.filter((c) => !isReserved(c.keyword)));

  if (first('ZSIMPLE')) {
    image.set('SIMPLE', value('ZSIMPLE'), comment('ZSIMPLE'), { before: 0 });
    image.delete('XTENSION');
  } else if (first('ZTENSION')) {
    image.set('XTENSION', 'IMAGE', comment('ZTENSION'), { before: 0 });
  } else {
    image.set('XTENSION', 'IMAGE', undefined, { before: 0 });
  }
  image.set('BITPIX', value('ZBITPIX'), comment('ZBITPIX'), { before: 1 });
  image.set('NAXIS', value('ZNAXIS'), comment('ZNAXIS'), { before: 2 });
  const naxis = typeof value('ZNAXIS') === 'number' ? (value('ZNAXIS') as number) : 0;
  let last = 'NAXIS';
  for (let i = 1; i <= naxis; i++) {
    image.set(`NAXIS${i}`, value(`ZNAXIS${i}`), comment(`ZNAXIS${i}`), { after: last });
    last = `NAXIS${i}`;
  }
  for (const c of [...image.cards]) {
    const m = /^NAXIS(\d+)$/.exec(c.keyword);
    if (m && Number(m[1]) > naxis) image.delete(c.keyword);
  }
  // Optional in the convention: an IMAGE's PCOUNT and GCOUNT are always 0 and 1.
  if (first('ZPCOUNT')) image.set('PCOUNT', value('ZPCOUNT'), comment('ZPCOUNT'), { after: last });
  else image.set('PCOUNT', 0, undefined, { after: last });
  if (first('ZGCOUNT')) image.set('GCOUNT', value('ZGCOUNT'), comment('ZGCOUNT'), { after: 'PCOUNT' });
  else image.set('GCOUNT', 1, undefined, { after: 'PCOUNT' });
  for (const [z, k] of [
    ['ZEXTEND', 'EXTEND'],
    ['ZBLOCKED', 'BLOCKED'],
    ['ZHECKSUM', 'CHECKSUM'],
    ['ZDATASUM', 'DATASUM'],
  ]) {
    if (first(z)) image.set(k, value(z), comment(z));
  }
  const ext = image.cards.find((c) => c.keyword === 'EXTNAME');
  if (ext && trimmed(ext.value) === DEFAULT_EXTNAME) image.delete('EXTNAME');
  if (image.has('SIMPLE')) {
    image.delete('PCOUNT');
    image.delete('GCOUNT');
  }
  // As many blank cards as the table header had.
  const missing = table.cards.filter(isBlank).length - image.cards.filter(isBlank).length;
  for (let i = 0; i < missing; i++) image.cards.push({ keyword: '', raw: ' '.repeat(80) });
  return image.cards;
}
