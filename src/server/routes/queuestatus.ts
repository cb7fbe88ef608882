import type { FastifyPluginAsync } from 'fastify';
import { queueStatusData } from '../status/queues.js';
import { queueStatusPage } from '../views/queuestatus.js';
import { queryParams, sendPage, staffOnly, type SiteContext } from '../web.js';

// GET /queuestatus (staff): the queues at a glance, refreshing itself from GET /queuestatus/json.
// ?n=<items per list> (default 50), ?refresh=<seconds> (default 10).

function intParam(v: string | undefined, dflt: number, min: number, max: number): number {
  const n = Number(v);
  return Number.isInteger(n) ? Math.min(max, Math.max(min, n)) : dflt;
}

export const queueStatusRoutes: FastifyPluginAsync<{ ctx: SiteContext }> = async (app, { ctx }) => {
  app.get('/queuestatus', async (req, reply) => {
    const pc = await staffOnly(ctx, req, reply);
    if (!pc) return reply;
    const q = queryParams(req);
    const data = await queueStatusData(ctx.db, intParam(q.n, 50, 1, 500));
    return sendPage(reply, queueStatusPage(pc, data, intParam(q.refresh, 10, 1, 3600)));
  });

  app.get('/queuestatus/json', async (req, reply) => {
    const user = await ctx.user(req);
    if (!user?.staff) return reply.code(403).send({ error: 'staff only: log in with a staff account' });
    return queueStatusData(ctx.db, intParam(queryParams(req).n, 50, 1, 500));
  });
};
