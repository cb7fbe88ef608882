import { rm } from 'node:fs/promises';
import { Readable } from 'node:stream';
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { ingestUploaded, stagingFile, uploadDir } from '../../services/archive/ingestuploaded.js';
import { writeFileAtomic } from '../../storage/local.js';
import { secretMatches } from '../access.js';
import type { RouteContext } from '../context.js';
import { UploadGate, UploadRefused } from '../uploadgate.js';

// POST /upload_file/<name>: the Gemini archive's upload protocol, as a door that holds:
//  - the cookie and the name are checked before a byte of the body is read (403, 400); a name is
//    a FITS file name (optionally .bz2) at the store's top level, nothing else (no paths, no
//    derived areas such as previews/, no dot-files, at most UPLOAD_NAME_MAX characters);
//  - a declared Content-Length over server.upload_max_bytes is 413 at once, a body that grows
//    past it is cut off with 413;
//  - the body streams to upload staging (never held in memory), checked on the way: FITS, or bz2
//    of FITS (uploadgate.ts); empty or not FITS is 400;
//  - the answer [{"filename","path","size","md5"}] comes only once the file is fsynced and
//    renamed into the store and queued for ingest: a 200 means durable and queued;
//  - our own failures are 507 (no space left) or 503 (the store or database failed), never 4xx,
//    and leave nothing behind (the sender sends again).
// A kill -9 in the middle leaves a staged file at most, which `ingest-uploaded` (also run when
// the server starts) stores and queues, or a temporary dot-file it removes.

const UPLOAD_COOKIE = 'gemini_fits_upload_auth';
const UPLOAD_NAME_MAX = 128;
const UPLOAD_NAME = /^[A-Za-z0-9][A-Za-z0-9_+-]*(?:\.[A-Za-z0-9_+-]+)*\.fits(?:\.bz2)?$/i;

/** Why `name` may not be uploaded, or null when it may. */
function uploadNameProblem(name: string): string | null {
  if (name.length > UPLOAD_NAME_MAX) return `upload name longer than ${UPLOAD_NAME_MAX} characters`;
  if (name.includes('/'))
    return `upload names are file names at the top of the store, not paths: ${JSON.stringify(name)}`;
  if (!UPLOAD_NAME.test(name))
    return `upload name must be a FITS file name (name.fits or name.fits.bz2): ${JSON.stringify(name)}`;
  return null;
}

/** Our side failed: no space → 507, anything else → 503 (try again later). */
function storageStatus(e: unknown): 507 | 503 {
  const code = (e as NodeJS.ErrnoException)?.code ?? (e as { cause?: NodeJS.ErrnoException })?.cause?.code;
  return code === 'ENOSPC' || code === 'EDQUOT' ? 507 : 503;
}

function refuse(reply: FastifyReply, status: number, message: string): FastifyReply {
  // The rest of an unread body is not wanted: close rather than read it to keep the connection.
  return reply.code(status).header('Connection', 'close').type('text/plain').send(`${message}\n`);
}

export const uploadRoutes: FastifyPluginAsync<{ ctx: RouteContext }> = async (app, { ctx }) => {
  // In this plugin only: every body, whatever its content type, arrives as the raw stream.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', (_req, payload, done) => done(null, payload));

  const authorised = (req: FastifyRequest): boolean => {
    const secret = ctx.config.server.upload_auth;
    // An empty secret refuses everyone, unless the operator opened uploads explicitly.
    if (!secret) return ctx.config.server.upload_open;
    return secretMatches(req.cookies?.[UPLOAD_COOKIE], secret);
  };
  const max = ctx.config.server.upload_max_bytes;

  app.post('/upload_file/*', async (req, reply) => {
    if (!authorised(req)) {
      req.log.warn({ ip: req.ip }, 'upload refused: missing or wrong upload cookie');
      return refuse(reply, 403, 'Forbidden: upload authorisation cookie missing or wrong');
    }
    const filename = (req.params as { '*': string })['*'] ?? '';
    const bad = uploadNameProblem(filename);
    if (bad) return refuse(reply, 400, bad);
    const declared = Number(req.headers['content-length']);
    if (Number.isFinite(declared) && declared > max)
      return refuse(reply, 413, `upload of ${declared} bytes is larger than the limit of ${max} bytes`);

    const log = await ctx.db.query(
      `INSERT INTO fileuploadlog (filename, ip_address, ut_transfer_start) VALUES ($1, $2, now()) RETURNING id`,
      [filename, req.ip],
    );
    const id: number = log.rows[0].id;
    const item = { fileuploadlogId: id, path: '', filename };
    const note = (text: string) =>
      ctx.db
        .query(`UPDATE fileuploadlog SET processed_cleanly = false, notes = $2 WHERE id = $1`, [id, text])
        .catch(() => {});
    const body = (req.body as Readable | undefined) ?? req.raw;
    const gate = new UploadGate(max, /\.bz2$/i.test(filename));
    // A sender that breaks off errors the body; the gate must fail with it, not wait for more.
    body.on('error', (e) => gate.destroy(e));
    let got: { size: number; md5: string };
    try {
      got = await writeFileAtomic(stagingFile(ctx.config, item), body.pipe(gate));
    } catch (e) {
      // Nothing partial remains: writeFileAtomic removed its temporary file, this the directory.
      await rm(uploadDir(ctx.config, id), { recursive: true, force: true });
      body.resume(); // let the request end, whatever is left of it
      await note(`upload not completed: ${(e as Error).message}`);
      req.log.warn({ filename, err: (e as Error).message }, 'upload not completed; nothing kept');
      if (e instanceof UploadRefused) return refuse(reply, e.status, e.message);
      // The sender broke off: nobody is listening, but say why in the log row and the reply.
      if (req.raw.errored || req.raw.destroyed || !req.raw.complete)
        return refuse(reply, 400, `upload not completed: the body was cut off`);
      const status = storageStatus(e);
      return refuse(
        reply,
        status,
        `upload not stored: ${status === 507 ? 'no space left' : 'storage error'}; try again later`,
      );
    }
    await ctx.db.query(
      `UPDATE fileuploadlog SET ut_transfer_complete = now(), size = $2, md5 = $3 WHERE id = $1`,
      [id, got.size, got.md5],
    );
    req.log.info({ filename, size: got.size, md5: got.md5 }, `received upload ${filename}`);
    try {
      // Into the store (temp, fsync, verify, rename) and onto the ingest queue, before answering.
      await ingestUploaded(ctx, { ...item, md5: got.md5 });
    } catch (e) {
      // The sender is told to send again; a staged copy left here would be stored later anyway.
      await rm(uploadDir(ctx.config, id), { recursive: true, force: true });
      const status = storageStatus(e);
      return refuse(
        reply,
        status,
        `upload not stored: ${status === 507 ? 'no space left' : 'storage error'}; try again later`,
      );
    }
    return [{ filename, path: '', size: got.size, md5: got.md5 }];
  });
};
