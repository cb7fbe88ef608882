import pg from 'pg';
import { Waker } from '../daemon/sleep.js';

// The one LISTEN connection helper: the queue workers, the header-update worker and the web
// server's answer cache each keep a connection of their own (never a pool slot: a pooled client
// goes back still listening, and a pool may be full exactly when it is needed) that LISTENs on
// their channels. A notification only arrives on a live session, so after a connection loss the
// listener connects again and LISTENs again (at once, then after 250 ms doubling to 1 s, short
// because a restarted PostgreSQL is back within seconds) and tells its user, which must then
// catch up on what it could not hear: the workers re-scan their queue, the answer cache drops
// everything it holds.

export interface ListenOptions {
  /** A connection string, or the settings of a pool (e.g. `pool.options`) to copy. */
  connection: string | pg.ClientConfig;
  channels: readonly string[];
  onNotification: (n: pg.Notification) => void;
  /**
   * Listening (again). Whatever was notified while not listening was missed: resynchronise
   * (re-scan, drop caches) here. May run before the first notification of the new session.
   */
  onListening?: () => void;
  /**
   * No longer listening, or the first attempt failed: called once per outage, not per attempt.
   * Until onListening, notifications are missed.
   */
  onLost?: (err: Error) => void;
}

/** Pauses between reconnection attempts: the first is immediate (a single dropped session). */
const RETRY_MS = [0, 250, 500, 1000];

/** A live, listening session, with the round trip waiting to be sent on it (see sync). */
interface Session {
  client: pg.Client;
  queued: Promise<boolean> | null;
  inflight: Promise<unknown>;
}

export class Listener {
  private session: Session | null = null;
  /** The attempt under way: resolves true once listening, false when it failed. */
  private attempt: Promise<boolean> | null = null;
  private stopped = false;
  private readonly stopping = new AbortController();
  private readonly loop: Promise<void>;

  constructor(private readonly o: ListenOptions) {
    this.loop = this.run();
  }

  get listening(): boolean {
    return this.session !== null;
  }

  /**
   * True when listening, or once the attempt under way succeeds; false when it fails, and at
   * once while waiting to try again (a caller never waits out a back-off).
   */
  async ready(): Promise<boolean> {
    if (this.session) return true;
    return (await this.attempt) ?? false;
  }

  /**
   * One round trip on the listening connection, sent after this call. When it answers, every
   * notification committed before the call has been delivered (PostgreSQL sends pending
   * notifications ahead of a query's answer). Calls made while one waits to be sent share it.
   * False when not listening or when the session was lost before the answer.
   */
  sync(): Promise<boolean> {
    const s = this.session;
    if (!s) return Promise.resolve(false);
    if (s.queued) return s.queued;
    const p = s.inflight.then(async () => {
      s.queued = null; // from here on, a new caller needs a newer round trip
      try {
        await s.client.query('SELECT 1');
        return this.session === s;
      } catch {
        return false; // the client's 'error' event ends the session
      }
    });
    s.queued = p;
    s.inflight = p;
    return p;
  }

  /** Closes the connection and stops reconnecting. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.stopping.abort();
    await this.loop;
  }

  private async run(): Promise<void> {
    const stopped = new Promise<Error>((resolve) =>
      this.stopping.signal.addEventListener('abort', () => resolve(new Error('stopped')), { once: true }),
    );
    let failures = 1; // the immediate retry is for a session lost, not a first attempt failed
    let reported = false;
    const waker = new Waker();
    while (!this.stopped) {
      let listening!: (ok: boolean) => void;
      this.attempt = new Promise((r) => (listening = r));
      const c = new pg.Client(
        typeof this.o.connection === 'string' ? { connectionString: this.o.connection } : this.o.connection,
      );
      // The session ends on the first error or end (an end after an error is the same loss).
      const lost = Promise.race([
        stopped,
        new Promise<Error>((resolve) => {
          c.on('error', resolve);
          c.on('end', () => resolve(new Error('the listening connection ended')));
        }),
      ]);
      const unlessLost = <T>(p: Promise<T>) => Promise.race([p, lost.then((e) => Promise.reject(e))]);
      c.on('notification', (n) => {
        if (!this.stopped) this.o.onNotification(n);
      });
      let err: Error;
      try {
        await unlessLost(c.connect());
        await unlessLost(c.query(this.o.channels.map((ch) => `LISTEN ${c.escapeIdentifier(ch)}`).join('; ')));
        this.session = { client: c, queued: null, inflight: Promise.resolve() };
        const since = Date.now();
        reported = false;
        this.o.onListening?.();
        listening(true);
        err = await lost;
        // A session cut at once, again and again, must not turn into a busy loop.
        if (Date.now() - since > 1000) failures = 0;
      } catch (e) {
        err = e instanceof Error ? e : new Error(String(e));
      }
      listening(false);
      this.session = null;
      this.attempt = null;
      await c.end().catch(() => {});
      if (this.stopped) break;
      if (!reported) {
        reported = true;
        this.o.onLost?.(err);
      }
      await waker.sleep(RETRY_MS[Math.min(failures++, RETRY_MS.length - 1)], this.stopping.signal);
    }
  }
}

/** Starts listening (in the background: see Listener.ready) until stop(). */
export function listen(o: ListenOptions): Listener {
  return new Listener(o);
}
