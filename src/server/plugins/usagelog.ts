import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Db, Queryable } from '../../db/pool.js';
import type { Logger } from '../../log/logger.js';
import { SESSION_COOKIE, tokenHash } from '../../users/sessions.js';

// Every request leaves a usagelog row (the Gemini archive's usage log: who asked for what, what
// they got). Writing a row per request on the request path would cost a round trip each, so rows
// are buffered in memory and written in batches (every FLUSH_MS, or at once past MAX_ROWS), and on
// close. The request itself only takes a timestamp and adds one listener.
//
// Ids: querylog and downloadlog rows point at their usagelog row, and an error page shows the
// row's id as its reference number. An error takes its id from usagelog_id_seq at once (rare, off
// the hot path); every other row gets one from the same sequence inside the batch insert, which
// writes the query and download logs beside their rows. The user is filled in at flush time too,
// from the session cookie's hash, unless a route (login, logout) said who it was.
//
// Cost (bench/usagelog.bench.ts): ~0.2 ms of CPU per request, nearly all of it the batched insert
// (node and PostgreSQL); the request itself is not measurably slower.

const FLUSH_MS = 100;
const MAX_ROWS = 200;
/** Rows kept while the database is unreachable; past this the oldest are dropped (and counted). */
const MAX_BUFFERED = 20_000;
const MAX_TEXT = 4000;

export interface QueryLogRow {
  summarytype: string;
  selection: string;
  numresults: number | null;
  query_started: Date;
  query_completed: Date | null;
  notes?: string | null;
}

export interface DownloadLogRow {
  selection: string;
  numresults: number | null;
  sending_files: boolean;
  numdenied: number | null;
  download_started: Date;
  download_completed: Date | null;
  notes?: string | null;
}

interface Entry {
  id: number | null;
  utdatetime: Date;
  userId: number | null;
  tokenHash: string | null;
  ip: string;
  userAgent: string | null;
  referrer: string | null;
  method: string;
  uri: string;
  this: string;
  status: number;
  bytes: number | null;
  notes: string[];
  bytesAtStart: number;
  querylog: QueryLogRow[];
  downloadlog: DownloadLogRow[];
  done: boolean;
}

const cut = (s: string | undefined | null) =>
  s == null ? null : s.length > MAX_TEXT ? s.slice(0, MAX_TEXT) : s;

/** The first element of the path: /searchform/GN-2019A-Q-1 → "searchform". */
export function firstPathElement(url: string): string {
  const path = url.split('?', 1)[0];
  const i = path.indexOf('/', 1);
  return decodeSafe(path.slice(1, i < 0 ? undefined : i));
}

