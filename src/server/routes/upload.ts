import { rm } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import { ingestUploaded, stagingFile, uploadDir } from '../../services/ingestuploaded.js';
import { writeFileAtomic } from '../../storage/local.js';
import { joinKey } from '../../storage/types.js';
import { secretMatches } from '../access.js';
import type { RouteContext } from '../app.js';
import { BadNameError, parseUploadTarget } from '../names.js';

// POST /upload_file/<name> and /upload_file/<path>/<name>: the Gemini archive's upload protocol.
// The body is streamed to upload staging (never held in memory), md5 and size computed on the way,
// and echoed back as [{"filename","path","size","md5"}] for the sender to verify. The hand-off to
// the store and the ingest queue happens after the answer (services/ingestuploaded.ts).

export const UPLOAD_COOKIE = 'gemini_fits_upload_auth';

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

  app.post('/upload_file/*', async (req, reply) => {
    if (!authorised(req)) {
      req.log.warn({ ip: req.ip }, 'upload refused: missing or wrong upload cookie');
      return reply
        .code(403)
        .type('text/plain')
        .send('Forbidden: upload authorisation cookie missing or wrong\n');
    }
    let target: { path: string; filename: string };
    try {
      target = parseUploadTarget((req.params as { '*': string })['*'] ?? '');
    } catch (e) {
      if (e instanceof BadNameError) return reply.code(400).type('text/plain').send(`${e.message}\n`);
      throw e;
    }
    const key = joinKey(target.path, target.filename);
    const log = await ctx.db.query(
      `INSERT INTO fileuploadlog (filename, ip_address, ut_transfer_start) VALUES ($1, $2, now()) RETURNING id`,
      [key, req.ip],
    );
    const id: number = log.rows[0].id;
    const item = { fileuploadlogId: id, ...target };
    const body = (req.body as Readable | undefined) ?? req.raw;
    let got: { size: number; md5: string };
    try {
      got = await writeFileAtomic(stagingFile(ctx.config, item), body);
    } catch (e) {
      // A cut-off upload leaves nothing: writeFileAtomic removed its temporary file.
      await rm(uploadDir(ctx.config, id), { recursive: true, force: true });
      await ctx.db
        .query(`UPDATE fileuploadlog SET processed_cleanly = false, notes = $2 WHERE id = $1`, [
          id,
          `upload not completed: ${(e as Error).message}`,
        ])
        .catch(() => {});
      req.log.warn({ filename: key, err: (e as Error).message }, 'upload not completed; nothing kept');
      // The sender broke off (its stream errored) → 400; our side failed (disk full ...) → 500.
      return reply
        .code(req.raw.errored ? 400 : 500)
        .type('text/plain')
        .send(`upload not completed: ${(e as Error).message}\n`);
    }
    await ctx.db.query(
      `UPDATE fileuploadlog SET ut_transfer_complete = now(), size = $2, md5 = $3 WHERE id = $1`,
      [id, got.size, got.md5],
    );
    req.log.info({ filename: key, size: got.size, md5: got.md5 }, `received upload ${key}`);
    ctx.background(ingestUploaded(ctx, { ...item, md5: got.md5 }));
    return [{ filename: target.filename, path: target.path, size: got.size, md5: got.md5 }];
  });
};
