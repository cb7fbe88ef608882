// Sending mail through the configured SMTP relay (nodemailer), with retries for what is worth
// retrying: a relay that is down, slow or says "try again later" (4xx) gets a few more chances with
// growing pauses; a permanent refusal (5xx, bad address) does not.

import nodemailer from 'nodemailer';
import type { Config } from '../../config/schema.js';
import { sleep } from '../../daemon/sleep.js';
import type { Address } from './addresses.js';

export interface MailMessage {
  from: string;
  to: Address[];
  cc?: Address[];
  bcc?: Address[];
  replyTo?: string;
  subject: string;
  text: string;
  html?: string;
}

export interface SendResult {
  messageId: string | null;
  accepted: string[];
  /** Recipients the relay refused while taking the message for the others. */
  rejected: string[];
}

export interface Mailer {
  send(msg: MailMessage): Promise<SendResult>;
  close(): void;
}

/** A mailer on the configured relay. Plain SMTP, STARTTLS when the relay offers it. */
export function smtpMailer(mail: Config['mail'], timeoutMs = 20_000): Mailer {
  const transport = nodemailer.createTransport({
    host: mail.smtp_host,
    port: mail.smtp_port,
    secure: mail.smtp_port === 465,
    connectionTimeout: timeoutMs,
    greetingTimeout: timeoutMs,
    socketTimeout: timeoutMs * 3,
    // A local relay on a FITS host has no certificate worth checking.
    tls: { rejectUnauthorized: false },
  });
  const fmt = (list: Address[] | undefined) =>
    list?.map((a) => (a.name ? { name: a.name, address: a.address } : a.address));
  return {
    async send(msg) {
      const info = await transport.sendMail({
        from: msg.from,
        to: fmt(msg.to),
        cc: fmt(msg.cc),
        bcc: fmt(msg.bcc),
        replyTo: msg.replyTo,
        subject: msg.subject,
        text: msg.text,
        html: msg.html,
      });
      const list = (v: unknown) =>
        Array.isArray(v)
          ? v.map((x) => (typeof x === 'string' ? x : (x as { address: string }).address))
          : [];
      return {
        messageId: info.messageId ?? null,
        accepted: list(info.accepted),
        rejected: list(info.rejected),
      };
    },
    close: () => transport.close(),
  };
}

const TRANSIENT_CODES = new Set([
  'ECONNECTION',
  'ETIMEDOUT',
  'ESOCKET',
  'EDNS',
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EAI_AGAIN',
]);

/** Worth another try: the relay could not be reached, or answered 4xx ("try again later"). */
export function isTransientMailError(e: unknown): boolean {
  const err = e as { code?: string; responseCode?: number; cause?: unknown };
  if (typeof err?.responseCode === 'number') return err.responseCode >= 400 && err.responseCode < 500;
  if (err?.code && TRANSIENT_CODES.has(err.code)) return true;
  return err?.cause !== undefined && err.cause !== e ? isTransientMailError(err.cause) : false;
}

export interface RetryOptions {
  /** Pauses before each retry; the number of retries is its length. Default 2 s, 10 s, 30 s. */
  delaysMs?: number[];
  signal?: AbortSignal;
  onRetry?: (attempt: number, error: unknown, delayMs: number) => void;
}

const DEFAULT_RETRY_DELAYS_MS = [2_000, 10_000, 30_000];

/** Runs `fn`, retrying transient failures after the given pauses; the last error is thrown. */
export async function withRetry<T>(
  fn: () => Promise<T>,
  transient: (e: unknown) => boolean,
  opts: RetryOptions = {},
): Promise<T> {
  const delays = opts.delaysMs ?? DEFAULT_RETRY_DELAYS_MS;
  for (let attempt = 0; ; attempt++) {
    try {
      return await fn();
    } catch (e) {
      if (attempt >= delays.length || !transient(e) || opts.signal?.aborted) throw e;
      opts.onRetry?.(attempt + 1, e, delays[attempt]);
      await sleep(delays[attempt], opts.signal);
    }
  }
}

export function errorText(e: unknown): string {
  const err = e as { message?: string; response?: string; code?: string };
  const base = err?.message ?? String(e);
  return err?.code && !base.includes(err.code) ? `${err.code}: ${base}` : base;
}
