// Every statement on the notification table (who is told about new data for which selection) and
// on notification_sent (what you-got-data-email has sent). Values always travel as parameters.

import type { Queryable } from '../../db/pool.js';

export interface Notification {
  id: number;
  label: string;
  selection: string;
  piemail: string | null;
  ngoemail: string | null;
  csemail: string | null;
  internal: boolean;
}

export type NotificationFields = Omit<Notification, 'id'>;

const COLUMNS = 'id, label, selection, piemail, ngoemail, csemail, internal';

export async function listNotifications(db: Queryable, filter?: { like?: string }): Promise<Notification[]> {
  const r = filter?.like
    ? await db.query(
        `SELECT ${COLUMNS} FROM notification
         WHERE label ILIKE $1::text OR selection ILIKE $1::text ORDER BY id`,
        [`%${filter.like}%`],
      )
    : await db.query(`SELECT ${COLUMNS} FROM notification ORDER BY id`);
  return r.rows;
}

export async function getNotification(db: Queryable, id: number): Promise<Notification | null> {
  const r = await db.query(`SELECT ${COLUMNS} FROM notification WHERE id = $1::bigint`, [id]);
  return r.rows[0] ?? null;
}

export async function notificationByLabel(db: Queryable, label: string): Promise<Notification | null> {
  const r = await db.query(`SELECT ${COLUMNS} FROM notification WHERE label = $1::text ORDER BY id LIMIT 1`, [
    label,
  ]);
  return r.rows[0] ?? null;
}

export async function insertNotification(db: Queryable, n: NotificationFields): Promise<Notification> {
  const r = await db.query(
    `INSERT INTO notification (label, selection, piemail, ngoemail, csemail, internal)
     VALUES ($1::text, $2::text, $3::text, $4::text, $5::text, $6::boolean) RETURNING ${COLUMNS}`,
    [n.label, n.selection, n.piemail, n.ngoemail, n.csemail, n.internal],
  );
  return r.rows[0];
}

/** Changes the given fields only; null when there is no such row. */
export async function updateNotification(
  db: Queryable,
  id: number,
  changes: Partial<NotificationFields>,
): Promise<Notification | null> {
  const r = await db.query(
    `UPDATE notification SET
       label = CASE WHEN $2::boolean THEN $3::text ELSE label END,
       selection = CASE WHEN $4::boolean THEN $5::text ELSE selection END,
       piemail = CASE WHEN $6::boolean THEN $7::text ELSE piemail END,
       ngoemail = CASE WHEN $8::boolean THEN $9::text ELSE ngoemail END,
       csemail = CASE WHEN $10::boolean THEN $11::text ELSE csemail END,
       internal = CASE WHEN $12::boolean THEN $13::boolean ELSE internal END
     WHERE id = $1::bigint RETURNING ${COLUMNS}`,
    [
      id,
      'label' in changes,
      changes.label ?? null,
      'selection' in changes,
      changes.selection ?? null,
      'piemail' in changes,
      changes.piemail ?? null,
      'ngoemail' in changes,
      changes.ngoemail ?? null,
      'csemail' in changes,
      changes.csemail ?? null,
      'internal' in changes,
      changes.internal ?? false,
    ],
  );
  return r.rows[0] ?? null;
}

export async function deleteNotification(db: Queryable, id: number): Promise<boolean> {
  const r = await db.query('DELETE FROM notification WHERE id = $1::bigint', [id]);
  return (r.rowCount ?? 0) > 0;
}

// notification_sent --------------------------------------------------------------------------

export type SentStatus = 'sending' | 'sent' | 'failed';

export interface SentRow {
  mail_key: string;
  status: SentStatus;
  attempted_at: Date;
  sent_at: Date | null;
}

export async function sentRow(db: Queryable, key: string): Promise<SentRow | null> {
  const r = await db.query(
    'SELECT mail_key, status, attempted_at, sent_at FROM notification_sent WHERE mail_key = $1::text',
    [key],
  );
  return r.rows[0] ?? null;
}

export interface SendClaim {
  key: string;
  notificationId: number | null;
  kind: 'newdata' | 'check' | 'digest';
  /** YYYYMMDD */
  night: string;
  subject: string;
  recipients: string[];
  files: string[];
}

/**
 * Marks a mail as being sent, unless it was sent already or a send of it may still be under way.
 * Returns false when it must not be sent. A 'failed' row is taken over for another attempt.
 */
export async function claimSend(db: Queryable, c: SendClaim): Promise<boolean> {
  const r = await db.query(
    `INSERT INTO notification_sent (mail_key, notification_id, kind, night, subject, recipients, files)
     VALUES ($1::text, $2::bigint, $3::text, to_date($4::text, 'YYYYMMDD'), $5::text, $6::text[], $7::text[])
     ON CONFLICT (mail_key) DO UPDATE SET status = 'sending', attempted_at = now(), error = NULL,
       subject = EXCLUDED.subject, recipients = EXCLUDED.recipients, files = EXCLUDED.files
       WHERE notification_sent.status = 'failed'
     RETURNING id`,
    [c.key, c.notificationId, c.kind, c.night, c.subject, c.recipients, c.files],
  );
  return (r.rowCount ?? 0) > 0;
}

export async function markSent(db: Queryable, key: string, messageId: string | null): Promise<void> {
  await db.query(
    `UPDATE notification_sent SET status = 'sent', sent_at = now(), message_id = $2::text WHERE mail_key = $1::text`,
    [key, messageId],
  );
}

export async function markFailed(db: Queryable, key: string, error: string): Promise<void> {
  await db.query(
    `UPDATE notification_sent SET status = 'failed', error = $2::text WHERE mail_key = $1::text`,
    [key, error],
  );
}
