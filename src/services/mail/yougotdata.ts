// you-got-data-email: for each notification, run its selection for one night and, when files were
// found, mail the people concerned (FitsStorage's YouGotDataEmail.py, run from cron at 08:00).
//
//   new data: To the PI, Cc the NGO and contact scientist, Reply-To the configured address; the
//             night's files from the archive (mail.archive_url) or, without one, this database.
//   --check:  files with QA state CHECK on this server; only the contact scientist hears.
//   always:   the admin address is copied (Bcc) on every mail.
//
// Nothing is mailed twice for one notification and night: each mail is claimed in
// notification_sent before the SMTP conversation. Problems (unrecognised selections, unreadable
// addresses, refused or undeliverable mail) go to the admin in one digest per run.

import { createHash } from 'node:crypto';
import type { Config } from '../../config/schema.js';
import type { Db } from '../../db/pool.js';
import { isYyyymmdd } from '../../gemini/nights.js';
import { parseSelection, unrecognisedMessage } from '../../gemini/selection/index.js';
import type { Logger } from '../../log/logger.js';
import { mergeAddresses, parseAddresses, type Address } from './addresses.js';
import {
  errorText,
  isTransientMailError,
  withRetry,
  type MailMessage,
  type Mailer,
  type RetryOptions,
} from './mailer.js';
import {
  claimSend,
  listNotifications,
  markFailed,
  markSent,
  sentRow,
  type Notification,
} from './notificationsql.js';
import { searchHeaders } from '../archive/search.js';
import { digestMail, newDataMail, type FileSummary, type Problem } from './yougotdatamail.js';

export interface YouGotDataDeps {
  db: Db;
  config: Config;
  log: Logger;
  mailer: Mailer;
  /** For the archive's /jsonsummary (tests pass their own). */
  fetch?: typeof fetch;
  retry?: Pick<RetryOptions, 'delaysMs' | 'signal'>;
}

export interface YouGotDataOptions {
  check?: boolean;
  /** YYYYMMDD or 'today' (the UTC date). */
  date?: string;
  dryrun?: boolean;
  now?: Date;
}

export type MailStatus = 'sent' | 'dryrun' | 'already-sent' | 'interrupted-before' | 'failed';

export interface MailOutcome {
  notificationId: number;
  label: string;
  subject: string;
  to: string[];
  cc: string[];
  files: number;
  status: MailStatus;
  error?: string;
}

export interface YouGotDataResult {
  date: string;
  mails: MailOutcome[];
  problems: Problem[];
  digest: 'none' | 'sent' | 'dryrun' | 'already-sent' | 'failed' | 'no-admin';
  /** Mails that could not be delivered (digest included): the command exits non-zero. */
  failures: number;
}

export class YouGotDataUsageError extends Error {
  override name = 'YouGotDataUsageError';
}

/**
 * Why new-data mails cannot be sent with this configuration, or null when they can. A PI must hear
 * only about files the archive serves: the archive is asked (mail.archive_url), or this server is
 * the archive. A summit without an archive URL once mailed about files no archive had.
 */
export function newDataRefusal(config: Config): string | null {
  if (config.mail.archive_url || config.role === 'archive') return null;
  return (
    'mail.archive_url is not set: new-data mails list only files the archive reports present, and this ' +
    'summit server cannot know which those are. Set mail.archive_url (e.g. https://archive.gemini.edu); ' +
    '--check (QA state CHECK on this server) needs no archive'
  );
}

export function resolveDate(date: string | undefined, now = new Date()): string {
  if (!date || date === 'today') return now.toISOString().slice(0, 10).replace(/-/g, '');
  if (!isYyyymmdd(date)) throw new YouGotDataUsageError(`--date: expected YYYYMMDD or today, got "${date}"`);
  return date;
}

const addressList = (list: Address[]) => list.map((a) => a.address);

