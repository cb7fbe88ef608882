import formbody from '@fastify/formbody';
import type { FastifyInstance } from 'fastify';
import type { RouteContext } from './context.js';
import { registerErrorHandler } from './plugins/errors.js';
import { registerUsageLog, UsageLog } from './plugins/usagelog.js';
import { debugRoutes } from './routes/debug.js';
import { downloadRoutes } from './routes/download.js';
import { fullHeaderRoutes } from './routes/fullheader.js';
import { loginRoutes } from './routes/login.js';
import { queueStatusRoutes } from './routes/queuestatus.js';
import { searchRoutes } from './routes/search.js';
import { staticRoutes } from './routes/static.js';
import { usageReportRoutes } from './routes/usagereport.js';
import type { LoginLimiter } from './ratelimit.js';
import { sessionResolver } from '../users/sessions.js';
import type { SiteContext } from './web.js';

// The web site people use: logins and sessions, the usage log of every request, the error page
// with a reference number, and the pages (search, summaries, downloads, queue status, usage
// report, full headers). One call from buildServer:
//
//   registerSite(app, ctx);   // right after app.register(cookie), before the route plugins
//
// Its hooks (usage log) and error handler are the root context's, so they reach every route,
// the 404 handler included; registering it first keeps that true whatever order Fastify loads
// plugins in.

export interface SiteOptions {
  /** false: no usage log hooks (benchmarks measure the site with and without them). */
  usageLog?: boolean;
  /** Login throttling (tests shorten it). */
  limiter?: LoginLimiter;
  /** Batching of usage log writes (tests). */
  usageFlush?: { flushMs?: number; maxRows?: number };
}

export function registerSite(
  app: FastifyInstance,
  ctx: Omit<RouteContext, 'answers'>,
  opts: SiteOptions = {},
): SiteContext {
  const user = sessionResolver(ctx.db);
  app.access.setSessionResolver(user);
  const usage = new UsageLog(ctx.db, ctx.log, opts.usageFlush);
  if (opts.usageLog !== false) registerUsageLog(app, usage);
  registerErrorHandler(app, usage);
  const site: SiteContext = { ...ctx, user, usage };

  app.register(async (web) => {
    // Forms post urlencoded bodies; the app may already parse them (then its parser serves here too).
    if (!web.hasContentTypeParser('application/x-www-form-urlencoded')) await web.register(formbody);
    await web.register(staticRoutes);
    await web.register(loginRoutes, { ctx: site, limiter: opts.limiter });
    await web.register(searchRoutes, { ctx: site });
    await web.register(downloadRoutes, { ctx: site });
    await web.register(fullHeaderRoutes, { ctx: site });
    await web.register(queueStatusRoutes, { ctx: site });
    await web.register(usageReportRoutes, { ctx: site });
    await web.register(debugRoutes, { ctx: site });
  });
  return site;
}
