import type { FastifyPluginAsync } from 'fastify';
import { csrfOk } from '../csrf.js';
import { hashPassword, needsRehash, verifyPassword } from '../../users/password.js';
import { LoginLimiter } from '../ratelimit.js';
import {
  clearSessionCookie,
  createSession,
  deleteSession,
  SESSION_COOKIE,
  setSessionCookie,
} from '../../users/sessions.js';
import { findForLogin, replaceHash } from '../../users/store.js';
import { loginPage, messagePage } from '../views/pages.js';
import { pageContext, queryParams, sendPage, type SiteContext } from '../web.js';

// GET/POST /login, POST /logout. Failed logins are counted per IP and username (and per IP) in a
// sliding window; past the limit the answer is 429 before any password is checked. The password
// is never logged or stored: Fastify does not log bodies, the usage log keeps only the URL.

/**
 * Only a path on this site may be a redirect target. The check is made on what a browser would
 * make of the value: it drops tabs, CR and LF anywhere, trims spaces and control characters, and
 * reads a backslash as a slash, so "/\\evil.example", "/\t/evil.example" and "//evil.example"
 * are all other sites. What is returned is re-serialised by the URL parser: it cannot carry a
 * raw CR, LF or any other byte that could split a header.
 */
function safeNext(next: unknown): string {
  const fallback = '/searchform';
  if (typeof next !== 'string' || next.length > 2000) return fallback;
  // eslint-disable-next-line no-control-regex
  const v = next
    .replace(/[\t\n\r]/g, '')
    .replace(/^[\u0000-\u0020]+|[\u0000-\u0020]+$/g, '')
    .replace(/\\/g, '/');
  if (!v.startsWith('/') || v.startsWith('//') || v.includes('\u0000')) return fallback;
  let u: URL;
  try {
    u = new URL(v, 'http://same-origin.invalid');
  } catch {
    return fallback;
  }
  // "/.//evil.example" resolves to the path "//evil.example": still another site.
  if (u.origin !== 'http://same-origin.invalid' || u.pathname.startsWith('//')) return fallback;
  return `${u.pathname}${u.search}${u.hash}`;
}

export const loginRoutes: FastifyPluginAsync<{ ctx: SiteContext; limiter?: LoginLimiter }> = async (
  app,
  { ctx, limiter },
) => {
  const limits = limiter ?? new LoginLimiter();

  app.get('/login', async (req, reply) => {
    const pc = await pageContext(ctx, req, reply);
    return sendPage(reply, loginPage(pc, { next: safeNext(queryParams(req).next) }));
  });

  app.post('/login', async (req, reply) => {
    const body = (req.body ?? {}) as Record<string, unknown>;
    const username = typeof body.username === 'string' ? body.username.trim().slice(0, 100) : '';
    const password = typeof body.password === 'string' ? body.password.slice(0, 1024) : '';
    const next = safeNext(body.next);
    if (!csrfOk(req)) {
      const pc = await pageContext(ctx, req, reply);
      return sendPage(
        reply,
        loginPage(pc, { next, username, error: 'The form had expired: please log in again.' }),
        403,
      );
    }
    const limit = limits.check(req.ip, username);
    if (!limit.allowed) {
      const pc = await pageContext(ctx, req, reply);
      reply.header('Retry-After', String(limit.retryAfter));
      const wait = Math.ceil(limit.retryAfter / 60);
      return sendPage(
        reply,
        loginPage(pc, {
          next,
          username,
          error: `Too many failed logins: try again in ${wait} minute${wait === 1 ? '' : 's'}.`,
        }),
        429,
      );
    }
    const user = username ? await findForLogin(ctx.db, username) : null;
    const ok = await verifyPassword(password, user?.password); // costs the same whether or not the user exists
    if (!user || !ok) {
      limits.failed(req.ip, username);
      req.log.info({ username, ip: req.ip }, 'login failed');
      const pc = await pageContext(ctx, req, reply);
      return sendPage(reply, loginPage(pc, { next, username, error: 'Wrong username or password.' }), 401);
    }
    limits.succeeded(req.ip, username);
    if (needsRehash(user.password!)) await replaceHash(ctx.db, user.id, await hashPassword(password));
    const old = req.cookies?.[SESSION_COOKIE];
    if (old) await deleteSession(ctx.db, old); // a fresh token on every login: no session fixation
    setSessionCookie(req, reply, ctx.config, await createSession(ctx.db, user.id));
    ctx.usage.setUser(req, user.id);
    req.log.info({ username, ip: req.ip }, 'login');
    return reply.redirect(next, 303);
  });

  app.post('/logout', async (req, reply) => {
    const user = await ctx.user(req);
    if (!csrfOk(req)) {
      const pc = await pageContext(ctx, req, reply);
      return sendPage(
        reply,
        messagePage(pc, 'Log out', 'The form had expired: please use the Log out button again.'),
        403,
      );
    }
    const token = req.cookies?.[SESSION_COOKIE];
    if (token) await deleteSession(ctx.db, token);
    ctx.usage.setUser(req, user?.id ?? null);
    clearSessionCookie(req, reply, ctx.config);
    return reply.redirect('/searchform', 303);
  });
};
