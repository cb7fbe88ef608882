import pg from 'pg';

// bigint (int8) ids and counts come back as JS numbers: ids stay far below 2^53.
pg.types.setTypeParser(20, (v) => Number(v));

export type Db = pg.Pool;
export type DbClient = pg.PoolClient;
export type Queryable = pg.Pool | pg.PoolClient | pg.Client;

export function createPool(url: string, max = 10): Db {
  const pool = new pg.Pool({ connectionString: url, max, idleTimeoutMillis: 30_000 });
  // An idle client losing its connection (PostgreSQL restart) must not crash the process.
  pool.on('error', () => {});
  return pool;
}

/**
 * A connection of its own (not from a pool), for work that holds one across other I/O: a backup
 * copying files, a rehearsal waiting on pg_dump, migrations. A server that ends the session
 * meanwhile (a restart) must fail the next statement, not raise an 'error' event nobody handles,
 * which would end the process with a stack trace.
 */
export async function connectClient(config: string | pg.ClientConfig): Promise<pg.Client> {
  const c = new pg.Client(typeof config === 'string' ? { connectionString: config } : config);
  c.on('error', () => {}); // the next query on this client rejects with the cause
  await c.connect();
  return c;
}

/** Error codes worth retrying: serialization failure, deadlock, connection loss, server restarting. */
const RETRYABLE = new Set(['40001', '40P01', '57P01', '57P02', '57P03', '08000', '08003', '08006', '08001']);

export function isRetryableDbError(e: unknown): boolean {
  const err = e as { code?: string; message?: string };
  if (err?.code && RETRYABLE.has(err.code)) return true;
  if (err?.code === 'ECONNREFUSED' || err?.code === 'ECONNRESET' || err?.code === 'EPIPE') return true;
  return /Connection terminated|connection timeout|Client has encountered a connection error/i.test(
    err?.message ?? '',
  );
}

export interface TransactionOptions {
  /**
   * Commit without waiting for the WAL flush. Only for work that a crash may safely undo because
   * the queue row that asked for it is still in the WAL after it (see services/ingest/ingest.ts).
   */
  asyncCommit?: boolean;
}

export async function withTransaction<T>(
  db: Db,
  fn: (c: DbClient) => Promise<T>,
  opts: TransactionOptions = {},
): Promise<T> {
  const client = await db.connect();
  // Checked out, the client has no listener of the pool's: a server that ends the session between
  // two statements (a restart's "terminating connection") emitted an 'error' nobody handled, and
  // the process died. Kept here instead: the next statement fails (a retryable error), and the
  // client is discarded on release rather than returned to the pool.
  let lost: Error | undefined;
  const onError = (e: Error) => (lost ??= e);
  client.on('error', onError);
  try {
    // One round trip either way (a simple-protocol query may hold two statements).
    await client.query(opts.asyncCommit ? 'BEGIN; SET LOCAL synchronous_commit = off' : 'BEGIN');
    const result = await fn(client);
    await client.query('COMMIT');
    return result;
  } catch (e) {
    if (!lost) await client.query('ROLLBACK').catch(() => {});
    throw e;
  } finally {
    client.off('error', onError);
    client.release(lost);
  }
}
