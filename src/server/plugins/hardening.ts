import type { Socket } from 'node:net';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Config } from '../../config/schema.js';

// What keeps the server standing when it is tried as an outsider would:
//  - timeouts on headers, whole requests and idle keep-alive connections, checked every second
//    (Node's default check runs every 30 s), and a cap on open connections per client address:
//    a thousand connections sending headers a byte at a time are closed, not held;
//  - text fields must be text: a NUL or a malformed UTF-8 sequence in the URL or a form is a
//    400 that says so (not a 500 from deeper down);
//  - without server.public_url, the Host header is checked against an allow-list before
//    anything can echo it into a URL.

/** Fastify options for the timeouts (the caller spreads them into Fastify({...})). */
export function serverOptions(config: Config) {
  const s = config.server;
  const headersMs = s.headers_timeout_seconds * 1000;
  const requestMs = s.request_timeout_seconds * 1000;
  return {
    // Node needs headersTimeout <= requestTimeout (0: no whole-request limit).
    http: {
      headersTimeout: requestMs > 0 ? Math.min(headersMs, requestMs) : headersMs,
      connectionsCheckingInterval: Math.min(1000, headersMs),
    },
    requestTimeout: requestMs,
    keepAliveTimeout: s.keep_alive_seconds * 1000,
    // A socket without any traffic this long is closed, whatever state it is in.
    connectionTimeout: Math.max(120_000, headersMs),
    // The router's own refusal of a URL it cannot decode says why, like the checks below.
    frameworkErrors: (error: FastifyError, _req: FastifyRequest, reply: FastifyReply) => {
      if (error.code === 'FST_ERR_BAD_URL')
        return badRequest(reply, 'malformed percent-encoding or UTF-8 in the URL path');
      return reply.code(error.statusCode ?? 400).send(error);
    },
  };
}

/** Closes connections past `max` open ones from one address, at once. */
function capConnectionsPerIp(app: FastifyInstance, max: number): void {
  const open = new Map<string, number>();
  let shed = 0;
  app.server.on('connection', (socket: Socket) => {
    const ip = socket.remoteAddress ?? '?';
    const n = (open.get(ip) ?? 0) + 1;
    if (n > max) {
      shed++;
      // One line per burst, not per socket: an attack must not flood the log either.
      if (shed === 1 || shed % 1000 === 0)
        app.log.warn({ ip, max, shed }, `connection cap: more than ${max} connections from ${ip}; closing`);
      socket.destroy();
      return;
    }
    open.set(ip, n);
    socket.once('close', () => {
      const left = (open.get(ip) ?? 1) - 1;
      if (left <= 0) open.delete(ip);
      else open.set(ip, left);
    });
  });
}

/** Why a percent-encoded string is not clean text, or null. */
function textProblem(encoded: string, what: string, plus = false): string | null {
  let decoded: string;
  try {
    decoded = decodeURIComponent(plus ? encoded.replace(/\+/g, ' ') : encoded);
  } catch {
    return `malformed percent-encoding or UTF-8 in the ${what}`;
  }
  if (decoded.includes('\u0000')) return `NUL byte in the ${what}`;
  return null;
}

function badRequest(reply: FastifyReply, message: string): FastifyReply {
  return reply.code(400).type('text/plain; charset=utf-8').send(`Bad request: ${message}\n`);
}

/** Host names (with or without port) requests may name when no public_url is set. */
function allowedHosts(config: Config): string[] {
  const configured = config.server.allowed_hosts.map((h) => h.toLowerCase());
  if (configured.length) return configured;
  // Nothing configured: the names of this machine's loopback, which cannot be spoofed from outside.
  return ['localhost', '127.0.0.1', '[::1]'];
}

function hostAllowed(host: string | undefined, allowed: readonly string[]): boolean {
  if (!host) return false;
  const h = host.toLowerCase();
  const bare = h.replace(/:\d+$/, '');
  return allowed.includes(h) || allowed.includes(bare);
}

/** Request checks and the form body parser; call before any route plugin registers. */
export function registerHardening(app: FastifyInstance, config: Config): void {
  capConnectionsPerIp(app, config.server.max_connections_per_ip);
  const hosts = config.server.public_url ? null : allowedHosts(config);

  app.addHook('onRequest', async (req: FastifyRequest, reply: FastifyReply) => {
    if (hosts && !hostAllowed(req.headers.host, hosts)) {
      return badRequest(
        reply,
        `unknown Host ${JSON.stringify(req.headers.host ?? '')}: set server.public_url or server.allowed_hosts`,
      );
    }
    const q = req.url.indexOf('?');
    const path = q < 0 ? req.url : req.url.slice(0, q);
    const problem =
      textProblem(path, 'URL path') ??
      (q < 0
        ? null
        : (req.url
            .slice(q + 1)
            .split('&')
            .map((pair) => textProblem(pair, 'query string', true))
            .find((p) => p !== null) ?? null));
    if (problem) return badRequest(reply, problem);
  });

  // Forms: the fields as strings (repeated names as arrays, as @fastify/formbody gives them),
  // refused when a field is not clean text.
  app.addContentTypeParser(
    'application/x-www-form-urlencoded',
    { parseAs: 'string', bodyLimit: 1024 * 1024 },
    (_req, body, done) => {
      const text = body as string;
      if (text.includes('\uFFFD'))
        return done(
          Object.assign(new Error('Bad request: malformed UTF-8 in the form'), { statusCode: 400 }),
        );
      // No prototype: a field named __proto__ is just a field.
      const out: Record<string, string | string[]> = Object.create(null);
      for (const pair of text.split('&')) {
        if (!pair) continue;
        const problem = textProblem(pair, 'form');
        if (problem) return done(Object.assign(new Error(`Bad request: ${problem}`), { statusCode: 400 }));
        const eq = pair.indexOf('=');
        const dec = (s: string) => decodeURIComponent(s.replace(/\+/g, ' '));
        const k = dec(eq < 0 ? pair : pair.slice(0, eq));
        const v = eq < 0 ? '' : dec(pair.slice(eq + 1));
        const prev = out[k];
        out[k] = prev === undefined ? v : Array.isArray(prev) ? [...prev, v] : [prev, v];
      }
      done(null, out);
    },
  );
}
