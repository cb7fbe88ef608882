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

/**
 * Pauses before reconnecting: none after a session is lost (a single dropped session is back at
 * once), then growing. ready() cuts a pause short for a caller that is waiting.
 */
const RETRY_MS = [0, 250, 500, 1000];

/** A live, listening session, with the round trip waiting to be sent on it (see sync). */
interface Session {
  client: pg.Client;
  queued: Promise<boolean> | null;
  inflight: Promise<unknown>;
}

/** The outcome of a connection attempt, awaited by ready(). */
class Attempt {
  settle!: (listening: boolean) => void;
  readonly outcome = new Promise<boolean>((r) => (this.settle = r));
}

export class Listener {
  private session: Session | null = null;
  /** The attempt under way, or the next one while waiting to try again. */
  private attempt = new Attempt();
  private connecting = false;
  private stopped = false;
  private readonly stopping = new AbortController();
  private readonly waker = new Waker();
  private readonly loop: Promise<void>;

  constructor(private readonly o: ListenOptions) {
    // Should the loop ever end by itself (a callback that throws), callers are not left waiting.
    this.loop = this.run().finally(() => {
      this.stopped = true;
      this.attempt.settle(false);
    });
  }

  get listening(): boolean {
    return this.session !== null;
  }

  /**
   * True when listening; otherwise the outcome of the attempt under way, or of one made at once
   * (the caller does not wait out the back-off, as the answer cache never waited before it
   * answered a request uncached). False once stopped.
   */
  async ready(): Promise<boolean> {
    if (this.session) return true;
    if (this.stopped) return false;
    const next = this.attempt.outcome;
    if (!this.connecting) this.waker.wake();
    return next;
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
    let failures = 1; // the immediate retry is for a session lost, not a first attempt failed
    let reported = false;
    while (!this.stopped) {
      const attempt = this.attempt;
      this.connecting = true;
      const c = new pg.Client(
        typeof this.o.connection === 'string' ? { connectionString: this.o.connection } : this.o.connection,
      );
      // The session ends on the first error or end (an end after an error is the same loss), or
      // on stop(). Per attempt, and removed after it: a long outage must not pile up listeners.
      let onStop = () => {};
      const lost = new Promise<Error>((resolve) => {
        c.on('error', resolve);
        c.on('end', () => resolve(new Error('the listening connection ended')));
        onStop = () => resolve(new Error('stopped'));
        this.stopping.signal.addEventListener('abort', onStop, { once: true });
      });
      const unlessLost = <T>(p: Promise<T>) => Promise.race([p, lost.then((e) => Promise.reject(e))]);
      c.on('notification', (n) => {
        if (!this.stopped) this.o.onNotification(n);
      });
      let err: Error;
      try {
        await unlessLost(c.connect());
        await unlessLost(c.query(this.o.channels.map((ch) => `LISTEN ${c.escapeIdentifier(ch)}`).join('; ')));
        this.session = { client: c, queued: null, inflight: Promise.resolve() };
        this.connecting = false;
        const since = Date.now();
        reported = false;
        this.o.onListening?.();
        attempt.settle(true);
        err = await lost;
        // A session cut at once, again and again, must not turn into a busy loop.
        if (Date.now() - since > 1000) failures = 0;
      } catch (e) {
        err = e instanceof Error ? e : new Error(String(e));
      }
      this.stopping.signal.removeEventListener('abort', onStop);
      this.session = null;
      this.connecting = false;
      this.attempt = new Attempt(); // callers from now on wait for the next attempt
      attempt.settle(false); // no-op when it had succeeded
      await c.end().catch(() => {});
      if (this.stopped) break;
      if (!reported) {
        reported = true;
        this.o.onLost?.(err);
      }
      await this.waker.sleep(RETRY_MS[Math.min(failures++, RETRY_MS.length - 1)], this.stopping.signal);
    }
  }
}

/** Starts listening (in the background: see Listener.ready) until stop(). */
export function listen(o: ListenOptions): Listener {
  return new Listener(o);
}
