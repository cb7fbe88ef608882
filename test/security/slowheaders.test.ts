import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PAST, startSite, type Site } from '../web/site.js';

// A slow-header attack (slowloris): 1,000 connections from one address, each sending its request
// headers a byte at a time and never finishing them. Before the fix the server held every one
// open forever. Now the connections past the per-address cap are closed at once, the rest when
// the header timeout runs out, and meanwhile normal requests from elsewhere all answer.

let s: Site;
beforeAll(async () => {
  s = await startSite('sec_slowheaders', {
    config: { server: { headers_timeout_seconds: 2, max_connections_per_ip: 50 } },
  });
  await s.ingest({ date: '20240701', serial: 1, release: PAST });
});
afterAll(async () => {
  await s?.close();
});

describe('a slow-header attack', () => {
  it('1,000 connections are shed while 100 normal /jsonsummary requests all succeed', async () => {
    const { port } = new URL(s.url);
    // The attacker: another loopback address, so the cap (per address) is the attacker's alone.
    const attackers: net.Socket[] = [];
    let closed = 0;
    const opened = Promise.all(
      Array.from(
        { length: 1000 },
        () =>
          new Promise<void>((resolve) => {
            const sock = net.connect({ host: '127.0.0.1', port: Number(port), localAddress: '127.0.0.2' });
            attackers.push(sock);
            sock.on('error', () => {});
            sock.on('close', () => closed++);
            sock.on('connect', () => {
              sock.write('G');
              resolve();
            });
            sock.on('close', () => resolve());
          }),
      ),
    );
    await opened;
    // Keep dribbling header bytes on whatever is still open.
    const dribble = setInterval(() => {
      for (const a of attackers) if (!a.destroyed) a.write('E');
    }, 200);
    try {
      const started = Date.now();
      // Normal users: ten at a time (a browser opens a handful of connections, not a hundred).
      const answers: { status: number; n: number }[] = [];
      await Promise.all(
        Array.from({ length: 10 }, async () => {
          for (let i = 0; i < 10; i++) {
            const r = await fetch(`${s.url}/jsonsummary/20240701`);
            answers.push({ status: r.status, n: ((await r.json()) as unknown[]).length });
          }
        }),
      );
      expect(answers.filter((a) => a.status === 200 && a.n === 1)).toHaveLength(100);
      expect(Date.now() - started).toBeLessThan(30_000);
      // Past the cap, closed at once; the rest by the header timeout.
      expect(closed).toBeGreaterThanOrEqual(950);
      const deadline = Date.now() + 15_000;
      while (closed < 1000 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
      expect(closed).toBe(1000);
    } finally {
      clearInterval(dribble);
      for (const a of attackers) a.destroy();
    }
  });
});
