import type { FastifyRequest } from 'fastify';
import type { Queryable } from '../../db/pool.js';
import { isReleased, type Access, type AccessRow } from '../access.js';
import { grantsOf, type WebUser } from './store.js';

// Access.canDownload answers for one row at a time (a grant lookup per proprietary row). A result
// table of 500 rows needs the same answer 500 times, so this loads the user's grants once and
// answers in memory. The rules are Access.canDownload's, in the same order (released or
// engineering data, the magic cookie, staff, a PI grant by program, observation or file); the
// web tests check both agree.

export type Permit = (row: AccessRow) => boolean;

export async function downloadPermit(
  req: FastifyRequest,
  access: Access,
  db: Queryable,
  user: WebUser | null,
): Promise<Permit> {
  const open: Permit = () => true;
  if (access.gotMagic(req) || user?.staff) return open;
  const programs = new Set<string>();
  const observations = new Set<string>();
  const files = new Set<string>();
  if (user) {
    for (const g of await grantsOf(db, user.id)) {
      if (g.program_id) programs.add(g.program_id);
      if (g.observation_id) observations.add(g.observation_id);
      if (g.filename) files.add(g.filename);
    }
  }
  const now = access.now();
  return (row) =>
    isReleased(row, now) ||
    row.engineering === true ||
    (row.program_id != null && programs.has(row.program_id)) ||
    (row.observation_id != null && observations.has(row.observation_id)) ||
    (row.filename != null && files.has(row.filename)) ||
    (row.name != null && files.has(row.name));
}
