import type { FastifyPluginAsync } from 'fastify';
import { QUEUESTATUS_JS } from '../views/queuestatus.js';
import { STYLE_CSS } from '../views/style.js';

// GET /static/style.css and /static/queuestatus.js: the only assets, held in memory. Cached for an
// hour: they change only with a new release, and the pages work (unstyled) even while they load.

export const staticRoutes: FastifyPluginAsync = async (app) => {
  const assets: Record<string, [string, string]> = {
    'style.css': ['text/css; charset=utf-8', STYLE_CSS],
    'queuestatus.js': ['text/javascript; charset=utf-8', QUEUESTATUS_JS.value],
  };
  app.get('/static/:name', async (req, reply) => {
    const asset = assets[(req.params as { name: string }).name];
    if (!asset) return reply.code(404).type('text/plain').send('no such file\n');
    return reply
      .header('Cache-Control', 'public, max-age=3600')
      .header('X-Content-Type-Options', 'nosniff')
      .type(asset[0])
      .send(asset[1]);
  });
};
