import type { Queryable } from './pool.js';

// The live system_parameters row: running daemons re-read it every poll.

export interface SystemParameters {
  poll_seconds: number;
  heartbeat_seconds: number;
  dead_worker_seconds: number;
  max_attempts: number;
  ingest_defer_seconds: number;
  export_retry_seconds: number;
  /** copy-from-dhs: quiet time before a DHS file without NEXTEND counts as complete. */
  dhs_settle_seconds: number;
  updated_at: Date;
  updated_by: string | null;
}

const PARAM_NAMES = [
  'poll_seconds',
  'heartbeat_seconds',
  'dead_worker_seconds',
  'max_attempts',
  'ingest_defer_seconds',
  'export_retry_seconds',
  'dhs_settle_seconds',
] as const;

export async function getParams(db: Queryable): Promise<SystemParameters> {
  const r = await db.query('SELECT * FROM system_parameters WHERE id = 1');
  return r.rows[0] as SystemParameters;
}

export async function setParam(
  db: Queryable,
  name: string,
  value: string,
  who: string,
): Promise<SystemParameters> {
  if (!(PARAM_NAMES as readonly string[]).includes(name)) {
    throw new Error(`unknown parameter "${name}": expected one of ${PARAM_NAMES.join(', ')}`);
  }
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0)
    throw new Error(`parameter ${name}: "${value}" is not a non-negative number`);
  if (name === 'max_attempts' && !Number.isInteger(n))
    throw new Error(`parameter max_attempts: "${value}" is not an integer`);
  // name is checked against the fixed list above, so it is safe as an identifier.
  const r = await db.query(
    `UPDATE system_parameters SET ${name} = $1, updated_at = now(), updated_by = $2 WHERE id = 1 RETURNING *`,
    [n, who],
  );
  return r.rows[0];
}

export async function paramHistory(db: Queryable, limit = 50) {
  const r = await db.query(
    'SELECT id, changed_at, old, new FROM system_parameters_history ORDER BY id DESC LIMIT $1',
    [limit],
  );
  return r.rows;
}
