import type { FastifyPluginAsync } from 'fastify';
import type { RouteContext } from '../context.js';

/**
 * GET /health: 200 {status: "ok"} when the database answers, 503 {status: "not ok"} otherwise
 * (for load balancers and systemd). Why it is not ok goes to the log, not to whoever asked: a
 * database error names hosts, users and databases.
 */
export const healthRoutes: FastifyPluginAsync<{ ctx: RouteContext }> = async (app, { ctx }) => {
  app.get('/health', async (req, reply) => {
    const started = Date.now();
    try {
      await ctx.db.query('SELECT 1');
      return { status: 'ok', database: 'ok', storage: ctx.storage.kind, ms: Date.now() - started };
    } catch (e) {
      req.log.error({ err: e }, `health check failed: the database does not answer: ${(e as Error).message}`);
      reply.code(503);
      return { status: 'not ok' };
    }
  });
};
