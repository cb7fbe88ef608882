import { createReadStream } from 'node:fs';
import { Readable, Transform } from 'node:stream';
import type { FastifyPluginAsync } from 'fastify';
import { trimBz2 } from '../../gemini/filename.js';
import { compressStream, decompressStream } from '../../fits/bzip2.js';
import { openStored, presentFile } from '../../services/archive/storedfile.js';
import type { RouteContext } from '../context.js';
import { BadNameError, checkFileName } from '../names.js';

// GET /file/<name>: the present version of a file, streamed from the store. Asked for plain but
// stored .bz2 → decompressed on the fly; asked for .bz2 but stored plain → compressed on the fly.
// Range requests are served for plain (uncompressed) delivery; a .bz2 made on the fly has no
// stable byte offsets, so there the whole file is sent (200), as HTTP allows.

export type ByteRange = { start: number; end: number };

/** A single `bytes=` range against `size`: the range, 'unsatisfiable', or null (ignore the header). */
export function parseRange(header: string | undefined, size: number): ByteRange | 'unsatisfiable' | null {
  if (!header) return null;
  const m = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!m || (m[1] === '' && m[2] === '')) return null; // multi-range or malformed: send it all
  let start: number;
  let end: number;
  if (m[1] === '') {
    const suffix = Number(m[2]);
    if (suffix === 0) return 'unsatisfiable';
    start = Math.max(0, size - suffix);
    end = size - 1;
  } else {
    start = Number(m[1]);
    end = m[2] === '' ? size - 1 : Math.min(Number(m[2]), size - 1);
  }
  if (start >= size || start > end) return 'unsatisfiable';
  return { start, end };
}

/** Passes bytes start..end (inclusive) of a stream that has no random access (decompression). */
function slice(source: Readable, range: ByteRange): Readable {
  let pos = 0;
  const t = new Transform({
    transform(chunk: Buffer, _enc, cb) {
      const from = Math.max(0, range.start - pos);
      const to = Math.min(chunk.length, range.end + 1 - pos);
      pos += chunk.length;
      if (to > from) this.push(chunk.subarray(from, to));
      if (pos > range.end) {
        this.push(null);
        source.destroy(); // the rest is not needed: stop the decompressor
      }
      cb();
    },
  });
  source.on('error', (e) => t.destroy(e));
  return source.pipe(t);
}

/** An empty body that keeps the Content-Length set (Fastify sets 0 for an empty payload). */
const nothing = () => Readable.from([]);

function contentType(name: string): string {
  if (name.endsWith('.bz2')) return 'application/x-bzip2';
  if (name.endsWith('.fits')) return 'application/fits';
  if (name.endsWith('.gz')) return 'application/gzip';
  if (name.endsWith('.txt')) return 'text/plain';
  return 'application/octet-stream';
}

export const fileRoutes: FastifyPluginAsync<{ ctx: RouteContext }> = async (app, { ctx }) => {
  app.get('/file/:name', async (req, reply) => {
    let asked: string;
    try {
      asked = checkFileName((req.params as { name: string }).name);
    } catch (e) {
      if (e instanceof BadNameError) return reply.code(400).type('text/plain').send(`${e.message}\n`);
      throw e;
    }
    const row = await presentFile(ctx.db, trimBz2(asked));
    if (!row) return reply.code(404).type('text/plain').send(`no such file: ${asked}\n`);
    if (!(await ctx.access.canDownload(req, row))) {
      return reply
        .code(403)
        .type('text/plain')
        .send(`${asked} is proprietary data: you are not allowed to download it\n`);
    }
    const { key } = row;
    const stored = await openStored(ctx.storage, key);
    if (!stored) {
      req.log.error({ key }, 'present diskfile missing from the store');
      return reply.code(404).type('text/plain').send(`${asked} is listed but missing from the store\n`);
    }
    const wantBz2 = asked.endsWith('.bz2');
    const storedBz2 = row.filename.endsWith('.bz2');
    reply
      .header('Content-Type', contentType(asked))
      .header('Content-Disposition', `attachment; filename="${asked}"`);

    // HEAD: the headers only; no store read, no compressor started.
    const head = req.method === 'HEAD';
    if (wantBz2 && !storedBz2) {
      if (head) return reply.send(nothing());
      // Compressed on the fly: length unknown until the end, so chunked.
      return reply.send(compressStream(await stored.read()));
    }
    // Plain delivery, straight or decompressed: its size is known, so ranges work.
    const size = wantBz2 === storedBz2 ? stored.size : row.data_size;
    if (size === null || size === undefined) {
      if (head) return reply.send(nothing());
      return reply.send(decompressStream(await stored.read()));
    }
    reply.header('Accept-Ranges', 'bytes');
    const range = wantBz2 ? null : parseRange(req.headers.range, size);
    if (range === 'unsatisfiable') {
      return reply.code(416).header('Content-Range', `bytes */${size}`).send();
    }
    // Stored .bz2, asked plain: from a decompressed copy when the cache holds (or can make) one.
    const copy =
      storedBz2 && !wantBz2 && !head && ctx.decompressed
        ? await ctx.decompressed
            .get(key, `${stored.size}:${stored.lastmod.getTime()}`, size, () => stored.read())
            .catch((e) => {
              req.log.warn(
                { key, err: (e as Error).message },
                'no decompressed copy; decompressing on the fly',
              );
              return null;
            })
        : null;
    if (range) {
      reply
        .code(206)
        .header('Content-Range', `bytes ${range.start}-${range.end}/${size}`)
        .header('Content-Length', range.end - range.start + 1);
      if (!storedBz2) return reply.send(await stored.read(range));
      if (copy) return reply.send(createReadStream(copy, { start: range.start, end: range.end }));
      return reply.send(slice(decompressStream(await stored.read()), range));
    }
    reply.header('Content-Length', size);
    if (head) return reply.send(nothing());
    if (copy) return reply.send(createReadStream(copy));
    if (storedBz2 && !wantBz2) return reply.send(decompressStream(await stored.read()));
    return reply.send(await stored.read());
  });
};
