// Headers: a list of cards with case-insensitive, first-occurrence lookup, and the block-by-block
// parsing of a header (36 cards per 2880-byte block, ending at the END card).

import { CARD_LENGTH, type CardIssue, firstNonPrintable, parseCards } from './cards.js';
import type { Card, CardValue, Header } from './types.js';

export const BLOCK_SIZE = 2880;
const CARDS_PER_BLOCK = BLOCK_SIZE / CARD_LENGTH;

export class FitsHeader implements Header {
  readonly cards: Card[];
  private readonly first = new Map<string, Card>();

  constructor(cards: Card[]) {
    this.cards = cards;
    for (const card of cards) {
      const key = card.keyword.toUpperCase();
      if (!this.first.has(key)) this.first.set(key, card);
    }
  }

  get(keyword: string): CardValue | undefined {
    return this.first.get(keyword.toUpperCase())?.value;
  }

  has(keyword: string): boolean {
    return this.first.has(keyword.toUpperCase());
  }

  /** The first card with this keyword. */
  card(keyword: string): Card | undefined {
    return this.first.get(keyword.toUpperCase());
  }

  /** Every card with this keyword, in order (COMMENT, HISTORY, repeated keywords). */
  all(keyword: string): Card[] {
    const key = keyword.toUpperCase();
    return this.cards.filter((c) => c.keyword.toUpperCase() === key);
  }

  /** A number-valued keyword, or undefined when absent or not a number. */
  number(keyword: string): number | undefined {
    const v = this.get(keyword);
    return typeof v === 'number' ? v : undefined;
  }

  string(keyword: string): string | undefined {
    const v = this.get(keyword);
    return typeof v === 'string' ? v : undefined;
  }
}

export function makeHeader(cards: Card[]): FitsHeader {
  return new FitsHeader(cards);
}

/** A card-level issue located in a header: the 0-based card image index within the header. */
export interface HeaderIssue extends CardIssue {
  card: number;
}

export type BlockResult = 'more' | 'end' | 'not-header';

const KEYWORD_FIELD = /^[A-Za-z0-9_-]*\s*$/;

/**
 * Collects header blocks until the END card. Blocks are kept as card images (not bytes) only
 * until END, so a header costs its own size and nothing more.
 */
export class HeaderAssembler {
  private images: string[] = [];
  private extraIssues: HeaderIssue[] = [];
  blocks = 0;
  ended = false;

  /**
   * Adds one 2880-byte block. Returns 'end' when it held the END card, 'not-header' when the block
   * is plainly not header text (so END is missing and data follows), else 'more'.
   */
  push(block: Buffer): BlockResult {
    const text = block.toString('latin1');
    if (this.blocks > 0 && looksLikeData(text)) return 'not-header';
    this.blocks++;
    for (let i = 0; i < CARDS_PER_BLOCK; i++) {
      const image = text.slice(i * CARD_LENGTH, (i + 1) * CARD_LENGTH);
      if (image.startsWith('END') && image.slice(3).trim() === '') {
        const rest = text.slice((i + 1) * CARD_LENGTH);
        if (rest.trim() !== '') {
          this.extraIssues.push({
            card: this.images.length,
            kind: 'bad-card',
            message: 'non-blank bytes after the END card in the last header block',
          });
        }
        this.ended = true;
        return 'end';
      }
      this.images.push(image);
    }
    return 'more';
  }

  /** Number of bytes consumed so far (whole blocks). */
  get size(): number {
    return this.blocks * BLOCK_SIZE;
  }

  finish(): { header: FitsHeader; issues: HeaderIssue[] } {
    const { cards, issues } = parseCards(this.images);
    const located: HeaderIssue[] = issues.map(({ index, issue }) => ({ card: index, ...issue }));
    return { header: makeHeader(cards), issues: [...located, ...this.extraIssues] };
  }
}

/**
 * A header block is text; a data block rarely is. Called on blocks after the first so that a
 * header missing its END card is caught at the data instead of swallowing the whole file.
 */
function looksLikeData(text: string): boolean {
  let bad = 0;
  for (let i = 0; i < CARDS_PER_BLOCK; i++) {
    const image = text.slice(i * CARD_LENGTH, (i + 1) * CARD_LENGTH);
    if (firstNonPrintable(image) >= 0 || !KEYWORD_FIELD.test(image.slice(0, 8))) bad++;
  }
  return bad > CARDS_PER_BLOCK / 2;
}

/** Parses a header held in memory (e.g. a header-only dump or a test buffer). */
export function parseHeader(bytes: Buffer): {
  header: FitsHeader;
  size: number;
  ended: boolean;
  issues: HeaderIssue[];
} {
  const asm = new HeaderAssembler();
  for (let off = 0; off + BLOCK_SIZE <= bytes.length; off += BLOCK_SIZE) {
    const r = asm.push(bytes.subarray(off, off + BLOCK_SIZE));
    if (r !== 'more') break;
  }
  const { header, issues } = asm.finish();
  return { header, size: asm.size, ended: asm.ended, issues };
}
