import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import type { Queryable } from '../../db/pool.js';
import {
  isOpenQuery,
  parseSelection,
  selectionToString,
  unrecognisedMessage,
  type Selection,
} from '../../gemini/selection/index.js';
import { pendingIngestSql } from '../../queues/sql.js';
import {
  OrderByError,
  parseOrderByList,
  searchHeaders,
  type OrderKey,
  type SearchOptions,
  type SearchRow,
} from '../../services/archive/search.js';
import type { RouteContext } from '../context.js';
import { utcDay } from '../access.js';
import { requester } from '../permit.js';
import { DISKFILE_FIELDS, fileListEntry, qaStateEntry, summaryEntry, type Row } from '../geminijson.js';
import { xmlEscape } from './calmgr.js';
import { orderbyParam } from '../web.js';

// GET /jsonfilelist, /jsonfilenames, /jsonsummary, /jsonqastate /<selection>: the Gemini archive's
// JSON API; /xmlfilelist/<selection> the file list as XML (by filename, as the archive's). An
// open query (nothing bounding it by program, file, date ...) gives the newest 500, newest first, and marks the last entry `results_truncated: true` when more matched; a closed
// query lists its files by filename (the archive's filename_asc). `?orderby=` (keys of
// ORDER_COLUMNS, each with _asc or _desc, comma-separated or repeated) comes first and decides
// which rows make a truncated page, as on the archive; an unknown key is a 400 naming it.
//
// Entries of /jsonfilelist and /jsonsummary carry `pending_ingest` (as the archive's newer
// documents do): true while the file waits in the ingest queue or an upload of it is being handed
// to ingest. With `?pending_ingest` (what an exporting server asks), a selection naming a file
// that is not in the database yet but is pending gets a placeholder entry saying so (data_md5
// null), so the sender waits instead of sending it again.

type Kind = 'jsonfilelist' | 'jsonfilenames' | 'jsonsummary' | 'jsonqastate' | 'xmlfilelist';

const JSON_TYPE = 'application/json; charset=utf-8';

const typeOf = (kind: Kind) => (kind === 'xmlfilelist' ? 'text/xml; charset=utf-8' : JSON_TYPE);

/** /xmlfilelist: the jsonfilelist entries as the archive's <file_list> document. */
function fileListXml(entries: Row[], sel: Selection): string {
  const text = (v: unknown) => xmlEscape(typeof v === 'boolean' ? (v ? 'True' : 'False') : (v ?? 'None'));
  const fields = ['name', ...DISKFILE_FIELDS, 'size', 'md5'];
  const files = entries.map(
    (e) => `<file>${fields.map((f) => `<${f}>${text(e[f])}</${f}>`).join('')}</file>`,
  );
  return [
    '<?xml version="1.0" ?>',
    '<file_list>',
    `<selection>${xmlEscape(selectionToString(sel))}</selection>`,
    ...files,
    '</file_list>',
    '',
  ].join('\n');
}

function selectionOf(req: FastifyRequest): Selection {
  const rest = (req.params as { '*'?: string })['*'] ?? '';
  return parseSelection(rest);
}

function searchOptions(kind: Kind, open: boolean, order: OrderKey[]): SearchOptions {
  // Asked-for keys first; without any, a closed query lists its files by name.
  // xmlfilelist is by name even for an open query (the archive's filename_asc there).
  const byName = !open || kind === 'xmlfilelist';
  const ordering = order.length ? { order } : byName ? { orderBy: 'filename' as const } : {};
  // The ODB reads jsonqastate over whole nights and programs: the archive sets no limit there.
  if (kind === 'jsonqastate') return { limit: null, ...ordering };
  // Entries of these two say whether ingest is pending: found in the same query.
  const extra = kind === 'jsonfilelist' || kind === 'jsonsummary' ? { withPendingIngest: true } : {};
  return { ...ordering, ...extra };
}

