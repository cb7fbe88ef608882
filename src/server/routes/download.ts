import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { trimBz2 } from '../../gemini/filename.js';
import { presentFiles } from '../../services/archive/storedfile.js';
import { parseSelection, selectionToString, unrecognisedMessage } from '../../gemini/selection/index.js';
import type { AccessRow } from '../access.js';
import { releaseDay } from '../access.js';
import { searchPageRows } from '../../services/archive/search.js';
import { tarStream, type TarFile } from '../search/tarball.js';
import { csrfOk } from '../csrf.js';
import { downloadPermit, requester } from '../permit.js';
import { messagePage } from '../views/pages.js';
import { pageContext, rawSelection, sendPage, type SiteContext } from '../web.js';

// GET /download/<selection>: every file the selection finds, as one tar.
// POST /download/ (form field `files`, repeated; with the form's CSRF token): the ticked files.
// Files the user may not have are left out and named in README.txt; a downloadlog row records
// how many went and how many were withheld.

/** Most files one POST may name (a closed search lists at most 10,000). */
const MAX_NAMED = 10_000;

type Candidate = TarFile & AccessRow;

function stamp(d: Date): string {
  return d.toISOString().slice(0, 19).replace(/[-:]/g, '').replace('T', '-');
}

async function sendTar(
  ctx: SiteContext,
  req: FastifyRequest,
  reply: FastifyReply,
  candidates: Candidate[],
  selection: string,
  notFound: string[],
) {
  const user = await ctx.user(req);
  const permit = await downloadPermit(req, ctx.access, ctx.db, user);
  const files: TarFile[] = [];
  const withheld: { name: string; reason: string }[] = [];
  for (const c of candidates) {
    if (permit(c)) files.push(c);
    else
      withheld.push({
        name: c.name,
        reason: `proprietary until ${releaseDay(c.release) ?? 'release date unknown'}`,
      });
  }
  const log = ctx.usage.downloadLog(req, {
    selection,
    numresults: files.length,
    sending_files: files.length > 0,
    numdenied: withheld.length,
    download_started: new Date(),
    download_completed: null,
  });
  const { stream, done } = tarStream(ctx.storage, ctx.log, {
    files,
    withheld,
    notFound,
    selection,
    user: user?.username ?? null,
  });
  void done.then((out) => {
    log.download_completed = new Date();
    log.numresults = out.sent;
    const notes = [
      out.missing.length ? `missing from the store: ${out.missing.join(' ')}` : '',
      out.md5Mismatch.length ? `md5 differs from the record: ${out.md5Mismatch.join(' ')}` : '',
      out.error ? `stopped: ${out.error.message}` : '',
    ].filter(Boolean);
    if (notes.length) log.notes = notes.join('\n');
  });
  return reply
    .header('Content-Type', 'application/x-tar')
    .header('Content-Disposition', `attachment; filename="fitsstore-download-${stamp(new Date())}.tar"`)
    .send(stream);
}

export const downloadRoutes: FastifyPluginAsync<{ ctx: SiteContext }> = async (app, { ctx }) => {
  app.get('/download/*', async (req, reply) => {
    const sel = parseSelection(rawSelection(req, '/download/'));
    const refuse = async (why: string) =>
      sendPage(reply, messagePage(await pageContext(ctx, req, reply), 'Download', why), 400);
    const warning = unrecognisedMessage(sel);
    if (warning) return refuse(`${warning}. Nothing was downloaded.`);
    const who = await requester(req, ctx.access, ctx.db, await ctx.user(req));
    const result = await searchPageRows(ctx.db, sel, { orderBy: 'filename', coords: who.coords });
    // "The newest 500 of anything" is never what someone meant to download.
    if (result.open) {
      return refuse(
        'This selection is not limited by a program, observation, file name or date: narrow it before downloading.',
      );
    }
    return sendTar(ctx, req, reply, result.rows, selectionToString(sel), []);
  });

  app.post('/download/', async (req, reply) => {
    if (!csrfOk(req)) {
      return sendPage(
        reply,
        messagePage(
          await pageContext(ctx, req, reply),
          'Download',
          'The form had expired: go back, reload the page and try again.',
        ),
        403,
      );
    }
    const raw = (req.body as Record<string, unknown>)?.files;
    const list = (Array.isArray(raw) ? raw : [raw]).filter(
      (x): x is string => typeof x === 'string' && x !== '',
    );
    const names = [...new Set(list.map((n) => trimBz2(n.trim())))].slice(0, MAX_NAMED);
    if (names.length === 0) {
      return sendPage(
        reply,
        messagePage(await pageContext(ctx, req, reply), 'Download', 'No files were selected.'),
        400,
      );
    }
    const candidates = await presentFiles(ctx.db, names);
    const found = new Set(candidates.map((c) => c.name));
    return sendTar(
      ctx,
      req,
      reply,
      candidates,
      `files: ${names.join(' ')}`,
      names.filter((n) => !found.has(n)),
    );
  });
};