/** The night's files for one selection path, from this database or the archive. */
async function findFiles(deps: YouGotDataDeps, path: string, local: boolean): Promise<FileSummary[]> {
  if (local) {
    const sel = parseSelection(path);
    const { rows } = await searchHeaders(deps.db, sel, { orderBy: 'filename' });
    return rows.map((r) => ({
      filename: r.name,
      data_label: r.data_label,
      ut_datetime: r.ut_datetime ? r.ut_datetime.toISOString().replace('T', ' ').slice(0, 19) : null,
      instrument: r.instrument,
      object: r.object,
      observation_type: r.observation_type,
      observation_class: r.observation_class,
      qa_state: r.qa_state,
      exposure_time: r.exposure_time,
    }));
  }
  const base = deps.config.mail.archive_url!.replace(/\/+$/, '');
  const url = `${base}/jsonsummary/${path.split('/').map(encodeURIComponent).join('/')}`;
  const get = deps.fetch ?? fetch;
  const transient = (e: unknown) => !(e instanceof ArchiveAnswerError) || e.status >= 500;
  const body = await withRetry(
    async () => {
      const res = await get(url, { signal: AbortSignal.timeout(60_000) });
      const text = await res.text();
      if (!res.ok)
        throw new ArchiveAnswerError(res.status, `${url}: HTTP ${res.status} ${text.slice(0, 300)}`);
      return JSON.parse(text) as unknown;
    },
    transient,
    deps.retry,
  );
  if (!Array.isArray(body)) throw new Error(`${url}: expected a JSON list`);
  return (
    body
      // Only files the archive says it has: an entry marked not present is not news for a PI.
      .filter((e) => e && typeof e === 'object' && (e.name || e.filename) && e.present !== false)
      .map((e) => ({
        filename: String(e.name ?? e.filename).replace(/\.bz2$/, ''),
        data_label: e.data_label ?? null,
        ut_datetime: e.ut_datetime ?? null,
        instrument: e.instrument ?? null,
        object: e.object ?? null,
        observation_type: e.observation_type ?? null,
        observation_class: e.observation_class ?? null,
        qa_state: e.qa_state ?? null,
        exposure_time: typeof e.exposure_time === 'number' ? e.exposure_time : null,
      }))
  );
}

class ArchiveAnswerError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/** Recipients of one notification's mail, with what could not be read. */
function recipients(
  n: Notification,
  check: boolean,
  problem: (m: string) => void,
): { to: Address[]; cc: Address[] } {
  const field = (name: string, value: string | null) => {
    const parsed = parseAddresses(value);
    for (const bad of parsed.invalid) problem(`unreadable address in ${name}: "${bad}" (field: "${value}")`);
    return parsed.addresses;
  };
  const cs = field('csemail', n.csemail);
  if (check) {
    if (cs.length === 0) problem('no usable contact scientist address (csemail): CHECK mail not sent');
    return { to: cs, cc: [] };
  }
  const pi = field('piemail', n.piemail);
  const cc = mergeAddresses(field('ngoemail', n.ngoemail), cs).filter(
    (a) => !pi.some((p) => p.address.toLowerCase() === a.address.toLowerCase()),
  );
  if (pi.length === 0) {
    problem('no usable PI address (piemail): mailing the NGO and contact scientist only');
    return { to: cc, cc: [] };
  }
  return { to: pi, cc };
}

/** Runs one you-got-data-email pass; see the module comment. */
export async function youGotData(
  deps: YouGotDataDeps,
  opts: YouGotDataOptions = {},
): Promise<YouGotDataResult> {
  const { config, log, db } = deps;
  const check = Boolean(opts.check);
  const refusal = newDataRefusal(config);
  if (!check && refusal) throw new YouGotDataUsageError(refusal);
  if (check && refusal) log.info(`note: new-data mails (without --check) are refused here: ${refusal}`);
  const date = resolveDate(opts.date, opts.now);
  const kind = check ? 'check' : 'newdata';
  // CHECK states are this server's own business; new data comes from the archive when there is one.
  const local = check || !config.mail.archive_url;
  const searchBase = (config.mail.archive_url ?? config.server.public_url)?.replace(/\/+$/, '') ?? null;
  const admin = config.mail.admin ? parseAddresses(config.mail.admin).addresses : [];
  const result: YouGotDataResult = { date, mails: [], problems: [], digest: 'none', failures: 0 };
  log.info(
    `you-got-data-email${check ? ' --check' : ''} starting for ${date}${opts.dryrun ? ' (dry run)' : ''}`,
  );

  for (const n of await listNotifications(db)) {
    const problem = (message: string) => {
      result.problems.push({ notificationId: n.id, label: n.label, message });
      log.warn({ notification: n.id, label: n.label }, message);
    };
    const selection = n.selection?.trim() ?? '';
    if (!selection) {
      problem('the notification has no selection');
      continue;
    }
    const path = `${selection}/${date}${check ? '/CHECK' : ''}`;
    // Checked here for both sources: an unrecognised term would widen the search and mail the
    // wrong people about the wrong data.
    const warning = unrecognisedMessage(parseSelection(path));
    if (warning) {
      problem(`invalid selection "${selection}": ${warning}`);
      continue;
    }
    let files: FileSummary[];
    try {
      files = await findFiles(deps, path, local);
    } catch (e) {
      problem(`could not search for "${path}": ${errorText(e)}`);
      continue;
    }
    if (files.length === 0) {
      log.debug({ notification: n.id }, `no data for ${path}`);
      continue;
    }

    const { to, cc } = recipients(n, check, problem);
    if (to.length === 0) {
      if (!check) problem('no usable address at all: mail not sent');
      continue;
    }
    const searchUrl = searchBase ? `${searchBase}/searchform/${selection}/${date}` : null;
    const composed = newDataMail({ selection, date, files, searchUrl, check });
    const outcome: MailOutcome = {
      notificationId: n.id,
      label: n.label,
      subject: composed.subject,
      to: addressList(to),
      cc: addressList(cc),
      files: files.length,
      status: 'sent',
    };
    result.mails.push(outcome);
    const msg: MailMessage = {
      from: config.mail.from,
      to,
      cc,
      bcc: admin,
      replyTo: config.mail.reply_to,
      ...composed,
    };
    const key = `${kind}/${n.id}/${date}`;
    const previous = await sentRow(db, key);
    if (previous?.status === 'sent') {
      outcome.status = 'already-sent';
      log.info({ notification: n.id }, `already sent: ${composed.subject} (${date})`);
      continue;
    }
    if (opts.dryrun) {
      outcome.status = previous?.status === 'sending' ? 'interrupted-before' : 'dryrun';
      log.info({ to: outcome.to, cc: outcome.cc, files: files.length }, `would send: ${composed.subject}`);
      continue;
    }
    const sent = await deliver(deps, key, msg, {
      notificationId: n.id,
      kind,
      night: date,
      files: files.map((f) => f.filename),
    });
    outcome.status = sent.status;
    if (sent.error) outcome.error = sent.error;
    if (sent.status === 'failed') {
      result.failures++;
      problem(`mail "${composed.subject}" could not be sent: ${sent.error}`);
    } else if (sent.status === 'interrupted-before') {
      problem(
        `mail "${composed.subject}" was being sent by an earlier run that did not finish; not sent again (it may have gone out)`,
      );
    }
    for (const r of sent.rejected) problem(`the relay refused ${r} for "${composed.subject}"`);
  }

  await sendDigest(deps, result, { check, kind, date, dryrun: Boolean(opts.dryrun), admin });
  log.info(
    {
      sent: result.mails.filter((m) => m.status === 'sent').length,
      problems: result.problems.length,
      failures: result.failures,
    },
    'you-got-data-email done',
  );
  return result;
}

