import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { parseSelection, type Selection } from '../../gemini/selection/index.js';
import { FIELD_NAMES, formTerms, formValues, termsPath, type FormValues } from '../search/fields.js';
import { searchForPage, type PageSearch } from '../search/results.js';
import { searchPage } from '../views/searchform.js';
import { summaryPage } from '../views/summary.js';
import { orderbyParam, pageContext, queryParams, rawSelection, sendPage, type SiteContext } from '../web.js';

// GET /searchform                 the empty form; with form fields in the query: redirect to ↓
// GET /searchform/<selection>     the form filled from the selection, and the results
// GET /summary/<selection>        the summary table; /summary/nolinks/<selection> without links
// All take ?orderby=<column>[_desc][,<column>[_desc]...] (or the parameter repeated). A selection with terms nobody understood is not run: the page
// says which terms, and running the rest would show more than was asked for.

function isEmpty(sel: Selection): boolean {
  return (
    Object.keys(sel).every((k) => k === 'warnings' || k === 'unrecognised') && sel.unrecognised.length === 0
  );
}

async function run(
  ctx: SiteContext,
  req: FastifyRequest,
  sel: Selection,
  kind: string,
): Promise<PageSearch | null> {
  if (sel.unrecognised.length > 0 || isEmpty(sel)) return null;
  return searchForPage(ctx, req, sel, kind, orderbyParam(req));
}

export const searchRoutes: FastifyPluginAsync<{ ctx: SiteContext }> = async (app, { ctx }) => {
  app.get('/searchform', async (req, reply) => {
    const q = queryParams(req);
    if (FIELD_NAMES.some((f) => f !== 'datetype' && (q[f] ?? '').trim() !== '')) {
      const path = termsPath(formTerms(q as Partial<FormValues>));
      return reply.redirect(path ? `/searchform/${path}` : '/searchform', 303);
    }
    const pc = await pageContext(ctx, req, reply);
    return sendPage(reply, searchPage(pc, formValues(parseSelection([])), null, '', null));
  });

  app.get('/searchform/*', async (req, reply) => {
    const selPath = rawSelection(req, '/searchform/');
    const sel = parseSelection(selPath);
    const s = await run(ctx, req, sel, 'searchform');
    const pc = await pageContext(ctx, req, reply);
    return sendPage(reply, searchPage(pc, formValues(sel), sel, selPath, s));
  });

  const summary = (prefix: string, links: boolean) => async (req: FastifyRequest, reply: FastifyReply) => {
    const sel = parseSelection(rawSelection(req, prefix));
    const s =
      sel.unrecognised.length > 0
        ? null
        : await searchForPage(ctx, req, sel, links ? 'summary' : 'summary-nolinks', orderbyParam(req));
    const pc = await pageContext(ctx, req, reply);
    return sendPage(reply, summaryPage(pc, sel, s, links));
  };
  app.get('/summary', summary('/summary', true));
  app.get('/summary/*', summary('/summary/', true));
  app.get('/summary/nolinks', summary('/summary/nolinks', false));
  app.get('/summary/nolinks/*', summary('/summary/nolinks/', false));
};
