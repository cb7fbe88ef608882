import { timingSafeEqual } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import type { Config } from '../config/schema.js';
import type { Queryable } from '../db/pool.js';

// Who may have proprietary data, following the Gemini archive's rules (FitsStorage
// utils/userprogram.py): the magic download cookie, staff, released data, engineering data, or a
// PI grant for the program. The user system comes later: it plugs a `sessionUser` resolver in,
// and everything below already works from that user.

/** Cookie carrying config.server.magic_download_cookie (the Gemini archive's name for it). */
const MAGIC_DOWNLOAD_COOKIE = 'gemini_fits_authorization';

/** The header facts access depends on; rows from searchHeaders or the /file/ lookup have them. */
export interface AccessRow {
  release?: Date | string | null;
  engineering?: boolean | null;
  program_id?: string | null;
  observation_id?: string | null;
  /** diskfile.filename or file.name */
  filename?: string | null;
  name?: string | null;
  /** false when the file has no header row at all (not a FITS data file). */
  has_header?: boolean;
  /** PROP_MD: object and position are as proprietary as the data. */
  proprietary_coordinates?: boolean | null;
}

export interface SessionUser {
  id: number;
  staff: boolean;
}

export type SessionResolver = (request: FastifyRequest) => Promise<SessionUser | null>;

/** Constant-time comparison: a secret must not leak through response timing. */
export function secretMatches(given: string | undefined, secret: string): boolean {
  if (!secret || given === undefined) return false;
  const a = Buffer.from(given);
  const b = Buffer.from(secret);
  return a.length === b.length && timingSafeEqual(a, b);
}

/** YYYY-MM-DD of a release value; pg hands `date` columns back as local-midnight Dates. */
export function releaseDay(v: Date | string | null | undefined): string | null {
  if (v === null || v === undefined) return null;
  if (v instanceof Date) {
    const p = (n: number) => String(n).padStart(2, '0');
    return `${v.getFullYear()}-${p(v.getMonth() + 1)}-${p(v.getDate())}`;
  }
  return String(v).slice(0, 10);
}

/**
 * Released when the release date is today (UTC) or earlier. A header without a release date is
 * not released (as at Gemini); a file without any header row has nothing to protect.
 */
export function isReleased(row: AccessRow, now: Date): boolean {
  if (row.has_header === false) return true;
  const day = releaseDay(row.release);
  return day !== null && day <= utcDay(now);
}

/** YYYY-MM-DD of an instant in UTC: the day proprietary periods are counted in. */
export const utcDay = (now: Date): string => now.toISOString().slice(0, 10);

export class Access {
  private resolveSession: SessionResolver = async () => null;
  /** One session lookup per request, however many rows a summary checks. */
  private readonly users = new WeakMap<FastifyRequest, Promise<SessionUser | null>>();

  constructor(
    private readonly config: Config,
    private readonly db: Queryable,
    /** Where "today" comes from for release dates; tests fix it to assert exact days. */
    readonly now: () => Date = () => new Date(),
  ) {}

  /** The hook for the user system: resolves the request's session to a user. */
  setSessionResolver(fn: SessionResolver): void {
    this.resolveSession = fn;
  }

  /** The request's logged-in user, if any (one lookup per request). */
  sessionUser(request: FastifyRequest): Promise<SessionUser | null> {
    let u = this.users.get(request);
    if (!u) {
      u = this.resolveSession(request);
      this.users.set(request, u);
    }
    return u;
  }

  gotMagic(request: FastifyRequest): boolean {
    return secretMatches(request.cookies?.[MAGIC_DOWNLOAD_COOKIE], this.config.server.magic_download_cookie);
  }

  /** May this request download the file behind `row`? */
  async canDownload(request: FastifyRequest, row: AccessRow): Promise<boolean> {
    if (isReleased(row, this.now()) || row.engineering === true) return true;
    if (this.gotMagic(request)) return true;
    const user = await this.sessionUser(request);
    if (!user) return false;
    if (user.staff) return true;
    return this.hasGrant(user.id, row);
  }

  /**
   * May this request see the row's target name and position? Gemini's rule (FitsStorage
   * canhave_coords): always, unless the header says PROP_MD; then on the download's terms.
   */
  async canHaveCoords(request: FastifyRequest, row: AccessRow): Promise<boolean> {
    if (row.proprietary_coordinates !== true) return true;
    return this.canDownload(request, row);
  }

  /** A PI grant: by program, by observation, or by file (userprogram rows). */
  private async hasGrant(userId: number, row: AccessRow): Promise<boolean> {
    const r = await this.db.query(
      `SELECT 1 FROM userprogram WHERE user_id = $1
         AND ((program_id IS NOT NULL AND program_id = $2)
           OR (observation_id IS NOT NULL AND observation_id = $3)
           OR (filename IS NOT NULL AND filename = ANY($4::text[])))
       LIMIT 1`,
      [userId, row.program_id ?? null, row.observation_id ?? null, [row.filename, row.name].filter(Boolean)],
    );
    return (r.rowCount ?? 0) > 0;
  }
}
