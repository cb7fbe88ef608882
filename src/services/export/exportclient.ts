import http from 'node:http';
import https from 'node:https';
import type { Readable } from 'node:stream';

// The export daemon's side of the wire: small node:http wrappers, because a streamed upload of a
// multi-GB file needs real back-pressure and an inactivity timeout (no progress for N seconds),
// not a deadline for the whole transfer. Keep-alive agents reuse connections across files.

export class DestinationError extends Error {
  override name = 'DestinationError';
  constructor(
    message: string,
    readonly url: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

const agents = { http: new http.Agent({ keepAlive: true }), https: new https.Agent({ keepAlive: true }) };

export interface RequestOptions {
  /** Abort when no bytes move for this long (ms). */
  idleTimeoutMs: number;
  cookies?: Record<string, string>;
  signal?: AbortSignal;
}

export interface HttpResult {
  status: number;
  body: string;
}

function cookieHeader(cookies?: Record<string, string>): string | undefined {
  const parts = Object.entries(cookies ?? {})
    .filter(([, v]) => v !== '')
    .map(([k, v]) => `${k}=${encodeURIComponent(v)}`);
  return parts.length ? parts.join('; ') : undefined;
}

/** Reads at most this much of an answer: replies are short JSON documents or error pages. */
const MAX_REPLY = 16 * 1024 * 1024;

function request(method: string, url: string, opts: RequestOptions, body?: Readable): Promise<HttpResult> {
  return new Promise((resolve, reject) => {
    const u = new URL(url);
    const lib = u.protocol === 'https:' ? https : http;
    const headers: Record<string, string> = { accept: 'application/json' };
    const cookie = cookieHeader(opts.cookies);
    if (cookie) headers.cookie = cookie;
    if (body) headers['content-type'] = 'application/octet-stream';
    let settled = false;
    const done = (err: Error | null, res?: HttpResult) => {
      if (settled) return;
      settled = true;
      opts.signal?.removeEventListener('abort', onAbort);
      if (err)
        reject(
          err instanceof DestinationError
            ? err
            : new DestinationError(`${method} ${url}: ${err.message}`, url, { cause: err }),
        );
      else resolve(res!);
    };
    const req = lib.request(u, {
      method,
      headers,
      agent: u.protocol === 'https:' ? agents.https : agents.http,
    });
    const onAbort = () => req.destroy(new Error('aborted (shutting down)'));
    opts.signal?.addEventListener('abort', onAbort, { once: true });
    req.setTimeout(opts.idleTimeoutMs, () => {
      req.destroy(new Error(`timed out: no progress for ${Math.round(opts.idleTimeoutMs / 1000)} s`));
    });
    req.on('response', (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (c: Buffer) => {
        size += c.length;
        if (size <= MAX_REPLY) chunks.push(c);
      });
      res.on('end', () => {
        done(null, { status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') });
        // An answer before the whole body went out: this connection cannot be reused.
        if (body && !req.writableFinished) req.destroy();
      });
      res.on('error', (e) => done(e));
      // The server answered before taking the whole body (403, 400): stop sending.
      if (body && !body.readableEnded) {
        body.unpipe(req);
        body.destroy();
      }
    });
    req.on('error', (e) => done(e));
    if (body) {
      body.on('error', (e) => {
        // The local side failed (store read, compressor): not the destination's fault.
        if (!settled) {
          settled = true;
          opts.signal?.removeEventListener('abort', onAbort);
          req.destroy();
          reject(e);
        }
      });
      body.pipe(req);
    } else {
      req.end();
    }
  });
}

export function getText(url: string, opts: RequestOptions): Promise<HttpResult> {
  return request('GET', url, opts);
}

export function postStream(url: string, body: Readable, opts: RequestOptions): Promise<HttpResult> {
  return request('POST', url, opts, body);
}
