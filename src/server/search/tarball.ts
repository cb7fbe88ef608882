import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { Readable } from 'node:stream';
import tar from 'tar-stream';
import type { Logger } from '../../log/logger.js';
import { openStored } from '../../services/archive/storedfile.js';
import { joinKey, type Storage } from '../../storage/types.js';

// A download as a tar, streamed: each permitted file as stored (read once, hashed on the way
// through), then md5sums.txt (`<md5>  <name>`, what `md5sum -c` reads) and README.txt. Nothing is
// held in memory beyond one chunk, so a download of a whole night costs no more RAM than one file.

export interface TarFile {
  /** file.name (without .bz2). */
  name: string;
  /** The stored name (with .bz2 when stored compressed): the tar entry's name. */
  filename: string;
  path: string;
  file_md5: string | null;
}

export interface TarRequest {
  files: TarFile[];
  /** Files left out, with why (proprietary until …). */
  withheld: { name: string; reason: string }[];
  /** Names asked for that the archive does not have. */
  notFound: string[];
  selection: string;
  user: string | null;
}

export interface TarOutcome {
  sent: number;
  missing: string[];
  md5Mismatch: string[];
  error?: Error;
}

/** tar-stream's entries are streamx Writables: the little of them used here. */
type Sink = NodeJS.EventEmitter & { write(chunk: Buffer): boolean; end(data?: unknown): unknown };

/** Writes a chunk into a tar entry, waiting when the entry (and so the client) is behind. */
async function write(sink: Sink, chunk: Buffer, failed: Promise<void>): Promise<void> {
  // A destroyed entry never drains: its failure ends the wait instead.
  if (!sink.write(chunk)) await Promise.race([once(sink, 'drain'), failed]);
}

function readme(r: TarRequest, out: TarOutcome, started: Date): string {
  const lines = [
    'fitsstore archive download',
    '',
    `Selection:   ${r.selection || '(none)'}`,
    `Created:     ${started
      .toISOString()
      .replace('T', ' ')
      .replace(/\.\d+Z$/, ' UT')}`,
    `User:        ${r.user ?? 'anonymous (not logged in)'}`,
    `Files:       ${out.sent} (listed in md5sums.txt; check them with: md5sum -c md5sums.txt)`,
    '',
  ];
  if (r.withheld.length) {
    lines.push(
      `${r.withheld.length} file(s) matched but were withheld as proprietary data you may not have:`,
    );
    for (const w of r.withheld) lines.push(`  ${w.name}  (${w.reason})`);
    lines.push('Log in with an account that has access to the program to download them.', '');
  }
  if (r.notFound.length) lines.push('Not in the archive:', ...r.notFound.map((n) => `  ${n}`), '');
  if (out.missing.length) {
    lines.push(
      'Listed in the archive but missing from its store (reported to the operators):',
      ...out.missing.map((n) => `  ${n}`),
      '',
    );
  }
  if (out.md5Mismatch.length) {
    lines.push(
      "Sent, but their md5 differs from the archive's record (md5sums.txt has what was sent):",
      ...out.md5Mismatch.map((n) => `  ${n}`),
      '',
    );
  }
  if (out.error) lines.push(`The download stopped early: ${out.error.message}`, '');
  return lines.join('\n');
}

/**
 * The tar as a stream, and a promise of what went into it (resolved when the tar is complete or
 * has failed; a failure after the first byte can only cut the stream short).
 */
export function tarStream(
  storage: Storage,
  log: Logger,
  r: TarRequest,
): { stream: Readable; done: Promise<TarOutcome> } {
  const pack = tar.pack();
  const started = new Date();
  const out: TarOutcome = { sent: 0, missing: [], md5Mismatch: [] };
  const done = (async () => {
    const sums: string[] = [];
    try {
      for (const f of r.files) {
        const key = joinKey(f.path, f.filename);
        const stored = await openStored(storage, key);
        if (!stored) {
          log.error({ key }, 'download: present diskfile missing from the store');
          out.missing.push(f.filename);
          continue;
        }
        const source = await stored.read();
        const hash = createHash('md5');
        // The callback comes once the entry is complete or failed; only then may the next begin.
        let settle!: (e?: Error | null) => void;
        const entryDone = new Promise<void>((ok, fail) => (settle = (e) => (e ? fail(e) : ok())));
        entryDone.catch(() => {}); // awaited below; a failure must not also count as unhandled
        const entry: Sink = pack.entry(
          { name: f.filename, size: stored.size, mtime: stored.lastmod },
          (err) => settle(err),
        );
        try {
          for await (const chunk of source as AsyncIterable<Buffer>) {
            hash.update(chunk);
            await write(entry, chunk, entryDone);
          }
          entry.end();
          await entryDone;
        } finally {
          source.destroy();
        }
        const md5 = hash.digest('hex');
        if (f.file_md5 && f.file_md5 !== md5) out.md5Mismatch.push(f.filename);
        sums.push(`${md5}  ${f.filename}\n`);
        out.sent++;
      }
      pack.entry({ name: 'md5sums.txt', mtime: started }, sums.join(''));
      pack.entry({ name: 'README.txt', mtime: started }, readme(r, out, started));
      pack.finalize();
    } catch (e) {
      out.error = e instanceof Error ? e : new Error(String(e));
      if (!pack.destroyed) pack.destroy(out.error);
    }
    return out;
  })();
  // Node's own Readable over tar-stream's (streamx) one, for Fastify's pipe and abort handling.
  const stream = Readable.from(pack as AsyncIterable<Buffer>, { objectMode: false });
  // A client going away destroys `stream`; stop packing (and reading the store) too.
  stream.on('close', () => {
    if (!pack.destroyed) pack.destroy();
  });
  return { stream, done };
}
