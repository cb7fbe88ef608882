// The HDU walk behind readFits (reader.ts): a state machine fed the bytes of one FITS stream in
// order. It holds one header at a time, validates each header block as it completes and the
// stream's end when told, describes every HDU it finds (offsets, sizes), and counts or hands on
// data units. Bad content becomes FitsProblems, never exceptions.

import { parseCards } from './cards.js';
import { BLOCK_SIZE, HeaderAssembler, makeHeader, type HeaderIssue } from './header.js';
import { dataLayout, hduLabel, padded } from './layout.js';
import type { FitsProblem, Hdu, Header } from './types.js';

/** What a reader may ask to be told about, HDU by HDU (see ReadOptions in reader.ts). */
export interface HduCallbacks {
  /** Receives the data bytes (padding excluded) of every HDU that `wantData` accepts. */
  onData?: (hdu: Hdu, chunk: Buffer) => void | Promise<void>;
  /** Called when an accepted HDU's data unit is complete (not called when it is truncated). */
  onDataEnd?: (hdu: Hdu) => void | Promise<void>;
  /** Which HDUs' data go to onData; default: all of them. */
  wantData?: (hdu: Hdu) => boolean;
  /** Called as soon as each header has been read, before its data. */
  onHdu?: (hdu: Hdu) => void | Promise<void>;
  /**
   * Sees every byte of the (decompressed) stream, in order: lets ingest hash the data (data_md5)
   * in the same pass that reads the headers.
   */
  onBytes?: (chunk: Buffer) => void;
}

type State = 'header' | 'data' | 'pad' | 'trailing' | 'stop';

/** A header of text with no END would otherwise be held whole; real ones are a few blocks. */
const MAX_HEADER_BLOCKS = 2000;

function isZero(buf: Buffer): boolean {
  for (let i = 0; i < buf.length; i++) if (buf[i] !== 0) return false;
  return true;
}

function startsWith(buf: Buffer, text: string): boolean {
  return buf.length >= text.length && buf.toString('latin1', 0, text.length) === text;
}

/** The value of a first card "SIMPLE  =" (T, or F for a non-standard file), else null. */
export function simpleValue(block: Buffer): string | null {
  if (!startsWith(block, 'SIMPLE  = ')) return null;
  return block.toString('latin1', 10, 80).split('/')[0].trim();
}

/** "SIMPLE  =" with the logical T in column 30 (or anywhere in the value field, leniently). */
function isPrimaryStart(block: Buffer): boolean {
  return simpleValue(block) === 'T';
}

/** Describing: an HDU's place in the stream, from its header and the size of its data unit. */
function describeHdu(
  index: number,
  header: Header,
  headerOffset: number,
  headerSize: number,
  dataSize: number,
): Hdu {
  return {
    index,
    header,
    headerOffset,
    headerSize,
    dataOffset: headerOffset + headerSize,
    dataSize,
    paddedDataSize: padded(dataSize),
  };
}

export class HduWalk {
  readonly hdus: Hdu[] = [];
  readonly problems: FitsProblem[] = [];
  private state: State = 'header';
  /** Stream offset of the next unconsumed byte. */
  private pos = 0;
  private asm = new HeaderAssembler();
  private headerStart = 0;
  /** Bytes of a header block not yet complete. */
  private pending: Buffer[] = [];
  private pendingLen = 0;
  private current: Hdu | undefined;
  private wanted = false;
  private dataLeft = 0;
  private padLeft = 0;
  /** Where bytes after the last HDU begin, and the first non-zero byte among them. */
  private trailingStart = -1;
  private trailingNonZero = -1;

  constructor(private readonly opts: HduCallbacks) {}

  /** A fatal problem was found: nothing more is read into the structure. */
  get stopped(): boolean {
    return this.state === 'stop';
  }

  private problem(
    kind: FitsProblem['kind'],
    hdu: number | undefined,
    message: string,
    fatal: boolean,
    severity?: 'warning',
  ): void {
    const p: FitsProblem = hdu === undefined ? { kind, message, fatal } : { hdu, kind, message, fatal };
    if (severity) p.severity = severity;
    this.problems.push(p);
  }

  private stop(kind: FitsProblem['kind'], hdu: number | undefined, message: string): void {
    this.problem(kind, hdu, message, true);
    this.state = 'stop';
  }