/** Claims, sends (with retries) and records one mail. */
async function deliver(
  deps: YouGotDataDeps,
  key: string,
  msg: MailMessage,
  meta: {
    notificationId: number | null;
    kind: 'newdata' | 'check' | 'digest';
    night: string;
    files: string[];
  },
): Promise<{ status: MailStatus; error?: string; rejected: string[] }> {
  const all = [...msg.to, ...(msg.cc ?? []), ...(msg.bcc ?? [])].map((a) => a.address);
  const claimed = await claimSend(deps.db, { key, ...meta, subject: msg.subject, recipients: all });
  if (!claimed) {
    const row = await sentRow(deps.db, key);
    return { status: row?.status === 'sent' ? 'already-sent' : 'interrupted-before', rejected: [] };
  }
  try {
    const info = await withRetry(() => deps.mailer.send(msg), isTransientMailError, {
      ...deps.retry,
      onRetry: (attempt, e, delay) =>
        deps.log.warn(
          { attempt, err: errorText(e) },
          `sending "${msg.subject}" failed; retrying in ${Math.round(delay / 1000)} s`,
        ),
    });
    await markSent(deps.db, key, info.messageId);
    deps.log.info(
      { to: msg.to.map((a) => a.address), cc: msg.cc?.map((a) => a.address), messageId: info.messageId },
      `sent: ${msg.subject}`,
    );
    return { status: 'sent', rejected: info.rejected };
  } catch (e) {
    const error = errorText(e);
    await markFailed(deps.db, key, error);
    deps.log.error({ err: error }, `could not send "${msg.subject}"`);
    return { status: 'failed', error, rejected: [] };
  }
}

async function sendDigest(
  deps: YouGotDataDeps,
  result: YouGotDataResult,
  o: { check: boolean; kind: string; date: string; dryrun: boolean; admin: Address[] },
): Promise<void> {
  if (result.problems.length === 0) return;
  if (o.admin.length === 0) {
    result.digest = 'no-admin';
    deps.log.error(`${result.problems.length} problems and no mail.admin address to report them to`);
    return;
  }
  const composed = digestMail({ date: o.date, check: o.check, problems: result.problems });
  if (o.dryrun) {
    result.digest = 'dryrun';
    deps.log.info(`would send the problem digest to ${addressList(o.admin).join(', ')}`);
    return;
  }
  // The same problems for the same night are reported once; new ones make a new digest.
  const hash = createHash('sha1').update(composed.text).digest('hex').slice(0, 16);
  const sent = await deliver(
    deps,
    `digest/${o.kind}/${o.date}/${hash}`,
    { from: deps.config.mail.from, to: o.admin, subject: composed.subject, text: composed.text },
    { notificationId: null, kind: 'digest', night: o.date, files: [] },
  );
  result.digest = sent.status === 'sent' ? 'sent' : sent.status === 'failed' ? 'failed' : 'already-sent';
  if (sent.status === 'failed') result.failures++;
}