function decodeSafe(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

/** Error text for `notes`: the stack, and the stacks of its causes. */
export function errorNotes(e: unknown): string {
  const parts: string[] = [];
  let cur: unknown = e;
  for (let depth = 0; cur !== undefined && cur !== null && depth < 5; depth++) {
    const err = cur as Error;
    parts.push(err instanceof Error ? (err.stack ?? `${err.name}: ${err.message}`) : String(cur));
    cur = err instanceof Error ? err.cause : undefined;
  }
  return parts.join('\nCaused by: ');
}

export class UsageLog {
  private readonly entries = new WeakMap<FastifyRequest, Entry>();
  private buffer: Entry[] = [];
  private timer: NodeJS.Timeout | null = null;
  private flushing: Promise<void> = Promise.resolve();
  private dropped = 0;
  private closed = false;
  private open = 0;

  constructor(
    private readonly db: Db,
    private readonly log: Logger,
    private readonly opts: { flushMs?: number; maxRows?: number } = {},
  ) {}

  /** Starts the row of a request (onRequest). */
  begin(req: FastifyRequest, reply: FastifyReply): void {
    const h = req.headers;
    const socket = req.raw.socket as { bytesWritten?: number } | undefined;
    const token = req.cookies?.[SESSION_COOKIE];
    const e: Entry = {
      id: null,
      utdatetime: new Date(),
      userId: null,
      tokenHash: token ? tokenHash(token) : null,
      ip: req.ip,
      userAgent: cut(h['user-agent']),
      referrer: cut(h.referer),
      method: req.method,
      uri: cut(req.url)!,
      this: firstPathElement(req.url),
      status: 0,
      bytes: null,
      notes: [],
      bytesAtStart: socket?.bytesWritten ?? 0,
      querylog: [],
      downloadlog: [],
      done: false,
    };
    this.entries.set(req, e);
    this.open++;
    // 'close' comes once the response is sent or the client went away mid-way (a cancelled
    // download): either way the request is over and its row can be written.
    reply.raw.once('close', () => this.end(req, reply));
  }

  private end(req: FastifyRequest, reply: FastifyReply): void {
    const e = this.entries.get(req);
    if (!e || e.done) return;
    e.done = true;
    this.open--;
    const res = reply.raw;
    e.status = res.statusCode;
    const socket = req.raw.socket as { bytesWritten?: number } | undefined;
    const length = Number(res.getHeader('content-length'));
    // Bytes on the wire (headers included) where a real socket counts them; else the declared length.
    e.bytes =
      typeof socket?.bytesWritten === 'number' && socket.bytesWritten >= e.bytesAtStart
        ? socket.bytesWritten - e.bytesAtStart
        : Number.isFinite(length)
          ? length
          : null;
    if (!res.writableFinished) e.notes.push('client closed the connection before the response was complete');
    for (const d of e.downloadlog) d.download_completed ??= new Date();
    this.push(e, e.status >= 500);
  }

  /** Who the request was, when a route knows better than the cookie (login, logout). */
  setUser(req: FastifyRequest, userId: number | null): void {
    const e = this.entries.get(req);
    if (e) {
      e.userId = userId;
      e.tokenHash = null;
    }
  }

  note(req: FastifyRequest, text: string): void {
    this.entries.get(req)?.notes.push(text);
  }

  /** The row's id now: the reference number an error page gives. */
  async reserveId(req: FastifyRequest): Promise<number | null> {
    const e = this.entries.get(req);
    if (!e) return null;
    if (e.id === null) {
      const r = await this.db.query(`SELECT nextval('usagelog_id_seq')::bigint AS id`);
      e.id = Number(r.rows[0].id);
    }
    return e.id;
  }

  queryLog(req: FastifyRequest, row: QueryLogRow): void {
    this.entries.get(req)?.querylog.push(row);
  }

  /** The row is kept by reference: fill in counts and completion as the download goes. */
  downloadLog(req: FastifyRequest, row: DownloadLogRow): DownloadLogRow {
    this.entries.get(req)?.downloadlog.push(row);
    return row;
  }

  private push(e: Entry, urgent: boolean): void {
    if (this.buffer.length >= MAX_BUFFERED) {
      this.buffer.shift();
      this.dropped++;
    }
    this.buffer.push(e);
    if (urgent || this.closed || this.buffer.length >= (this.opts.maxRows ?? MAX_ROWS)) void this.flush();
    else this.timer ??= setTimeout(() => void this.flush(), this.opts.flushMs ?? FLUSH_MS);
  }

  /** Writes what is buffered; one flush at a time, in order. */
  flush(): Promise<void> {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = null;
    }
    this.flushing = this.flushing.then(async () => {
      while (this.buffer.length) {
        const batch = this.buffer.splice(0, 1000);
        try {
          await insertBatch(this.db, batch);
        } catch (err) {
          // The database is away: keep the rows for the next flush (bounded), and say so once per batch.
          this.log.warn(
            { err: (err as Error).message, rows: batch.length },
            'usage log: write failed; will retry',
          );
          if (!this.closed) {
            this.buffer.unshift(...batch.slice(0, MAX_BUFFERED - this.buffer.length));
            this.timer ??= setTimeout(() => void this.flush(), 5000);
          }
          return;
        }
      }
      if (this.dropped) {
        this.log.warn(
          { dropped: this.dropped },
          'usage log: rows dropped while the database was unreachable',
        );
        this.dropped = 0;
      }
    });
    return this.flushing;
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.flush();
  }

  /** Rows waiting to be written (tests, benchmarks). */
  get pending(): number {
    return this.buffer.length;
  }

  /**
   * Requests begun whose row is not buffered yet. A client can have a whole response before the
   * server's 'close' event comes: tests wait for this to be 0 rather than for a guessed moment.
   */
  get inFlight(): number {
    return this.open;
  }
}

