import { pipeline } from 'node:stream';
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { trimBz2 } from '../../gemini/filename.js';
import { openStored, presentFile, previewsOf } from '../../services/archive/storedfile.js';
import type { RouteContext } from '../context.js';
import { BadNameError, checkFileName } from '../names.js';

// GET /preview/<filename>: the preview JPEG of the present version of a file, under the same
// access rules as the file itself (a proprietary image is as telling as its data).
// GET /thumbnail/<filename>: the same, 200 px on the long side, for result tables.
// GET /num_previews/<filename>: how many previews the file has (plain text), as the archive serves it.

const THUMBNAIL_PX = 200;

// sharp (libvips, loaded with dlopen) is a quarter of a second of CPU at server start, paid on
// every restart although most servers go a long time before the first thumbnail: it is loaded
// then, once.
let sharpModule: Promise<typeof import('sharp')> | undefined;
const loadSharp = () => (sharpModule ??= import('sharp'));

/** The file a name asks for: .bz2 trimmed, .fits added when left out (N20200101S0001 works). */
export function askedFileName(raw: string): string {
  const name = trimBz2(checkFileName(raw));
  return /\.fits$/i.test(name) ? name : `${name}.fits`;
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
    const row = await presentFile(ctx.db, name);
    if (!row) return text(reply, 404, `no such file: ${name}`);
    const { latest } = await previewsOf(ctx.db, row.diskfile_id);
    if (!latest) return text(reply, 404, `no preview for ${name}`);
    if (!(await ctx.access.canDownload(req, row))) {
      return text(reply, 403, `${name} is proprietary data: you are not allowed to see its preview`);
    }
    const stored = await openStored(ctx.storage, latest);
    if (!stored) {
      req.log.error({ key: latest }, 'preview row without its file in the store');
      return text(reply, 404, `the preview of ${name} is missing from the store`);
    }
    const resizer = thumbnail ? (await loadSharp()).default : undefined;
    const stream = await stored.read();
    reply.type('image/jpeg');
    if (!resizer) return reply.send(stream);
    // Resized on request: thumbnails are cheap (JPEG shrink-on-load) and never go stale.
    // pipeline, not pipe: a client that goes away must close the stored file too.
    return reply.send(
      pipeline(
        stream,
        resizer().resize(THUMBNAIL_PX, THUMBNAIL_PX, { fit: 'inside' }).jpeg({ quality: 80 }),
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
    const row = await presentFile(ctx.db, name);
    const count = row ? (await previewsOf(ctx.db, row.diskfile_id)).count : 0;
    return reply.type('text/plain').send(String(count));
  });
};
