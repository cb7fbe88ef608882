import type { FastifyPluginAsync } from 'fastify';
import { staffOnly, type SiteContext } from '../web.js';

// GET /debug/raise (staff): throws, on purpose. A deliberate test of error reporting: the answer
// should be a 500 page with a reference number, and /usagedetails/<that number> should show this
// exception and its stack. Operators use it after a deployment; the browser tests use it too.

class DeliberateError extends Error {
  override name = 'DeliberateError';
}

export const debugRoutes: FastifyPluginAsync<{ ctx: SiteContext }> = async (app, { ctx }) => {
  app.get('/debug/raise', async (req, reply) => {
    if (!(await staffOnly(ctx, req, reply))) return reply;
    throw new DeliberateError('deliberate error from /debug/raise (a test of error reporting)');
  });
};
