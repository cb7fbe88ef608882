import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Config } from '../config/schema.js';
import { cookieOptions, SESSION_COOKIE } from '../users/sessions.js';

// CSRF tokens for every form that POSTs. Two kinds, one check:
//  - logged in: the token is bound to the session (a hash of the session cookie, which is
//    HttpOnly: another site can neither read it nor compute the token);
//  - anonymous (the login form, "download selected"): double-submit, a random cookie whose
//    value the form repeats. Another site cannot read our cookie, so cannot repeat it.
// GET forms (search, usage report filters) change nothing and carry no token: a token in a URL
// would leak into logs and Referer headers.

const CSRF_COOKIE = 'fitsstore_csrf';
export const CSRF_FIELD = 'csrf';

function sessionBound(sessionToken: string): string {
  return createHash('sha256').update(`csrf:${sessionToken}`).digest('base64url');
}

/** The token forms on this page must carry; sets the anonymous cookie when there is none yet. */
export function csrfToken(req: FastifyRequest, reply: FastifyReply, config: Config): string {
  const session = req.cookies?.[SESSION_COOKIE];
  if (session) return sessionBound(session);
  let t = req.cookies?.[CSRF_COOKIE];
  if (!t || !/^[A-Za-z0-9_-]{32,64}$/.test(t)) {
    t = randomBytes(24).toString('base64url');
    reply.setCookie(CSRF_COOKIE, t, cookieOptions(req, config));
    // A second page rendered in the same response cycle must not mint another one.
    (req.cookies as Record<string, string>)[CSRF_COOKIE] = t;
  }
  return t;
}

/** True when the posted form's token matches this request's. */
export function csrfOk(req: FastifyRequest): boolean {
  const body = req.body as Record<string, unknown> | undefined;
  const given = body?.[CSRF_FIELD];
  if (typeof given !== 'string' || given === '') return false;
  const session = req.cookies?.[SESSION_COOKIE];
  const expected = session ? sessionBound(session) : req.cookies?.[CSRF_COOKIE];
  if (!expected) return false;
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}
