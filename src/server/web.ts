import type { FastifyReply, FastifyRequest, preHandlerAsyncHookHandler } from 'fastify';
import type { RouteContext } from './context.js';
import type { UsageLog } from './plugins/usagelog.js';
import { csrfToken } from './csrf.js';
import type { WebUser } from '../users/store.js';
import type { Html } from './views/html.js';
import type { PageContext } from './views/layout.js';
import { messagePage } from './views/pages.js';

// What the web pages share: the context their plugins receive, and the few request helpers every
// page uses (who is asking, the CSRF token, staff-only gates, the raw selection path).

export interface SiteContext extends Omit<RouteContext, 'answers'> {
  /** The request's logged-in user (one lookup per request). */
  user(req: FastifyRequest): Promise<WebUser | null>;
  usage: UsageLog;
}

// Pages are rendered from live data and may carry a CSRF token: never framed, scripts and styles
// only from here (the self-refresh script is a file under /static/, not inline).
const CSP = [
  "default-src 'self'",
  "img-src 'self' data:",
  "style-src 'self'",
  "script-src 'self'",
  "connect-src 'self'",
  "frame-ancestors 'none'",
  "form-action 'self'",
  "base-uri 'none'",
].join('; ');

export async function pageContext(
  ctx: SiteContext,
  req: FastifyRequest,
  reply: FastifyReply,
): Promise<PageContext> {
  const user = await ctx.user(req);
  return { user, csrf: csrfToken(req, reply, ctx.config), here: req.url };
}

export function sendPage(reply: FastifyReply, page: Html, status = 200): FastifyReply {
  return reply
    .code(status)
    .header('Content-Security-Policy', CSP)
    .header('X-Content-Type-Options', 'nosniff')
    .header('Referrer-Policy', 'same-origin')
    .type('text/html; charset=utf-8')
    .send(page.value);
}

/**
 * Staff only: anonymous people are sent to log in (and back), logged-in non-staff get a 403.
 * Returns the page context when the request may go on, else null (the reply is already sent).
 */
export async function staffOnly(
  ctx: SiteContext,
  req: FastifyRequest,
  reply: FastifyReply,
): Promise<PageContext | null> {
  const pc = await pageContext(ctx, req, reply);
  if (pc.user?.staff) return pc;
  if (!pc.user) {
    reply.redirect(`/login?next=${encodeURIComponent(req.url)}`, 303);
    return null;
  }
  sendPage(
    reply,
    messagePage(pc, 'Staff only', 'This page is for archive staff. Your account does not have staff access.'),
    403,
  );
  return null;
}

/**
 * staffOnly as a preHandler hook, for route plugins outside the site (the /notification page
 * takes one): `app.register(notificationRoutes, { ctx, staffOnly: staffPreHandler(site) })`.
 */
export function staffPreHandler(ctx: SiteContext): preHandlerAsyncHookHandler {
  return async (req, reply) => {
    await staffOnly(ctx, req, reply); // a refusal sends the reply, and Fastify stops there
  };
}

/**
 * The selection part of the URL as sent (still percent-encoded), after `prefix`: parseSelection
 * splits it on '/' before decoding each term, so an encoded %2F stays inside its term.
 */
export function rawSelection(req: FastifyRequest, prefix: string): string {
  const path = req.url.split('?', 1)[0];
  return path.startsWith(prefix) ? path.slice(prefix.length) : '';
}

/** The query string's values, first of each (Fastify gives arrays for repeats). */
/** Every ?orderby= value (the parameter may be repeated). */
export function orderbyParam(req: FastifyRequest): string[] | undefined {
  const v = (req.query as Record<string, unknown> | undefined)?.orderby;
  if (v === undefined) return undefined;
  return (Array.isArray(v) ? v : [v]).filter((x): x is string => typeof x === 'string');
}

export function queryParams(req: FastifyRequest): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries((req.query as Record<string, unknown>) ?? {})) {
    const first = Array.isArray(v) ? v[0] : v;
    if (typeof first === 'string') out[k] = first;
  }
  return out;
}
