import type { FastifyPluginAsync } from 'fastify';
import type { RouteContext } from '../app.js';

/** GET /health: 200 when the database answers, 503 otherwise (for load balancers and systemd). */
export const healthRoutes: FastifyPluginAsync<{ ctx: RouteContext }> = async (app, { ctx }) => {
  app.get('/health', async (_req, reply) => {
    const started = Date.now();
    try {
      await ctx.db.query('SELECT 1');
      return { status: 'ok', database: 'ok', storage: ctx.storage.kind, ms: Date.now() - started };
    } catch (e) {
      reply.code(503);
      return { status: 'unavailable', database: (e as Error).message, storage: ctx.storage.kind };
    }
  });
};
