import type { FastifyRequest } from 'fastify';
import type { Queryable } from '../db/pool.js';
import type { CoordsScope } from '../gemini/selection/index.js';
import { isReleased, type Access, type AccessRow } from './access.js';
import { grantsOf } from '../users/store.js';

// Access.canDownload answers for one row at a time (a grant lookup per proprietary row). A result
// table of 500 rows needs the same answer 500 times, so this loads the user's grants once and
// answers in memory. The rules are Access.canDownload's, in the same order (released or
// engineering data, the magic cookie, staff, a PI grant by program, observation or file); the
// web tests check both agree. The same grants, as SQL parameters, keep searches by target or
// position from matching rows whose metadata the requester may not see (CoordsScope).

export type Permit = (row: AccessRow) => boolean;

/** What one request may have: its download rule, its metadata rule, and the latter for SQL. */
export interface Requester {
  /** May download the file (and see everything about it). */
  permit: Permit;
  /** May see the row's object, position and other coordinate-like fields. */
  coordsShown: Permit;
  /** The same as coordsShown, for selectionToSql. */
  coords: CoordsScope;
}

const utcDay = (now: Date) => now.toISOString().slice(0, 10);

export async function requester(
  req: FastifyRequest,
  access: Access,
  db: Queryable,
  user?: { id: number; staff: boolean } | null,
): Promise<Requester> {
  const who = user === undefined ? await access.sessionUser(req) : user;
  if (access.gotMagic(req) || who?.staff) {
    const open: Permit = () => true;
    return { permit: open, coordsShown: open, coords: 'all' };
  }
  const programs = new Set<string>();
  const observations = new Set<string>();
  const files = new Set<string>();
  if (who) {
    for (const g of await grantsOf(db, who.id)) {
      if (g.program_id) programs.add(g.program_id);
      if (g.observation_id) observations.add(g.observation_id);
      if (g.filename) files.add(g.filename);
    }
  }
  const now = access.now();
  const permit: Permit = (row) =>
    isReleased(row, now) ||
    row.engineering === true ||
    (row.program_id != null && programs.has(row.program_id)) ||
    (row.observation_id != null && observations.has(row.observation_id)) ||
    (row.filename != null && files.has(row.filename)) ||
    (row.name != null && files.has(row.name));
  return {
    permit,
    coordsShown: (row) => row.proprietary_coordinates !== true || permit(row),
    coords: {
      today: utcDay(now),
      programs: [...programs],
      observations: [...observations],
      files: [...files],
    },
  };
}

export async function downloadPermit(
  req: FastifyRequest,
  access: Access,
  db: Queryable,
  user: { id: number; staff: boolean } | null,
): Promise<Permit> {
  return (await requester(req, access, db, user)).permit;
}
