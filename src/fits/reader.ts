// The streaming FITS reader: walks HDUs over a byte stream of any length holding one header at
// a time in memory; data units are skipped or handed to a callback chunk by chunk. Bad content
// becomes FitsProblems, never exceptions: ingest must record what is wrong with a file and go on.

import type { Readable } from 'node:stream';
import { parseCards } from './cards.js';
import { BLOCK_SIZE, HeaderAssembler, makeHeader } from './header.js';
import { dataLayout, hduLabel, padded } from './layout.js';
import { openFitsStream, type OpenOptions } from './streams.js';
import type { FitsProblem, Hdu } from './types.js';

export interface ReadOptions extends OpenOptions {
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
  /** Keep reading to the end after a fatal problem (so onBytes sees it all). Default false. */
  readToEnd?: boolean;
}

/**
 * A source that can be read at any offset (a local file). Data units nobody asked for are then
 * skipped, not read: only the header blocks are.
 */
export interface RandomAccessSource {
  size: number;
  readAt(position: number, length: number): Promise<Buffer>;
}

/** How much is read at a time from a RandomAccessSource (a header is usually a few blocks). */
const RANDOM_READ = 8 * BLOCK_SIZE;

function isRandomAccess(x: unknown): x is RandomAccessSource {
  return typeof (x as RandomAccessSource)?.readAt === 'function';
}

export interface ReadResult {
  hdus: Hdu[];
  problems: FitsProblem[];
  /** Bytes read from the (decompressed) stream: all of it, unless reading stopped early. */
  totalBytes: number;
}

/** A failure of the stream itself (I/O, decompressor), with what had been read until then. */
export class FitsReadError extends Error {
  constructor(
    message: string,
    readonly partial: ReadResult,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'FitsReadError';
  }
}

function isZero(buf: Buffer): boolean {
  for (let i = 0; i < buf.length; i++) if (buf[i] !== 0) return false;
  return true;
}

function startsWith(buf: Buffer, text: string): boolean {
  return buf.length >= text.length && buf.toString('latin1', 0, text.length) === text;
}

/** "SIMPLE  =" with the logical T in column 30 (or anywhere in the value field, leniently). */
function isPrimaryStart(block: Buffer): boolean {
  if (!startsWith(block, 'SIMPLE  = ')) return false;
  const value = block.toString('latin1', 10, 80).split('/')[0].trim();
  return value === 'T';
}

type State = 'header' | 'data' | 'pad' | 'trailing' | 'stop';

/** A header of text with no END would otherwise be held whole; real ones are a few blocks. */
const MAX_HEADER_BLOCKS = 2000;

/**
 * Reads the HDU structure of a FITS stream (or a path, opened with openFitsStream). Resolves with
 * the problems found; rejects only with a FitsReadError when the stream itself fails.
 */
