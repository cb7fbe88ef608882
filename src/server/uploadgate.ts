import { PassThrough, Transform, type TransformCallback } from 'node:stream';
import { decompressStream } from '../fits/bzip2.js';

// The upload door's checks on the body, made while it streams to staging (nothing is held whole):
// at most `maxBytes`, and FITS: the first 2880-byte block starts with SIMPLE = T and is ASCII text
// (for a .bz2 body, the first block of what it decompresses to). A failed check errors the stream,
// so writeFileAtomic removes its temporary file and nothing is stored or queued; the verdict on
// the first block is awaited before the stream ends, i.e. before the rename into place.

const FITS_BLOCK = 2880;

/** The client sent something the door refuses: the status to answer and why. */
export class UploadRefused extends Error {
  override name = 'UploadRefused';
  constructor(
    readonly status: 400 | 413,
    message: string,
  ) {
    super(message);
  }
}

/** Why a first block is not a FITS primary header, or null when it is one. */
function fitsBlockProblem(block: Buffer): string | null {
  if (block.length < FITS_BLOCK)
    return `the body is not FITS: ${block.length} bytes, less than one ${FITS_BLOCK}-byte block`;
  const card = block.toString('latin1', 0, 80);
  if (!card.startsWith('SIMPLE  = ') || card.slice(10).split('/')[0].trim() !== 'T')
    return 'the body is not FITS: its first card is not SIMPLE = T';
  for (let i = 0; i < FITS_BLOCK; i++) {
    const c = block[i];
    if (c < 0x20 || c > 0x7e)
      return `the body is not FITS: byte ${i} of the primary header is not ASCII text`;
  }
  return null;
}

const BZ2_MAGIC = /^BZh[1-9]/;

export class UploadGate extends Transform {
  private size = 0;
  private head: Buffer[] = [];
  private headLen = 0;
  /** Settles with the first block's problem (or null) once known. */
  private verdict: Promise<string | null> | null = null;
  private feedBz2: PassThrough | null = null;
  /** The verdict once known: a problem, or null for a FITS body. */
  private problem: string | null | undefined;

  constructor(
    private readonly maxBytes: number,
    private readonly compressed: boolean,
  ) {
    super();
    // Whoever consumes the gate (a pipeline) hears its error; Node also re-emits a flush error
    // after the pipeline has let go, which must not crash the server.
    this.on('error', () => {});
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    this.size += chunk.length;
    if (this.size > this.maxBytes) {
      cb(new UploadRefused(413, `upload larger than the limit of ${this.maxBytes} bytes`));
      return;
    }
    if (this.feedBz2) this.feedBz2.write(chunk);
    else if (!this.verdict) this.sniff(chunk);
    // Once the verdict is in, a bad body stops at once; a bz2 body's comes after some input, and
    // is never waited for here (the decompressor needs the chunks that follow): see _flush.
    if (this.problem) {
      cb(new UploadRefused(400, this.problem));
      return;
    }
    cb(null, chunk);
  }

  override _flush(cb: TransformCallback): void {
    if (this.size === 0) {
      cb(new UploadRefused(400, 'the body is empty: a FITS file was expected'));
      return;
    }
    if (!this.verdict) {
      const start = Buffer.concat(this.head);
      this.settle(this.compressed ? 'the body of a .bz2 upload is not bzip2 data' : fitsBlockProblem(start));
    }
    this.feedBz2?.end();
    void this.verdict!.then((p) => cb(p ? new UploadRefused(400, p) : null));
  }

  override _destroy(err: Error | null, cb: (e: Error | null) => void): void {
    this.feedBz2?.destroy();
    cb(err);
  }

  private sniff(chunk: Buffer): void {
    this.head.push(chunk);
    this.headLen += chunk.length;
    if (this.compressed) {
      if (this.headLen < 4) return;
      const start = Buffer.concat(this.head);
      this.head = [];
      if (BZ2_MAGIC.test(start.toString('latin1', 0, 4))) {
        this.verdict = this.bz2Verdict(start);
        void this.verdict.then((p) => (this.problem = p));
      } else this.settle('the body of a .bz2 upload is not bzip2 data');
      return;
    }
    if (this.headLen >= FITS_BLOCK) {
      const start = Buffer.concat(this.head);
      this.head = [];
      this.settle(fitsBlockProblem(start.subarray(0, FITS_BLOCK)));
    }
  }

  private settle(problem: string | null): void {
    this.problem = problem;
    this.verdict = Promise.resolve(problem);
  }

  /** Decompresses alongside the upload until one FITS block has come out (or the input ends). */
  private bz2Verdict(first: Buffer): Promise<string | null> {
    const feed = new PassThrough();
    this.feedBz2 = feed;
    const out = decompressStream(feed);
    const got: Buffer[] = [];
    let n = 0;
    return new Promise<string | null>((resolve) => {
      const done = (problem: string | null) => {
        resolve(problem);
        this.feedBz2 = null;
        out.destroy();
        feed.destroy();
      };
      out.on('data', (d: Buffer) => {
        got.push(d);
        n += d.length;
        if (n >= FITS_BLOCK) done(fitsBlockProblem(Buffer.concat(got).subarray(0, FITS_BLOCK)));
      });
      out.on('end', () => done(fitsBlockProblem(Buffer.concat(got))));
      out.on('error', () => done('the body is not valid bzip2 data'));
      feed.on('error', () => {});
      feed.write(first);
    });
  }
}