  /** Feeds the next bytes of the stream. */
  async consume(chunk: Buffer): Promise<void> {
    let off = 0;
    while (off < chunk.length && this.state !== 'stop') {
      if (this.state === 'header') {
        const take = Math.min(BLOCK_SIZE - this.pendingLen, chunk.length - off);
        this.pending.push(chunk.subarray(off, off + take));
        this.pendingLen += take;
        off += take;
        this.pos += take;
        if (this.pendingLen === BLOCK_SIZE) {
          const block = this.pending.length === 1 ? this.pending[0] : Buffer.concat(this.pending, BLOCK_SIZE);
          this.pending = [];
          this.pendingLen = 0;
          await this.headerBlock(block);
        }
      } else if (this.state === 'data') {
        const take = Math.min(this.dataLeft, chunk.length - off);
        if (this.wanted && this.current && take > 0)
          await this.opts.onData!(this.current, chunk.subarray(off, off + take));
        off += take;
        this.pos += take;
        this.dataLeft -= take;
        if (this.dataLeft === 0) await this.endData();
      } else if (this.state === 'pad') {
        const take = Math.min(this.padLeft, chunk.length - off);
        off += take;
        this.pos += take;
        this.padLeft -= take;
        if (this.padLeft === 0) this.nextHeader();
      } else {
        // trailing: find the first non-zero byte, without keeping the bytes.
        const part = chunk.subarray(off);
        if (this.trailingNonZero < 0 && !isZero(part)) {
          let k = 0;
          while (part[k] === 0) k++;
          this.trailingNonZero = this.pos + k;
        }
        this.pos += part.length;
        off = chunk.length;
      }
    }
  }

  /** Bytes the walk would pass over unseen right now (an unwanted data unit and its padding). */
  skippable(): number {
    if (this.opts.onBytes) return 0;
    if (this.state === 'data' && !this.wanted) return this.dataLeft + this.padLeft;
    if (this.state === 'pad') return this.padLeft;
    return 0;
  }

  /** Passes over `n` bytes (at most skippable()) without reading them. */
  async skip(n: number): Promise<void> {
    if (this.state === 'data') {
      const take = Math.min(this.dataLeft, n);
      this.pos += take;
      this.dataLeft -= take;
      n -= take;
      if (this.dataLeft === 0) await this.endData();
    }
    if (this.state === 'pad' && n > 0) {
      const take = Math.min(this.padLeft, n);
      this.pos += take;
      this.padLeft -= take;
      if (this.padLeft === 0) this.nextHeader();
    }
  }

  private nextHeader(): void {
    this.state = 'header';
    this.asm = new HeaderAssembler();
  }

  private async endData(): Promise<void> {
    if (this.wanted && this.current) await this.opts.onDataEnd?.(this.current);
    if (this.padLeft > 0) this.state = 'pad';
    else this.nextHeader();
  }

  // Consumes one complete 2880-byte header block; may change state.
  private async headerBlock(block: Buffer): Promise<void> {
    const i = this.hdus.length;
    if (this.asm.blocks === 0 && !this.headerStarts(block, i)) return;
    const r = this.asm.push(block);
    if (r === 'more') {
      if (this.asm.blocks >= MAX_HEADER_BLOCKS)
        this.stop('missing-end', i, `${hduLabel(i)}: no END card in ${MAX_HEADER_BLOCKS} header blocks`);
      return;
    }
    const { header, issues } = this.asm.finish();
    const dataSize = this.validateHeader(i, header, issues, r === 'not-header');
    if (dataSize === null) return;
    const hdu = describeHdu(i, header, this.headerStart, this.asm.size, dataSize);
    this.current = hdu;
    this.hdus.push(hdu);
    await this.opts.onHdu?.(hdu);
    this.wanted = !!this.opts.onData && (this.opts.wantData ? this.opts.wantData(hdu) : true);
    this.dataLeft = dataSize;
    this.padLeft = hdu.paddedDataSize - dataSize;
    this.state = 'data';
    if (this.dataLeft === 0) await this.endData();
  }

