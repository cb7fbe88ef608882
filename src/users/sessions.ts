import { createHash, randomBytes } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Config } from '../config/schema.js';
import type { Queryable } from '../db/pool.js';
import type { WebUser } from './store.js';

// Login sessions. The browser holds a random token; the database holds only its SHA-256, so a
// copy of usersession (a backup, a leaked dump) cannot be replayed as a cookie. A plain hash is
// enough here (unlike passwords): the token has 256 bits of entropy, nothing to guess.

/** The Gemini archive's cookie name, so its tools recognise a logged-in session. */
export const SESSION_COOKIE = 'gemini_archive_session';
const SESSION_DAYS = 30;

export function tokenHash(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

export async function createSession(db: Queryable, userId: number): Promise<string> {
  const token = randomBytes(32).toString('base64url');
  // Expired sessions of this user go at the same time: the table never grows without bound.
  await db.query('DELETE FROM usersession WHERE user_id = $1::bigint AND expires < now()', [userId]);
  await db.query(
    `INSERT INTO usersession (user_id, token_hash, expires)
     VALUES ($1::bigint, $2::text, now() + make_interval(days => $3::int))`,
    [userId, tokenHash(token), SESSION_DAYS],
  );
  return token;
}

async function userOfSession(db: Queryable, token: string): Promise<WebUser | null> {
  const r = await db.query(
    `SELECT u.id, u.username, u.fullname, u.email, u.staff, u.superuser
     FROM usersession s JOIN archiveuser u ON u.id = s.user_id
     WHERE s.token_hash = $1::text AND s.expires > now()`,
    [tokenHash(token)],
  );
  return r.rows[0] ?? null;
}

export async function deleteSession(db: Queryable, token: string): Promise<void> {
  await db.query('DELETE FROM usersession WHERE token_hash = $1::text', [tokenHash(token)]);
}

/**
 * Cookies are Secure when the site is served over https: the request came in over TLS, or the
 * configured public URL says https (TLS ending at a proxy in front of us).
 */
function secureCookies(req: FastifyRequest, config: Config): boolean {
  return req.protocol === 'https' || (config.server.public_url ?? '').startsWith('https:');
}

export function cookieOptions(req: FastifyRequest, config: Config, maxAgeSeconds?: number) {
  return {
    path: '/',
    httpOnly: true, // scripts (an injected one included) never see the token
    sameSite: 'lax' as const, // sent on top-level navigation from elsewhere, not on cross-site POSTs
    secure: secureCookies(req, config),
    ...(maxAgeSeconds === undefined ? {} : { maxAge: maxAgeSeconds }),
  };
}

export function setSessionCookie(
  req: FastifyRequest,
  reply: FastifyReply,
  config: Config,
  token: string,
): void {
  reply.setCookie(SESSION_COOKIE, token, cookieOptions(req, config, SESSION_DAYS * 86_400));
}

export function clearSessionCookie(req: FastifyRequest, reply: FastifyReply, config: Config): void {
  reply.clearCookie(SESSION_COOKIE, cookieOptions(req, config));
}

/**
 * The request's user, looked up at most once per request (pages ask several times: the
 * navigation bar, the access checks, the usage log).
 */
export function sessionResolver(db: Queryable): (req: FastifyRequest) => Promise<WebUser | null> {
  const cache = new WeakMap<FastifyRequest, Promise<WebUser | null>>();
  return (req) => {
    let p = cache.get(req);
    if (!p) {
      const token = req.cookies?.[SESSION_COOKIE];
      p = token ? userOfSession(db, token) : Promise.resolve(null);
      cache.set(req, p);
    }
    return p;
  };
}