export async function readFits(
  source: Readable | string | RandomAccessSource,
  opts: ReadOptions = {},
): Promise<ReadResult> {
  const stream = typeof source === 'string' ? openFitsStream(source, opts) : source;
  const hdus: Hdu[] = [];
  const problems: FitsProblem[] = [];
  const result: ReadResult = { hdus, problems, totalBytes: 0 };
  const problem = (
    kind: FitsProblem['kind'],
    hdu: number | undefined,
    message: string,
    fatal: boolean,
    severity?: 'warning',
  ) => {
    const p: FitsProblem = hdu === undefined ? { kind, message, fatal } : { hdu, kind, message, fatal };
    if (severity) p.severity = severity;
    problems.push(p);
  };

  let state: State = 'header';
  let pos = 0; // stream offset of the next unconsumed byte
  let asm = new HeaderAssembler();
  let headerStart = 0;
  let pending: Buffer[] = []; // bytes of a header block not yet complete
  let pendingLen = 0;
  let current: Hdu | undefined;
  let wanted = false;
  let dataLeft = 0;
  let padLeft = 0;
  let trailingStart = -1; // where bytes after the last HDU begin
  let trailingNonZero = -1; // first non-zero byte among them

  const index = () => hdus.length;

  // Consumes one complete 2880-byte header block; may change state.
  const headerBlock = async (block: Buffer): Promise<void> => {
    if (asm.blocks === 0) {
      if (index() === 0 && !isPrimaryStart(block)) {
        problem('not-fits', undefined, 'not a FITS file: the first card is not SIMPLE = T', true);
        state = 'stop';
        return;
      }
      if (index() > 0 && !startsWith(block, 'XTENSION= ')) {
        // After the last HDU: zero blocks are tolerated, anything else is junk.
        state = 'trailing';
        trailingStart = pos - BLOCK_SIZE;
        trailingNonZero = isZero(block) ? -1 : pos - BLOCK_SIZE;
        return;
      }
      headerStart = pos - BLOCK_SIZE;
    }
    const r = asm.push(block);
    if (r === 'more' && asm.blocks >= MAX_HEADER_BLOCKS) {
      const label = hduLabel(index());
      problem('missing-end', index(), `${label}: no END card in ${MAX_HEADER_BLOCKS} header blocks`, true);
      state = 'stop';
      return;
    }
    if (r === 'more') return;
    const i = index();
    const { header, issues } = asm.finish();
    const label = hduLabel(i, header);
    for (const issue of issues) {
      problem(issue.kind, i, `${label} card ${issue.card + 1}: ${issue.message}`, false, issue.severity);
    }
    if (r === 'not-header') {
      problem(
        'missing-end',
        i,
        `${label}: header has no END card (data found at byte ${pos - BLOCK_SIZE})`,
        true,
      );
      state = 'stop';
      return;
    }
    const layout = dataLayout(header, i === 0);
    if ('error' in layout) {
      problem('missing-keyword', i, `${label}: cannot size the data unit: ${layout.error}`, true);
      state = 'stop';
      return;
    }
    const headerSize = asm.size;
    current = {
      index: i,
      header,
      headerOffset: headerStart,
      headerSize,
      dataOffset: headerStart + headerSize,
      dataSize: layout.size,
      paddedDataSize: padded(layout.size),
    };
    hdus.push(current);
    await opts.onHdu?.(current);
    wanted = !!opts.onData && (opts.wantData ? opts.wantData(current) : true);
    dataLeft = layout.size;
    padLeft = current.paddedDataSize - layout.size;
    state = 'data';
    if (dataLeft === 0) await endData();
  };

  const endData = async (): Promise<void> => {
    if (wanted && current) await opts.onDataEnd?.(current);
    state = padLeft > 0 ? 'pad' : 'header';
    if (state === 'header') asm = new HeaderAssembler();
  };

  const consume = async (chunk: Buffer): Promise<void> => {
    let off = 0;
    while (off < chunk.length && state !== 'stop') {
      if (state === 'header') {
        const need = BLOCK_SIZE - pendingLen;
        const take = Math.min(need, chunk.length - off);
        pending.push(chunk.subarray(off, off + take));
        pendingLen += take;
        off += take;
        pos += take;
        if (pendingLen === BLOCK_SIZE) {
          const block = pending.length === 1 ? pending[0] : Buffer.concat(pending, BLOCK_SIZE);
          pending = [];
          pendingLen = 0;
          await headerBlock(block);
        }
      } else if (state === 'data') {
        const take = Math.min(dataLeft, chunk.length - off);
        if (wanted && current && take > 0) await opts.onData!(current, chunk.subarray(off, off + take));
        off += take;
        pos += take;
        dataLeft -= take;
        if (dataLeft === 0) await endData();
      } else if (state === 'pad') {
        const take = Math.min(padLeft, chunk.length - off);
        off += take;
        pos += take;
        padLeft -= take;
        if (padLeft === 0) {
          state = 'header';
          asm = new HeaderAssembler();
        }
      } else {
        // trailing: find the first non-zero byte, without keeping the bytes.
        const part = chunk.subarray(off);
        if (trailingNonZero < 0 && !isZero(part)) {
          let k = 0;
          while (part[k] === 0) k++;
          trailingNonZero = pos + k;
        }
        pos += part.length;
        off = chunk.length;
      }
    }
  };

  // Bytes the reader would pass over unseen right now (an unwanted data unit and its padding).
  const skippable = (): number => {
    if (opts.onBytes) return 0;
    if (state === 'data' && !wanted) return dataLeft + padLeft;
    if (state === 'pad') return padLeft;
    return 0;
  };
  const skip = async (n: number): Promise<void> => {
    if (state === 'data') {
      const take = Math.min(dataLeft, n);
      pos += take;
      dataLeft -= take;
      n -= take;
      if (dataLeft === 0) await endData();
    }
    if (state === 'pad' && n > 0) {
      const take = Math.min(padLeft, n);
      pos += take;
      padLeft -= take;
      if (padLeft === 0) {
        state = 'header';
        asm = new HeaderAssembler();
      }
    }
  };

  // Chunks of a RandomAccessSource, jumping over what the reader would only count.
  async function* randomChunks(src: RandomAccessSource): AsyncGenerator<Buffer> {
    let at = 0;
    while (at < src.size && (state !== 'stop' || opts.readToEnd)) {
      const n = Math.min(skippable(), src.size - at);
      if (n > 0) {
        await skip(n);
        at += n;
        received += n;
        continue;
      }
      const chunk = await src.readAt(at, Math.min(RANDOM_READ, src.size - at));
      if (chunk.length === 0) return; // the file shrank while being read: what was read counts
      at += chunk.length;
      yield chunk;
    }
  }

  let received = 0;
  try {
    const chunks = isRandomAccess(stream) ? randomChunks(stream) : (stream as AsyncIterable<Buffer | string>);
    for await (const raw of chunks) {
      const chunk = typeof raw === 'string' ? Buffer.from(raw, 'latin1') : raw;
      received += chunk.length;
      opts.onBytes?.(chunk);
      if ((state as State) !== 'stop') await consume(chunk);
      // Leaving the loop destroys the stream (and kills any decompressor).
      if ((state as State) === 'stop' && !opts.readToEnd) break;
    }
  } catch (err) {
    result.totalBytes = received;
    const message = err instanceof Error ? err.message : String(err);
    throw new FitsReadError(message, result, { cause: err });
  }
  result.totalBytes = received;
  finish();
  return result;

  // Names an HDU whose header is incomplete, from the cards read so far.
  function partialLabel(i: number): string {
    const { header } = asm.finish();
    const tail = Buffer.concat(pending).toString('latin1');
    const images = tail.slice(0, tail.length - (tail.length % 80)).match(/.{80}/gs) ?? [];
    return hduLabel(i, makeHeader([...header.cards, ...parseCards(images).cards]));
  }

  // End of stream: what was left incomplete.
  function finish(): void {
    const i = index();
    if (state === 'header') {
      if (i === 0) {
        if (pendingLen > 0 && !startsWith(Buffer.concat(pending), 'SIMPLE  = ')) {
          problem('not-fits', undefined, 'not a FITS file: the first card is not SIMPLE = T', true);
        } else if (pos === 0) {
          problem('not-fits', undefined, 'not a FITS file: empty', true);
        } else {
          const label = hduLabel(0);
          if (pendingLen > 0) {
            problem('truncated-header', 0, `${label}: header truncated at byte ${pos}`, true);
          } else
            problem('missing-end', 0, `${label}: header has no END card (file ends at byte ${pos})`, true);
        }
      } else if (asm.blocks > 0 || (pendingLen > 0 && startsWith(Buffer.concat(pending), 'XTENSION'))) {
        const label = partialLabel(i);
        if (pendingLen > 0) problem('truncated-header', i, `${label}: header truncated at byte ${pos}`, true);
        else problem('missing-end', i, `${label}: header has no END card (file ends at byte ${pos})`, true);
      } else if (pendingLen > 0) {
        const tail = Buffer.concat(pending);
        trailingStart = pos - pendingLen;
        if (!isZero(tail)) trailingNonZero = pos - pendingLen + tail.findIndex((b) => b !== 0);
      }
    } else if (state === 'data' && current) {
      const got = current.dataSize - dataLeft;
      current.truncated = true;
      problem(
        'truncated-data',
        current.index,
        `${hduLabel(current.index, current.header)}: data truncated: ${got} of ${current.dataSize} bytes`,
        true,
      );
    } else if (state === 'pad' && current) {
      // astropy and cfitsio read such files; fitsverify calls it an error. Not fatal.
      problem(
        'truncated-data',
        current.index,
        `${hduLabel(current.index, current.header)}: last data block is short of its padding by ${padLeft} bytes`,
        false,
      );
    }
    if (trailingNonZero >= 0) {
      problem(
        'trailing-bytes',
        undefined,
        `${pos - trailingStart} bytes after the last HDU (${hduLabel(i - 1, hdus[i - 1]?.header)}) ` +
          `are not an extension, non-zero from byte ${trailingNonZero}`,
        false,
      );
    }
  }
}

