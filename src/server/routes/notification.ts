// /notification: the staff page of new-data e-mail notifications (FitsStorage's notification.html):
// the table, a form per row to change or delete it, and one to add a row. Staff only: the app
// passes its staff check as `staffOnly`. Forms post back here and are answered with a redirect,
// so a reload never repeats a change.

import type { FastifyPluginAsync, FastifyReply, FastifyRequest, preHandlerHookHandler } from 'fastify';
import type { Config } from '../../config/schema.js';
import type { Db } from '../../db/pool.js';
import { csrfOk, csrfToken, CSRF_FIELD } from '../csrf.js';
import {
  deleteNotification,
  insertNotification,
  listNotifications,
  selectionProblem,
  updateNotification,
  type Notification,
  type NotificationFields,
} from '../../services/mail/notifications.js';

export interface NotificationRouteOptions {
  ctx: { db: Db; config: Config };
  /** Refuses non-staff (the app's session check). Required: the page changes who gets mail. */
  staffOnly: preHandlerHookHandler;
}

const FORM = 'application/x-www-form-urlencoded';

function esc(v: unknown): string {
  return String(v ?? '')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;');
}

// One form per row; the inputs sit in table cells and join their row's form by its id, since a
// <form> may not wrap a table row.
function input(form: string, name: string, value: unknown, size = 30): string {
  return `<input form="${form}" type="text" name="${name}" value="${esc(value)}" size="${size}">`;
}

function checkbox(form: string, checked: boolean): string {
  return `<input form="${form}" type="checkbox" name="internal" value="yes"${checked ? ' checked' : ''}>`;
}

function csrfInput(token: string): string {
  return `<input type="hidden" name="${CSRF_FIELD}" value="${esc(token)}">`;
}

function rowForm(n: Notification, token: string): string {
  const f = `n${n.id}`;
  return `<tr><td>${n.id}</td>
<td>${input(f, 'label', n.label, 24)}</td>
<td>${input(f, 'selection', n.selection, 30)}</td>
<td>${input(f, 'piemail', n.piemail)}</td>
<td>${input(f, 'ngoemail', n.ngoemail)}</td>
<td>${input(f, 'csemail', n.csemail)}</td>
<td>${checkbox(f, n.internal)}</td>
<td><form id="${f}" method="post" action="/notification">${csrfInput(token)}<input type="hidden" name="id" value="${n.id}">
<button name="action" value="edit">Save</button>
<button name="action" value="delete" onclick="return confirm('Delete notification ${n.id}?')">Delete</button></form></td></tr>`;
}

function page(rows: Notification[], message: string | undefined, token: string): string {
  return `<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>Notifications</title></head>
<body>
<h1>New-data e-mail notifications</h1>
${message ? `<p class="message">${esc(message)}</p>` : ''}
<table border="1" cellspacing="0" cellpadding="3">
<tr><th>Id</th><th>Label</th><th>Selection</th><th>PI e-mail</th><th>NGO e-mail</th><th>CS e-mail</th><th>Internal</th><th></th></tr>
${rows.map((n) => rowForm(n, token)).join('\n')}
<tr><td>new</td><td>${input('new', 'label', '', 24)}</td><td>${input('new', 'selection', '', 30)}</td>
<td>${input('new', 'piemail', '')}</td><td>${input('new', 'ngoemail', '')}</td><td>${input('new', 'csemail', '')}</td>
<td>${checkbox('new', false)}</td>
<td><form id="new" method="post" action="/notification">${csrfInput(token)}<button name="action" value="add">Add</button></form></td></tr>
</table>
</body></html>
`;
}

function fields(body: Record<string, string>): NotificationFields {
  const text = (k: string) => {
    const v = (body[k] ?? '').trim();
    return v === '' ? null : v;
  };
  return {
    label: (body.label ?? '').trim(),
    selection: (body.selection ?? '').trim().replace(/^\/+|\/+$/g, ''),
    piemail: text('piemail'),
    ngoemail: text('ngoemail'),
    csemail: text('csemail'),
    internal: body.internal === 'yes' || body.internal === 'on',
  };
}

/** A form posted from another site must not change anything (the staff cookie would ride along). */
function crossSite(req: FastifyRequest): boolean {
  const origin = req.headers.origin;
  if (!origin) return false;
  try {
    return new URL(origin).host !== req.headers.host;
  } catch {
    return true;
  }
}

export const notificationRoutes: FastifyPluginAsync<NotificationRouteOptions> = async (app, opts) => {
  const { db, config } = opts.ctx;
  app.addHook('preHandler', opts.staffOnly);
  if (!app.hasContentTypeParser(FORM)) {
    app.addContentTypeParser(FORM, { parseAs: 'string' }, (_req, body, done) => {
      done(null, Object.fromEntries(new URLSearchParams(body as string)));
    });
  }

  app.get('/notification', async (req, reply) => {
    const message = (req.query as { message?: string }).message;
    const token = csrfToken(req, reply, config);
    return reply.type('text/html; charset=utf-8').send(page(await listNotifications(db), message, token));
  });

  const back = (reply: FastifyReply, message: string) =>
    reply.redirect(`/notification?message=${encodeURIComponent(message)}`, 303);

  app.post('/notification', async (req, reply) => {
    if (crossSite(req)) return reply.code(403).type('text/plain').send('Forbidden: cross-site form\n');
    // Every state-changing form carries the token (users/csrf.ts); Origin alone is not sent by all clients.
    if (!csrfOk(req))
      return reply
        .code(403)
        .type('text/plain')
        .send('Forbidden: the form had expired or was not ours; reload the page\n');
    const body = (req.body ?? {}) as Record<string, string>;
    const action = body.action;
    const id = Number(body.id);
    if (action === 'delete') {
      const gone = Number.isSafeInteger(id) && (await deleteNotification(db, id));
      return back(reply, gone ? `Deleted notification ${id}` : `No notification ${body.id}`);
    }
    if (action !== 'add' && action !== 'edit')
      return reply.code(400).type('text/plain').send('unknown action\n');
    const f = fields(body);
    if (!f.label || !f.selection) return back(reply, 'A notification needs a label and a selection');
    const problem = selectionProblem(f.selection);
    if (problem) return back(reply, `Not saved: ${problem}`);
    if (action === 'add') {
      const row = await insertNotification(db, f);
      req.log.info({ id: row.id, label: row.label }, 'notification added');
      return back(reply, `Added notification ${row.id}`);
    }
    const row = Number.isSafeInteger(id) ? await updateNotification(db, id, f) : null;
    if (row) req.log.info({ id: row.id, label: row.label }, 'notification updated');
    return back(reply, row ? `Saved notification ${row.id}` : `No notification ${body.id}`);
  });
};
