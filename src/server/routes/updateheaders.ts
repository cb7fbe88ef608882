// POST /update_headers: the Gemini archive's header update API (used by the ODB and the SOSs'
// tools). Cookie gemini_api_authorization must equal config.server.api_auth; an empty secret
// refuses everyone. The body is either the old format, a list of items, or {"request": [items],
// "batch": bool}; an item is {"filename" | "data_label", "values": {qa_state, raw_site, release,
// generic}, "reject_new"}. The answer is one {"result", "id", "error"} per item, in order.
//
// The web process never touches the files: it checks what it can (the values, that the file is
// known and present), records the good items in header_update, and waits a bounded time for the
// privileged worker (fitsstore service-header-updates) to carry them out. An item still pending
// when the wait ends is answered {"result": true, "pending": true}: accepted, as the archive
// answers every item it queues.

import type { FastifyPluginAsync } from 'fastify';
import type { Config } from '../../config/schema.js';
import type { Db } from '../../db/pool.js';
import { editForValues, locateFile, type HeaderUpdateItem } from '../../services/headers/headerupdate.js';
import {
  recordRequests,
  waitForOutcomes,
  type ItemOutcome,
} from '../../services/headers/headerupdatequeue.js';
import { secretMatches } from '../access.js';

const API_COOKIE = 'gemini_api_authorization';

export interface UpdateHeadersOptions {
  ctx: { config: Config; db: Db };
  /** Seconds to wait for the worker's outcome before answering "accepted" (default 30). */
  waitSeconds?: number;
}

type Answer = ItemOutcome & { pending?: boolean };

/** The items of either body format, or null when the body is neither. */
function requestItems(body: unknown): unknown[] | null {
  if (Array.isArray(body)) return body;
  if (body && typeof body === 'object' && Array.isArray((body as { request?: unknown }).request)) {
    return (body as { request: unknown[] }).request;
  }
  return null;
}

function itemId(raw: unknown): string {
  const o = (raw ?? {}) as { filename?: unknown; data_label?: unknown };
  return String(o.filename ?? o.data_label ?? '');
}

export const updateHeadersRoutes: FastifyPluginAsync<UpdateHeadersOptions> = async (app, opts) => {
  const { config, db } = opts.ctx;
  const waitMs = (opts.waitSeconds ?? 30) * 1000;

  // Clients post JSON under whatever content type their HTTP library picked (Python's urllib says
  // x-www-form-urlencoded): in this plugin every body is read as JSON text.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'string' }, (_req, body, done) => {
    try {
      done(null, JSON.parse(body as string));
    } catch {
      done(null, undefined);
    }
  });

  app.post('/update_headers', async (req, reply) => {
    const secret = config.server.api_auth;
    // Without a configured secret nobody may change files.
    if (!secret || !secretMatches(req.cookies?.[API_COOKIE], secret)) {
      req.log.warn({ ip: req.ip }, 'update_headers refused: missing or wrong api cookie');
      return reply
        .code(403)
        .send({ result: false, error: 'Forbidden: api authorisation cookie missing or wrong' });
    }
    const items = requestItems(req.body);
    if (!items) {
      return reply
        .code(400)
        .send([{ result: false, error: 'expected a list of items or {"request": [items]}' }]);
    }

    // Check each item; the good ones are recorded together.
    const answers: Answer[] = [];
    const accepted: { index: number; item: HeaderUpdateItem }[] = [];
    for (const [index, raw] of items.entries()) {
      const id = itemId(raw);
      try {
        const o = (raw ?? {}) as Record<string, unknown>;
        const item: HeaderUpdateItem = {
          filename: typeof o.filename === 'string' && o.filename ? o.filename : undefined,
          data_label: typeof o.data_label === 'string' && o.data_label ? o.data_label : undefined,
          values: o.values as HeaderUpdateItem['values'],
          reject_new: o.reject_new === true,
        };
        editForValues(item.values);
        await locateFile(db, item);
        accepted.push({ index, item });
        answers.push({ result: true, id, pending: true });
      } catch (e) {
        answers.push({ result: false, id, error: (e as Error).message });
      }
    }
    const ids = await recordRequests(
      db,
      accepted.map((a) => a.item),
      `http ${req.ip}`,
    );
    if (ids.length && waitMs > 0) {
      const rows = await waitForOutcomes(db, ids, waitMs);
      const byId = new Map(rows.map((r) => [r.id, r]));
      accepted.forEach((a, k) => {
        const row = byId.get(ids[k]);
        if (!row || row.result === null) return;
        answers[a.index] = row.result
          ? { result: true, id: answers[a.index].id }
          : { result: false, id: answers[a.index].id, error: row.error ?? 'failed' };
      });
    }
    req.log.info(
      {
        items: items.length,
        ok: answers.filter((a) => a.result).length,
        pending: answers.filter((a) => a.pending).length,
      },
      'update_headers',
    );
    return answers;
  });
};
