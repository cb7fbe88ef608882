import type { FastifyRequest } from 'fastify';
import type { Queryable } from '../../db/pool.js';
import { selectionToString, type Selection } from '../../gemini/selection/index.js';
import {
  OrderByError,
  parseOrderByList,
  searchHeaders,
  type OrderColumn,
  type OrderKey,
  type SearchResult,
} from '../../services/archive/search.js';
import { requester } from '../permit.js';
import type { SiteContext } from '../web.js';
import { searchPageRows, type PageResult, type PageRow } from './pagequery.js';

// One search for a page: the selection's rows in the order asked for, each marked with whether
// this user may have it (data, coordinates and target name) and whether it has a preview; and a
// querylog row saying what was asked and how long it took.

export interface ResultRow extends PageRow {
  permitted: boolean;
  /** Object, position and the like may be shown (Gemini's PROP_MD rule). */
  coordsShown: boolean;
  hasPreview: boolean;
}

export interface PageSearch {
  result: PageResult;
  rows: ResultRow[];
  /** The first key asked for (the table marks its column), or null for the default order. */
  order: { column: OrderColumn; desc: boolean } | null;
  /** The orderby value was not one the table can sort by. */
  badOrder: string | null;
}

async function withPreviews(db: Queryable, rows: PageRow[]): Promise<Set<number>> {
  if (rows.length === 0) return new Set();
  const r = await db.query('SELECT DISTINCT diskfile_id FROM preview WHERE diskfile_id = ANY($1::bigint[])', [
    rows.map((x) => x.diskfile_id),
  ]);
  return new Set(r.rows.map((x) => Number(x.diskfile_id)));
}

export async function searchForPage(
  ctx: SiteContext,
  req: FastifyRequest,
  sel: Selection,
  summarytype: string,
  orderby: string | readonly string[] | undefined,
): Promise<PageSearch> {
  let keys: OrderKey[] = [];
  let badOrder: string | null = null;
  try {
    keys = parseOrderByList(orderby);
  } catch (e) {
    if (!(e instanceof OrderByError)) throw e;
    badOrder = (typeof orderby === 'string' ? orderby : (orderby ?? []).join(',')) || null;
  }
  const started = new Date();
  const who = await requester(req, ctx.access, ctx.db, await ctx.user(req));
  const result = await searchPageRows(ctx.db, sel, { order: keys, coords: who.coords });
  const previews = await withPreviews(ctx.db, result.rows);
  const rows = result.rows.map((r) =>
    Object.assign(r, {
      permitted: who.permit(r),
      coordsShown: who.coordsShown(r),
      hasPreview: previews.has(r.diskfile_id),
    }),
  );
  ctx.usage.queryLog(req, {
    summarytype,
    selection: selectionToString(sel),
    numresults: rows.length,
    query_started: started,
    query_completed: new Date(),
    notes: result.truncated ? `truncated at ${result.limit}` : null,
  });
  return { result, rows, order: keys[0] ?? null, badOrder };
}
