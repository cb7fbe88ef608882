import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listen, type Listener } from '../../src/db/listen.js';
import { createTestDb, type TestDb } from '../helpers/db.js';
import { waitFor } from '../helpers/wait.js';

let t: TestDb;
beforeAll(async () => {
  t = await createTestDb('listen');
});
afterAll(async () => t?.drop());

/** A listener whose backend the test can find (and terminate) by its application_name, with what it reported. */
function listener(name: string, channels = ['listen_test']) {
  const heard: string[] = [];
  const events: string[] = [];
  const l: Listener = listen({
    connection: { connectionString: t.url, application_name: name },
    channels,
    onNotification: (n) => heard.push(`${n.channel}:${n.payload}`),
    onListening: () => events.push('listening'),
    onLost: () => events.push('lost'),
  });
  return { l, heard, events };
}

const notify = (channel: string, payload: string) =>
  t.db.query('SELECT pg_notify($1::text, $2::text)', [channel, payload]);

const backends = async (name: string) =>
  (await t.db.query('SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name = $1', [name]))
    .rows[0].n as number;

describe('the LISTEN helper', () => {
  it('hears every channel it was given, and a sync round trip delivers what was committed before it', async () => {
    const { l, heard, events } = listener('listen-channels', ['listen_a', 'listen_b']);
    try {
      expect(await l.ready()).toBe(true);
      expect(events).toEqual(['listening']);
      await notify('listen_a', '1');
      await notify('listen_b', '2');
      await notify('listen_other', '3');
      // Committed, and 7 MB still on its way to the listener: the round trip arrives after it.
      await t.db.query(
        `SELECT pg_notify('listen_b', i::text || repeat('x', 7000)) FROM generate_series(1, 1000) AS i`,
      );
      expect(await l.sync()).toBe(true);
      expect(heard.slice(0, 2)).toEqual(['listen_a:1', 'listen_b:2']);
      expect(heard).toHaveLength(1002);
    } finally {
      await l.stop();
    }
  });

  it('after its backend is terminated, connects again, LISTENs again and hears the next NOTIFY', async () => {
    const { l, heard, events } = listener('listen-terminated');
    try {
      expect(await l.ready()).toBe(true);
      const killed = await t.db.query(
        `SELECT pg_terminate_backend(pid) AS ok FROM pg_stat_activity WHERE application_name = 'listen-terminated'`,
      );
      expect(killed.rows).toEqual([{ ok: true }]);
      // The user hears of the loss, then of listening again: the cue to resynchronise.
      await waitFor(() => events.length >= 3, { what: () => `lost, then listening again: ${events}` });
      expect(events).toEqual(['listening', 'lost', 'listening']);
      expect(await l.ready()).toBe(true);
      await notify('listen_test', 'after');
      await waitFor(() => heard.includes('listen_test:after'), {
        what: 'the NOTIFY sent after the reconnect',
      });
    } finally {
      await l.stop();
    }
  });

  it('sync answers false while not listening, and stop() closes the connection for good', async () => {
    const { l, heard, events } = listener('listen-stopped');
    expect(await l.ready()).toBe(true);
    expect(await backends('listen-stopped')).toBe(1);
    await l.stop();
    expect(l.listening).toBe(false);
    expect(await l.sync()).toBe(false);
    expect(await l.ready()).toBe(false);
    await notify('listen_test', 'late');
    expect(await backends('listen-stopped')).toBe(0);
    expect(heard).toEqual([]);
    expect(events).toEqual(['listening']);
  });

  it('a server that cannot be reached is reported once, not at every attempt, and stop() ends the retries', async () => {
    // Something on the port that hangs up on every connection: each attempt fails, and is counted.
    let attempts = 0;
    const server = net.createServer((s) => {
      attempts++;
      s.destroy();
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    const port = (server.address() as net.AddressInfo).port;
    const lost: string[] = [];
    const l = listen({
      connection: `postgres://postgres@127.0.0.1:${port}/postgres`,
      channels: ['listen_test'],
      onNotification: () => {},
      onLost: (e) => lost.push(e.message),
    });
    try {
      expect(await l.ready()).toBe(false);
      await waitFor(() => attempts >= 3, { what: 'three attempts to connect' });
      expect(lost).toHaveLength(1);
    } finally {
      await l.stop();
      await new Promise((r) => server.close(r));
    }
  });
});
