import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';

// A real SMTP server on loopback for the mail tests: records every message as it arrived (envelope
// and raw text), or refuses every connection with a transient 421 ("down for maintenance").

export interface ReceivedMail {
  from: string;
  /** Envelope recipients: To, Cc and Bcc alike. */
  rcpt: string[];
  raw: string;
  header(name: string): string | undefined;
  /** The decoded text of the whole message (quoted-printable undone), for content checks. */
  body: string;
}

export interface TestSmtp {
  port: number;
  received: ReceivedMail[];
  /** Connections seen, refused ones included. */
  connections: number;
  /** true: answer every connection 421. */
  refuse: boolean;
  close(): Promise<void>;
}

function unfoldHeaders(raw: string): Map<string, string> {
  const head = raw.split(/\r?\n\r?\n/)[0].replace(/\r?\n[ \t]+/g, ' ');
  const out = new Map<string, string>();
  for (const line of head.split(/\r?\n/)) {
    const i = line.indexOf(':');
    if (i > 0 && !out.has(line.slice(0, i).toLowerCase()))
      out.set(line.slice(0, i).toLowerCase(), line.slice(i + 1).trim());
  }
  return out;
}

function decodeQuotedPrintable(s: string): string {
  return s
    .replace(/=\r?\n/g, '')
    .replace(/=([0-9A-F]{2})/g, (_m, h: string) => String.fromCharCode(parseInt(h, 16)));
}

export async function startSmtp(): Promise<TestSmtp> {
  const t: TestSmtp = { port: 0, received: [], connections: 0, refuse: false, close: async () => {} };
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS', 'AUTH'],
    logger: false,
    onConnect(_session, cb) {
      t.connections++;
      if (t.refuse) {
        const err = Object.assign(new Error('Service not available, try again later'), { responseCode: 421 });
        return cb(err);
      }
      cb();
    },
    onData(stream, session, cb) {
      let raw = '';
      stream.setEncoding('utf8');
      stream.on('data', (d: string) => (raw += d));
      stream.on('end', () => {
        const headers = unfoldHeaders(raw);
        t.received.push({
          from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
          rcpt: session.envelope.rcptTo.map((r) => r.address),
          raw,
          header: (name) => headers.get(name.toLowerCase()),
          body: decodeQuotedPrintable(raw),
        });
        cb();
      });
    },
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.port = (server.server.address() as AddressInfo).port;
  t.close = () => new Promise<void>((resolve) => server.close(() => resolve()));
  return t;
}
