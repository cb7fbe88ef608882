// The streaming FITS reader: walks HDUs over a byte stream of any length holding one header at
// a time in memory; data units are skipped or handed to a callback chunk by chunk. Bad content
// becomes FitsProblems, never exceptions: ingest must record what is wrong with a file and go on.
// This file reads (streams, random-access files); walk.ts validates and describes what it reads.

import type { Readable } from 'node:stream';
import { BLOCK_SIZE, HeaderAssembler } from './header.js';
import { openFitsStream, type OpenOptions } from './streams.js';
import type { FitsProblem, Hdu } from './types.js';
import { HduWalk, simpleValue, type HduCallbacks } from './walk.js';

export interface ReadOptions extends OpenOptions, HduCallbacks {
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

/**
 * Reads the HDU structure of a FITS stream (or a path, opened with openFitsStream). Resolves with
 * the problems found; rejects only with a FitsReadError when the stream itself fails.
 */
export async function readFits(
  source: Readable | string | RandomAccessSource,
  opts: ReadOptions = {},
): Promise<ReadResult> {
  const stream = typeof source === 'string' ? openFitsStream(source, opts) : source;
  const walk = new HduWalk(opts);
  const result: ReadResult = { hdus: walk.hdus, problems: walk.problems, totalBytes: 0 };
  const counted = { bytes: 0 };
  try {
    const chunks = isRandomAccess(stream)
      ? randomChunks(stream, walk, opts, counted)
      : (stream as AsyncIterable<Buffer | string>);
    for await (const raw of chunks) {
      const chunk = typeof raw === 'string' ? Buffer.from(raw, 'latin1') : raw;
      counted.bytes += chunk.length;
      opts.onBytes?.(chunk);
      if (!walk.stopped) await walk.consume(chunk);
      // Leaving the loop destroys the stream (and kills any decompressor).
      if (walk.stopped && !opts.readToEnd) break;
    }
  } catch (err) {
    result.totalBytes = counted.bytes;
    const message = err instanceof Error ? err.message : String(err);
    throw new FitsReadError(message, result, { cause: err });
  }
  result.totalBytes = counted.bytes;
  walk.finish();
  return result;
}

/**
 * Chunks of a RandomAccessSource, jumping over what the walk would only count (the skipped
 * bytes are counted in `counted`, as if read).
 */
async function* randomChunks(
  src: RandomAccessSource,
  walk: HduWalk,
  opts: ReadOptions,
  counted: { bytes: number },
): AsyncGenerator<Buffer> {
  let at = 0;
  while (at < src.size && (!walk.stopped || opts.readToEnd)) {
    const n = Math.min(walk.skippable(), src.size - at);
    if (n > 0) {
      await walk.skip(n);
      at += n;
      counted.bytes += n;
      continue;
    }
    const chunk = await src.readAt(at, Math.min(RANDOM_READ, src.size - at));
    if (chunk.length === 0) return; // the file shrank while being read: what was read counts
    at += chunk.length;
    yield chunk;
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
        if (asm.blocks === 0 && simpleValue(block) !== 'F') return null;
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