  /**
   * Validating the first block of a header: the file must start SIMPLE = T; after the last HDU,
   * anything but XTENSION is trailing bytes. False when no header starts here.
   */
  private headerStarts(block: Buffer, i: number): boolean {
    if (i === 0 && !isPrimaryStart(block)) {
      this.stop('not-fits', undefined, 'not a FITS file: the first card is not SIMPLE = T');
      return false;
    }
    if (i > 0 && !startsWith(block, 'XTENSION= ')) {
      // After the last HDU: zero blocks are tolerated, anything else is junk.
      this.state = 'trailing';
      this.trailingStart = this.pos - BLOCK_SIZE;
      this.trailingNonZero = isZero(block) ? -1 : this.pos - BLOCK_SIZE;
      return false;
    }
    this.headerStart = this.pos - BLOCK_SIZE;
    return true;
  }

  /**
   * Validating a complete header: its cards' issues, its END, the keywords that size its data
   * unit. The data unit's size, or null when the walk cannot go on.
   */
  private validateHeader(i: number, header: Header, issues: HeaderIssue[], noEnd: boolean): number | null {
    const label = hduLabel(i, header);
    for (const issue of issues) {
      this.problem(issue.kind, i, `${label} card ${issue.card + 1}: ${issue.message}`, false, issue.severity);
    }
    if (noEnd) {
      this.stop(
        'missing-end',
        i,
        `${label}: header has no END card (data found at byte ${this.pos - BLOCK_SIZE})`,
      );
      return null;
    }
    const layout = dataLayout(header, i === 0);
    if ('error' in layout) {
      this.stop('missing-keyword', i, `${label}: cannot size the data unit: ${layout.error}`);
      return null;
    }
    return layout.size;
  }

  // Names an HDU whose header is incomplete, from the cards read so far.
  private partialLabel(i: number): string {
    const { header } = this.asm.finish();
    const tail = Buffer.concat(this.pending).toString('latin1');
    const images = tail.slice(0, tail.length - (tail.length % 80)).match(/.{80}/gs) ?? [];
    return hduLabel(i, makeHeader([...header.cards, ...parseCards(images).cards]));
  }

  /** Validating the end of the stream: what was left incomplete, and what followed the last HDU. */
  finish(): void {
    const i = this.hdus.length;
    const { pos, pendingLen, current } = this;
    if (this.state === 'header') {
      if (i === 0) {
        if (pendingLen > 0 && !startsWith(Buffer.concat(this.pending), 'SIMPLE  = ')) {
          this.problem('not-fits', undefined, 'not a FITS file: the first card is not SIMPLE = T', true);
        } else if (pos === 0) {
          this.problem('not-fits', undefined, 'not a FITS file: empty', true);
        } else {
          const label = hduLabel(0);
          if (pendingLen > 0) {
            this.problem('truncated-header', 0, `${label}: header truncated at byte ${pos}`, true);
          } else
            this.problem(
              'missing-end',
              0,
              `${label}: header has no END card (file ends at byte ${pos})`,
              true,
            );
        }
      } else if (
        this.asm.blocks > 0 ||
        (pendingLen > 0 && startsWith(Buffer.concat(this.pending), 'XTENSION'))
      ) {
        const label = this.partialLabel(i);
        if (pendingLen > 0)
          this.problem('truncated-header', i, `${label}: header truncated at byte ${pos}`, true);
        else
          this.problem('missing-end', i, `${label}: header has no END card (file ends at byte ${pos})`, true);
      } else if (pendingLen > 0) {
        const tail = Buffer.concat(this.pending);
        this.trailingStart = pos - pendingLen;
        if (!isZero(tail)) this.trailingNonZero = pos - pendingLen + tail.findIndex((b) => b !== 0);
      }
    } else if (this.state === 'data' && current) {
      const got = current.dataSize - this.dataLeft;
      current.truncated = true;
      this.problem(
        'truncated-data',
        current.index,
        `${hduLabel(current.index, current.header)}: data truncated: ${got} of ${current.dataSize} bytes`,
        true,
      );
    } else if (this.state === 'pad' && current) {
      // astropy and cfitsio read such files; fitsverify calls it an error. Not fatal.
      this.problem(
        'truncated-data',
        current.index,
        `${hduLabel(current.index, current.header)}: last data block is short of its padding by ${this.padLeft} bytes`,
        false,
      );
    }
    if (this.trailingNonZero >= 0) {
      this.problem(
        'trailing-bytes',
        undefined,
        `${pos - this.trailingStart} bytes after the last HDU (${hduLabel(i - 1, this.hdus[i - 1]?.header)}) ` +
          `are not an extension, non-zero from byte ${this.trailingNonZero}`,
        false,
      );
    }
  }
}
