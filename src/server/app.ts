import path from 'node:path';
import cookie from '@fastify/cookie';
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import { Access } from './access.js';
import type { RouteContext, ServerDeps } from './context.js';
import { calmgrRoutes } from './routes/calmgr.js';
import { fileRoutes } from './routes/file.js';
import { AnswerCache } from './answercache.js';
import { DecompressedCache } from './decompressedcache.js';
import { healthRoutes } from './routes/health.js';
import { registerHardening, serverOptions } from './plugins/hardening.js';
import { jsonListRoutes } from './routes/jsonlists.js';
import { notificationRoutes } from './routes/notification.js';
import { previewRoutes } from './routes/preview.js';
import { updateHeadersRoutes } from './routes/updateheaders.js';
import { registerSite, type SiteOptions } from './site.js';
import { staffPreHandler, type SiteContext } from './web.js';
import { uploadRoutes } from './routes/upload.js';

// The fitsstore-server application: Fastify with pino, every route a plugin of its own. Built
// from resolved dependencies (no config or env reading here), so tests drive it with inject()
// or a real socket alike.

export interface BuildOptions {
  /** Seconds close() waits for background work (upload hand-offs) before giving up on it. */
  closeGraceSeconds?: number;
  /** Web site settings (usage-log flushing, ...). */
  site?: SiteOptions;
  /** The clock the access rules take today's date from (release dates); tests fix it. */
  now?: () => Date;
}

export function buildServer(deps: ServerDeps, opts: BuildOptions = {}): FastifyInstance {
  const app = Fastify({
    // pino's Logger is wider than FastifyBaseLogger; the instance stays the project's logger.
    loggerInstance: deps.log as FastifyBaseLogger,
    // Keep-alive connections from export daemons must not hold a graceful stop open.
    forceCloseConnections: 'idle',
    return503OnClosing: true,
    // Names such as N20200101S0001.fits.bz2 are long; selections longer still.
    routerOptions: { maxParamLength: 2000 },
    ...serverOptions(deps.config),
  });
  registerHardening(app, deps.config);
  const pending = new Set<Promise<unknown>>();
  const access = new Access(deps.config, deps.db, opts.now);
  const answers = new AnswerCache(deps.db, deps.config.server.answer_cache_mb * 1024 * 1024, deps.log);
  const decompressed = new DecompressedCache(
    path.join(deps.config.paths.var_dir, 'cache', 'decompressed'),
    deps.config.server.decompressed_cache_mb * 1024 * 1024,
    deps.log,
  );
  const ctx: RouteContext = {
    ...deps,
    access,
    answers,
    decompressed,
    background(work) {
      const p = work.catch(() => {}).finally(() => pending.delete(p));
      pending.add(p);
    },
  };
  app.decorate('access', access);
  app.decorate('answers', answers);
  app.decorate('decompressedCache', decompressed);

  app.register(cookie);
  // The web site first: its hooks (usage log, sessions, errors) must see every route.
  const site = registerSite(app, ctx, opts.site);
  app.decorate('site', site);
  // Responses describe live database state: no client or proxy may reuse them.
  app.addHook('onSend', async (_req, reply, payload) => {
    if (!reply.hasHeader('cache-control')) reply.header('Cache-Control', 'no-cache');
    return payload;
  });
  app.addHook('onClose', async () => {
    await answers.close();
    await decompressed.close();
    if (pending.size === 0) return;
    const grace = (opts.closeGraceSeconds ?? 30) * 1000;
    deps.log.info(`waiting for ${pending.size} upload hand-off(s) to finish`);
    await Promise.race([Promise.allSettled([...pending]), new Promise((r) => setTimeout(r, grace).unref())]);
  });

  app.register(healthRoutes, { ctx });
  app.register(uploadRoutes, { ctx });
  app.register(jsonListRoutes, { ctx });
  app.register(fileRoutes, { ctx });
  app.register(previewRoutes, { ctx });
  app.register(calmgrRoutes, { ctx });
  app.register(updateHeadersRoutes, { ctx });
  app.register(notificationRoutes, { ctx, staffOnly: staffPreHandler(site) });
  return app;
}

declare module 'fastify' {
  interface FastifyInstance {
    /** The access rules; the user system sets its session resolver here. */
    access: Access;
    /** Cached anonymous JSON API answers (for tests and tools). */
    answers: AnswerCache;
    /** Decompressed copies of .bz2-stored files (for tests and tools). */
    decompressedCache: DecompressedCache;
    /** The web site's context (sessions, usage log), for tests and tools. */
    site: SiteContext;
  }
}
