import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import type { Queryable } from '../../db/pool.js';
import { isOpenQuery, parseSelection, unrecognisedMessage, type Selection } from '../../gemini/selection/index.js';
import { searchHeaders, type SearchOptions } from '../../services/search.js';
import type { RouteContext } from '../app.js';
import { fileListEntry, qaStateEntry, summaryEntry, type Row } from '../geminijson.js';

// GET /jsonfilelist, /jsonfilenames, /jsonsummary, /jsonqastate /<selection>: the Gemini archive's
// JSON API. An open query (nothing bounding it by program, file, date ...) gives the newest 500,
// newest first, and marks the last entry `results_truncated: true` when more matched; a closed
// query lists its files by filename (the archive's filename_asc).
//
// `?pending_ingest` (what an exporting server asks) adds `pending_ingest` to every entry: true
// while the file is waiting in the ingest queue or an upload of it is being handed to ingest.
// When the selection names a file that is not in the database yet but is pending, a placeholder
// entry says so (data_md5 null), so the sender waits instead of sending it again.

type Kind = 'jsonfilelist' | 'jsonfilenames' | 'jsonsummary' | 'jsonqastate';

function selectionOf(req: FastifyRequest): Selection {
  const rest = (req.params as { '*'?: string })['*'] ?? '';
  return parseSelection(rest);
}

function searchOptions(kind: Kind, open: boolean): SearchOptions {
  // The ODB reads jsonqastate over whole nights and programs: the archive sets no limit there.
  if (kind === 'jsonqastate') return { limit: null, orderBy: open ? undefined : 'filename' };
  return open ? {} : { orderBy: 'filename' };
}

/** Names (file.name) among `names` with an ingest or an upload hand-off still to come. */
export async function pendingIngestNames(db: Queryable, names: string[]): Promise<Set<string>> {
  if (names.length === 0) return new Set();
  const r = await db.query(
    `SELECT n FROM unnest($1::text[]) AS n
     WHERE EXISTS (SELECT 1 FROM ingestqueue q WHERE NOT q.failed AND q.filename IN (n, n || '.bz2'))
        OR EXISTS (SELECT 1 FROM fileuploadlog u
                   WHERE u.processed_cleanly IS NULL AND u.ut_transfer_complete IS NOT NULL
                     AND u.ut_transfer_start > now() - interval '1 day'
                     AND (u.filename IN (n, n || '.bz2') OR u.filename LIKE '%/' || n OR u.filename LIKE '%/' || n || '.bz2'))`,
    [names],
  );
  return new Set(r.rows.map((x) => x.n as string));
}

function placeholder(name: string): Row {
  return fileListEntry({ name, filename: null, path: null, compressed: null, mdready: false });
}

export const jsonListRoutes: FastifyPluginAsync<{ ctx: RouteContext }> = async (app, { ctx }) => {
  const handler = (kind: Kind) => async (req: FastifyRequest, reply: FastifyReply) => {
    const sel = selectionOf(req);
    const warning = unrecognisedMessage(sel);
    if (warning) {
      // Answering a partly understood query with more than was asked for would mislead a script.
      return reply.code(400).send({ error: warning, unrecognised: sel.unrecognised });
    }
    const result = await searchHeaders(ctx.db, sel, searchOptions(kind, isOpenQuery(sel)));
    let entries: Row[];
    switch (kind) {
      case 'jsonfilelist':
        entries = result.rows.map((r) => fileListEntry(r as unknown as Row));
        break;
      case 'jsonfilenames':
        entries = result.rows.map((r) => ({ name: r.name }));
        break;
      case 'jsonqastate':
        entries = result.rows.map((r) => qaStateEntry(r as unknown as Row));
        break;
      case 'jsonsummary':
        entries = [];
        for (const r of result.rows) {
          entries.push(summaryEntry(r as unknown as Row, await ctx.access.canHaveCoords(req, r)));
        }
        break;
    }
    if (kind === 'jsonfilelist' && 'pending_ingest' in (req.query as object)) {
      const names = result.rows.map((r) => r.name);
      if (sel.filename && !names.includes(sel.filename)) names.push(sel.filename);
      const pending = await pendingIngestNames(ctx.db, names);
      entries.forEach((e) => (e.pending_ingest = pending.has(e.name as string)));
      if (entries.length === 0 && sel.filename && pending.has(sel.filename)) {
        entries.push({ ...placeholder(sel.filename), pending_ingest: true });
      }
    }
    if (result.open && result.truncated && entries.length > 0) entries[entries.length - 1].results_truncated = true;
    return entries;
  };
  for (const kind of ['jsonfilelist', 'jsonfilenames', 'jsonsummary', 'jsonqastate'] as const) {
    app.get(`/${kind}`, handler(kind));
    app.get(`/${kind}/*`, handler(kind));
  }
};
