import { pipeline } from 'node:stream';
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import sharp from 'sharp';
import { trimBz2 } from '../../gemini/filename.js';
import type { RouteContext } from '../context.js';
import { BadNameError, checkFileName } from '../names.js';

// GET /preview/<filename>: the preview JPEG of the present version of a file, under the same
// access rules as the file itself (a proprietary image is as telling as its data).
// GET /thumbnail/<filename>: the same, 200 px on the long side, for result tables.
// GET /num_previews/<filename>: how many previews the file has (plain text), as the archive serves it.

const THUMBNAIL_PX = 200;

interface PreviewRow {
  name: string;
  filename: string;
  has_header: boolean;
  release: string | null;
  engineering: boolean | null;
  program_id: string | null;
  observation_id: string | null;
  preview: string | null;
  previews: number;
}

/** The file a name asks for: .bz2 trimmed, .fits added when left out (N20200101S0001 works). */
export function askedFileName(raw: string): string {
  const name = trimBz2(checkFileName(raw));
  return /\.fits$/i.test(name) ? name : `${name}.fits`;
}

async function lookup(ctx: RouteContext, name: string): Promise<PreviewRow | undefined> {
  const r = await ctx.db.query(
    `SELECT f.name, df.filename, h.id IS NOT NULL AS has_header, h.release::text AS release, h.engineering,
            h.program_id, h.observation_id,
            (SELECT p.filename FROM preview p WHERE p.diskfile_id = df.id ORDER BY p.created DESC LIMIT 1) AS preview,
            (SELECT count(*)::int FROM preview p WHERE p.diskfile_id = df.id) AS previews
     FROM file f JOIN diskfile df ON df.file_id = f.id AND df.present
     LEFT JOIN header h ON h.diskfile_id = df.id
     WHERE f.name = $1::text`,
    [name],
  );
  return r.rows[0] as PreviewRow | undefined;
}

function text(reply: FastifyReply, code: number, body: string) {
  return reply.code(code).type('text/plain').send(`${body}\n`);
}

export const previewRoutes: FastifyPluginAsync<{ ctx: RouteContext }> = async (app, { ctx }) => {
  const serve = (thumbnail: boolean) => async (req: FastifyRequest, reply: FastifyReply) => {
    let name: string;
    try {
      name = askedFileName((req.params as { name: string }).name);
    } catch (e) {
      if (e instanceof BadNameError) return text(reply, 400, e.message);
      throw e;
    }
    const row = await lookup(ctx, name);
    if (!row) return text(reply, 404, `no such file: ${name}`);
    if (!row.preview) return text(reply, 404, `no preview for ${name}`);
    if (!(await ctx.access.canDownload(req, row))) {
      return text(reply, 403, `${name} is proprietary data: you are not allowed to see its preview`);
    }
    if (!(await ctx.storage.stat(row.preview))) {
      req.log.error({ key: row.preview }, 'preview row without its file in the store');
      return text(reply, 404, `the preview of ${name} is missing from the store`);
    }
    const stream = await ctx.storage.read(row.preview);
    reply.type('image/jpeg');
    if (!thumbnail) return reply.send(stream);
    // Resized on request: thumbnails are cheap (JPEG shrink-on-load) and never go stale.
    // pipeline, not pipe: a client that goes away must close the stored file too.
    return reply.send(
      pipeline(
        stream,
        sharp().resize(THUMBNAIL_PX, THUMBNAIL_PX, { fit: 'inside' }).jpeg({ quality: 80 }),
        () => {},
      ),
    );
  };
  app.get('/preview/:name', serve(false));
  app.get('/thumbnail/:name', serve(true));

  app.get('/num_previews/:name', async (req, reply) => {
    let name: string;
    try {
      name = askedFileName((req.params as { name: string }).name);
    } catch (e) {
      if (e instanceof BadNameError) return text(reply, 400, e.message);
      throw e;
    }
    const row = await lookup(ctx, name);
    return reply.type('text/plain').send(String(row?.previews ?? 0));
  });
};