/** A file (file.name) not in the database yet that has an ingest or upload hand-off to come. */
async function isPendingIngest(db: Queryable, name: string): Promise<boolean> {
  const r = await db.query(`SELECT ${pendingIngestSql('$1::text')} AS pending`, [name]);
  return r.rows[0].pending === true;
}

function placeholder(name: string): Row {
  return fileListEntry({ name, filename: null, path: null, compressed: null, mdready: false }, true);
}

export const jsonListRoutes: FastifyPluginAsync<{ ctx: RouteContext }> = async (app, { ctx }) => {
  const handler = (kind: Kind) => async (req: FastifyRequest, reply: FastifyReply) => {
    // Only answers that depend on nothing but the URL and the day are kept: no cookies (so no
    // session, grant or magic cookie can widen what is shown), and the UTC date in the key
    // (proprietary periods end at day boundaries).
    const cacheable = !req.headers.cookie && ctx.answers.enabled;
    const generation = cacheable ? await ctx.answers.current() : null;
    const key = `${req.url}\u0000${utcDay(ctx.access.now())}`;
    if (generation !== null) {
      const hit = ctx.answers.get(key, generation);
      if (hit) return reply.type(typeOf(kind)).send(hit);
    }
    const entries = await answer(kind, req, reply);
    if (!entries) return reply;
    const body = Buffer.from(
      kind === 'xmlfilelist' ? fileListXml(entries, selectionOf(req)) : JSON.stringify(entries),
    );
    // A file waiting for ingest changes state without a notification (completions are silent).
    if (generation !== null && !entries.some((e) => e.pending_ingest === true))
      ctx.answers.put(key, generation, body);
    return reply.type(typeOf(kind)).send(body);
  };

  const answer = async (kind: Kind, req: FastifyRequest, reply: FastifyReply): Promise<Row[] | null> => {
    const sel = selectionOf(req);
    const warning = unrecognisedMessage(sel);
    if (warning) {
      // Answering a partly understood query with more than was asked for would mislead a script.
      reply.code(400).send({ error: warning, unrecognised: sel.unrecognised });
      return null;
    }
    let order: OrderKey[];
    try {
      order = parseOrderByList(orderbyParam(req));
    } catch (e) {
      if (!(e instanceof OrderByError)) throw e;
      reply.code(400).send({ error: e.message });
      return null;
    }
    const who = await requester(req, ctx.access, ctx.db);
    const result = await searchHeaders(ctx.db, sel, {
      ...searchOptions(kind, isOpenQuery(sel), order),
      coords: who.coords,
    });
    const rows = result.rows;
    let entries: Row[];
    if (kind === 'jsonfilenames') {
      entries = rows.map((r) => ({ name: r.name }));
    } else if (kind === 'jsonqastate') {
      entries = rows.map(qaStateEntry);
    } else {
      const asked = 'pending_ingest' in (req.query as object);
      const pending = (r: SearchRow) => r.pending_ingest === true;
      if (kind === 'jsonfilelist' || kind === 'xmlfilelist') {
        entries = rows.map((r) => fileListEntry(r, pending(r)));
        // A named file not in the database yet, but on its way: say so (the exporter then waits).
        if (asked && entries.length === 0 && sel.filename) {
          if (await isPendingIngest(ctx.db, sel.filename)) entries.push(placeholder(sel.filename));
        }
      } else {
        entries = rows.map((r) => summaryEntry(r, who.coordsShown(r), pending(r)));
      }
    }
    if (result.open && result.truncated && entries.length > 0)
      entries[entries.length - 1].results_truncated = true;
    return entries;
  };
  for (const kind of [
    'jsonfilelist',
    'jsonfilenames',
    'jsonsummary',
    'jsonqastate',
    'xmlfilelist',
  ] as const) {
    app.get(`/${kind}`, handler(kind));
    app.get(`/${kind}/*`, handler(kind));
  }
};