/** readFits on a file, decompressing .gz and .bz2 by name. */
export function readFitsFile(path: string, opts: ReadOptions = {}): Promise<ReadResult> {
  return readFits(openFitsStream(path, opts), opts);
}

/**
 * The primary header of a file whose first card is SIMPLE = F: a "non-standard" FITS file,
 * which astropy opens as one HDU (its _NonstandardHDU) whose data is everything after the
 * header. Null when the file does not start with SIMPLE = F or its header never ends.
 */
export async function readNonstandardPrimary(path: string, opts: OpenOptions = {}): Promise<Hdu | null> {
  const stream = openFitsStream(path, opts);
  const asm = new HeaderAssembler();
  let pending = Buffer.alloc(0);
  let total = 0;
  let result: 'more' | 'end' | 'not-header' = 'more';
  try {
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      total += chunk.length;
      if (result !== 'more') continue; // count the rest: it is the HDU's data
      pending = Buffer.concat([pending, chunk]);
      while (pending.length >= BLOCK_SIZE && result === 'more') {
        const block = pending.subarray(0, BLOCK_SIZE);
        if (asm.blocks === 0) {
          const value = block.toString('latin1', 10, 80).split('/')[0].trim();
          if (!startsWith(block, 'SIMPLE  = ') || value !== 'F') return null;
        }
        result = asm.push(block);
        pending = pending.subarray(BLOCK_SIZE);
      }
    }
  } finally {
    stream.destroy();
  }
  if (result !== 'end') return null;
  const { header } = asm.finish();
  return {
    index: 0,
    header,
    headerOffset: 0,
    headerSize: asm.size,
    dataOffset: asm.size,
    dataSize: total - asm.size,
    paddedDataSize: total - asm.size,
  };
}
