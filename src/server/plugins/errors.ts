import type { FastifyError, FastifyInstance } from 'fastify';
import { errorPage } from '../views/pages.js';
import { sendPage } from '../web.js';
import { errorNotes, type UsageLog } from './usagelog.js';

// A request that throws: the exception and its stack go into the request's usagelog row
// (`notes`), and the answer is a 500 naming that row's id as the reference number, so a user's
// report ("error 1234") leads an operator straight to /usagedetails/1234. Errors that carry a
// client status (4xx: bad body, validation) keep Fastify's usual answer.

export function registerErrorHandler(app: FastifyInstance, usage: UsageLog): void {
  app.setErrorHandler(async (error: FastifyError, req, reply) => {
    const status = error.statusCode ?? 500;
    if (status < 500) throw error; // to Fastify's default handler
    usage.note(req, errorNotes(error));
    const reference = await usage.reserveId(req).catch(() => null);
    req.log.error(
      { err: error, reference },
      `request failed: ${req.method} ${req.url} (reference ${reference})`,
    );
    if (reply.sent) return;
    reply.code(500);
    const accept = req.headers.accept ?? '';
    if (/text\/html/.test(accept)) {
      return sendPage(reply, errorPage(reference), 500);
    }
    return reply.send({
      statusCode: 500,
      error: 'Internal Server Error',
      message: `internal error; reference number ${reference ?? 'unavailable'}`,
      reference,
    });
  });
}
