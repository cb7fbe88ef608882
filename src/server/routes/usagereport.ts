import type { FastifyPluginAsync } from 'fastify';
import { usageDetails, usageReport, type UsageFilter } from '../status/usage.js';
import { messagePage } from '../views/pages.js';
import { usageDetailsPage, usageReportPage } from '../views/usagereport.js';
import { queryParams, sendPage, staffOnly, type SiteContext } from '../web.js';

// GET /usagereport?from=&to=&username=&ip=&feature=&status=&page= (staff), and
// GET /usagedetails/<id> (staff): where an error's reference number leads.

const FILTERS: (keyof UsageFilter)[] = ['from', 'to', 'username', 'ip', 'feature', 'status'];

export const usageReportRoutes: FastifyPluginAsync<{ ctx: SiteContext }> = async (app, { ctx }) => {
  app.get('/usagereport', async (req, reply) => {
    const pc = await staffOnly(ctx, req, reply);
    if (!pc) return reply;
    const q = queryParams(req);
    const f: UsageFilter = {};
    for (const k of FILTERS) if (q[k]?.trim()) f[k] = q[k].trim().slice(0, 200);
    const page = Math.min(10_000, Math.max(0, Number.parseInt(q.page ?? '0', 10) || 0));
    return sendPage(reply, usageReportPage(pc, f, await usageReport(ctx.db, f, page), page));
  });

  app.get('/usagedetails/:id', async (req, reply) => {
    const pc = await staffOnly(ctx, req, reply);
    if (!pc) return reply;
    const raw = (req.params as { id: string }).id;
    const id = /^\d{1,15}$/.test(raw) ? Number(raw) : null;
    const d = id === null ? null : await usageDetails(ctx.db, id);
    if (!d)
      return sendPage(reply, messagePage(pc, 'Usage details', `There is no usage log entry ${raw}.`), 404);
    return sendPage(reply, usageDetailsPage(pc, d));
  });
};
