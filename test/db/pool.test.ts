import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectClient, isRetryableDbError, withTransaction } from '../../src/db/pool.js';
import { createTestDb, type TestDb } from '../helpers/db.js';
import { waitFor } from '../helpers/wait.js';

// A server restart ends every session. A pool client checked out for a transaction has no
// listener of the pool's; the server's "terminating connection" arriving between two statements
// was an 'error' event nobody handled, and the daemon died (found by the PostgreSQL-restart fault
// test under load: an ingest worker gone mid-outage).

let t: TestDb;
beforeAll(async () => {
  t = await createTestDb('db_pool');
});
afterAll(async () => {
  await t?.drop();
});

describe('withTransaction when the server ends the session between two statements', () => {
  it('fails the transaction with a retryable error instead of killing the process; the pool goes on', async () => {
    const err = await withTransaction(t.db, async (c) => {
      const pid = (await c.query('SELECT pg_backend_pid() AS pid')).rows[0].pid as number;
      const ended = new Promise((resolve) => c.once('end', resolve));
      await t.db.query('SELECT pg_terminate_backend($1)', [pid]);
      await waitFor(
        async () => (await t.db.query('SELECT 1 FROM pg_stat_activity WHERE pid = $1', [pid])).rowCount === 0,
        { what: `backend ${pid} gone` },
      );
      await ended; // the FATAL message has been read by now, with no statement in flight
      await c.query('SELECT 1');
    }).catch((e: Error) => e);
    expect(err).toBeInstanceOf(Error);
    expect(isRetryableDbError(err), String(err)).toBe(true);
    expect((await t.db.query('SELECT 2 AS n')).rows).toEqual([{ n: 2 }]);
  });
});

describe('connectClient (a connection held across other work: backups, migrations)', () => {
  it('a session ended by the server fails the next statement instead of killing the process', async () => {
    const c = await connectClient(t.url);
    try {
      const pid = (await c.query('SELECT pg_backend_pid() AS pid')).rows[0].pid as number;
      const ended = new Promise((resolve) => c.once('end', resolve));
      await t.db.query('SELECT pg_terminate_backend($1)', [pid]);
      await ended;
      const err = await c.query('SELECT 1').catch((e: Error) => e);
      expect(err).toBeInstanceOf(Error);
      expect(isRetryableDbError(err), String(err)).toBe(true);
    } finally {
      await c.end().catch(() => {});
    }
  });
});