// One statement per batch, whatever it holds: the rows travel as one JSON document (JSON.stringify
// is native and fast; building 13 array parameters in JS was most of the flush's cost), ids come
// from the sequence for rows that have none yet, and the query and download logs go in beside
// their usagelog rows. Foreign keys are checked at the end of the statement, when the parents
// exist. One statement is atomic: no transaction round trips.
const INSERT_BATCH = `
WITH t AS MATERIALIZED (
  SELECT COALESCE(t.id, nextval('usagelog_id_seq')) AS uid, t.*
  FROM json_to_recordset($1::json) AS t(id bigint, utdatetime timestamptz, user_id bigint, token_hash text, ip text,
       ua text, ref text, method text, uri text, this text, status int, bytes bigint, notes text, q json, d json)
), u AS (
  INSERT INTO usagelog (id, utdatetime, user_id, ip_address, user_agent, referrer, method, uri, this, status, bytes, notes)
  SELECT t.uid, t.utdatetime, COALESCE(t.user_id, s.user_id), t.ip, t.ua, t.ref, t.method, t.uri, t.this, t.status,
         t.bytes, t.notes
  FROM t LEFT JOIN usersession s ON s.token_hash = t.token_hash
), q AS (
  INSERT INTO querylog (usagelog_id, summarytype, selection, numresults, query_started, query_completed, notes)
  SELECT t.uid, x.summarytype, x.selection, x.numresults, x.query_started, x.query_completed, x.notes
  FROM t, json_to_recordset(t.q) AS x(summarytype text, selection text, numresults int, query_started timestamptz,
       query_completed timestamptz, notes text)
  WHERE t.q IS NOT NULL
)
INSERT INTO downloadlog (usagelog_id, selection, numresults, sending_files, numdenied, download_started,
                         download_completed, notes)
SELECT t.uid, x.selection, x.numresults, x.sending_files, x.numdenied, x.download_started, x.download_completed, x.notes
FROM t, json_to_recordset(t.d) AS x(selection text, numresults int, sending_files boolean, numdenied int,
     download_started timestamptz, download_completed timestamptz, notes text)
WHERE t.d IS NOT NULL`;

async function insertBatch(db: Queryable, batch: Entry[]): Promise<void> {
  const doc = batch.map((e) => ({
    id: e.id,
    utdatetime: e.utdatetime,
    user_id: e.userId,
    token_hash: e.tokenHash,
    ip: e.ip,
    ua: e.userAgent,
    ref: e.referrer,
    method: e.method,
    uri: e.uri,
    this: e.this,
    status: e.status,
    bytes: e.bytes,
    notes: e.notes.length ? e.notes.join('\n\n') : null,
    q: e.querylog.length ? e.querylog : null,
    d: e.downloadlog.length ? e.downloadlog : null,
  }));
  await db.query(INSERT_BATCH, [JSON.stringify(doc)]);
}

/**
 * Hooks the usage log into the app: a row per request, written in batches, flushed on close.
 * Root-context hooks: they reach every route and the 404 handler (registerSite calls this first).
 */
export function registerUsageLog(app: FastifyInstance, usage: UsageLog): void {
  app.addHook('onRequest', (req, reply, done) => {
    usage.begin(req, reply);
    done();
  });
  app.addHook('onClose', async () => {
    await usage.close();
  });
}
