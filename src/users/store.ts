import type { Queryable } from '../db/pool.js';
import { hashPassword } from './password.js';

// Every statement on archiveuser and userprogram. Passwords arrive here in clear only to be
// hashed; nothing returned from this module carries the hash except findForLogin.

export interface WebUser {
  id: number;
  username: string;
  fullname: string | null;
  email: string | null;
  staff: boolean;
  superuser: boolean;
}

export class UserError extends Error {
  override name = 'UserError';
}

const USERNAME_RE = /^[A-Za-z0-9][A-Za-z0-9._@+-]{0,63}$/;

function checkUsername(username: string): string {
  if (!USERNAME_RE.test(username)) {
    throw new UserError(
      `bad username ${JSON.stringify(username)}: 1-64 characters of letters, digits and . _ @ + -, starting with a letter or digit`,
    );
  }
  return username;
}

export interface NewUser {
  username: string;
  password: string;
  fullname?: string | null;
  email?: string | null;
  staff?: boolean;
  superuser?: boolean;
}

export async function createUser(db: Queryable, u: NewUser): Promise<WebUser> {
  checkUsername(u.username);
  const hash = await hashPassword(u.password);
  const r = await db.query(
    `INSERT INTO archiveuser (username, fullname, email, password, staff, superuser)
     VALUES ($1::text, $2::text, $3::text, $4::text, $5::boolean, $6::boolean)
     ON CONFLICT (username) DO NOTHING
     RETURNING id, username, fullname, email, staff, superuser`,
    // A superuser is staff too: the pages only ever ask "staff?".
    [
      u.username,
      u.fullname ?? null,
      u.email ?? null,
      hash,
      Boolean(u.staff || u.superuser),
      Boolean(u.superuser),
    ],
  );
  if (!r.rows[0])
    throw new UserError(
      `user ${u.username} already exists (use "fitsstore user passwd" to change the password)`,
    );
  return r.rows[0];
}

/** Sets a new password hash; returns false when there is no such user. */
export async function setPassword(db: Queryable, username: string, password: string): Promise<boolean> {
  const r = await db.query('UPDATE archiveuser SET password = $2::text WHERE username = $1::text', [
    username,
    await hashPassword(password),
  ]);
  return (r.rowCount ?? 0) > 0;
}

/** Replaces the stored hash (login upgrading an old one), by id. */
export async function replaceHash(db: Queryable, id: number, hash: string): Promise<void> {
  await db.query('UPDATE archiveuser SET password = $2::text WHERE id = $1::bigint', [id, hash]);
}

export async function findForLogin(
  db: Queryable,
  username: string,
): Promise<(WebUser & { password: string | null }) | null> {
  const r = await db.query(
    'SELECT id, username, fullname, email, staff, superuser, password FROM archiveuser WHERE username = $1::text',
    [username],
  );
  return r.rows[0] ?? null;
}

async function findUser(db: Queryable, username: string): Promise<WebUser | null> {
  const r = await db.query(
    'SELECT id, username, fullname, email, staff, superuser FROM archiveuser WHERE username = $1::text',
    [username],
  );
  return r.rows[0] ?? null;
}

export interface Grant {
  program_id?: string | null;
  observation_id?: string | null;
  filename?: string | null;
}

/** PI access to a program, an observation or one file. Granting twice is a no-op (006_web.sql's unique index). */
export async function grant(db: Queryable, username: string, g: Grant): Promise<{ added: boolean }> {
  const set = [g.program_id, g.observation_id, g.filename].filter(
    (v) => v !== undefined && v !== null && v !== '',
  );
  if (set.length !== 1)
    throw new UserError('a grant names exactly one of a program, an observation or a file');
  const user = await findUser(db, username);
  if (!user) throw new UserError(`no such user: ${username}`);
  const r = await db.query(
    `INSERT INTO userprogram (user_id, program_id, observation_id, filename)
     VALUES ($1::bigint, $2::text, $3::text, $4::text) ON CONFLICT DO NOTHING`,
    [user.id, g.program_id || null, g.observation_id || null, g.filename || null],
  );
  return { added: (r.rowCount ?? 0) > 0 };
}

export async function grantsOf(db: Queryable, userId: number): Promise<Required<Grant>[]> {
  const r = await db.query(
    'SELECT program_id, observation_id, filename FROM userprogram WHERE user_id = $1::bigint ORDER BY id',
    [userId],
  );
  return r.rows;
}

export async function listUsers(db: Queryable): Promise<(WebUser & { grants: number; created: Date })[]> {
  const r = await db.query(
    `SELECT u.id, u.username, u.fullname, u.email, u.staff, u.superuser, u.created,
            (SELECT count(*)::int FROM userprogram p WHERE p.user_id = u.id) AS grants
     FROM archiveuser u ORDER BY u.username`,
  );
  return r.rows;
}
