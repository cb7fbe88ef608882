import { createHash } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { decompressBuffer } from '../../src/fits/bzip2.js';

// A stand-in destination archive speaking just enough of the protocol to test export against:
// jsonfilelist answers from a table, upload_file records what arrived, and either can be told to
// misbehave (HTTP 500, hang, echo a wrong md5, refuse the cookie).

export type UploadMode = 'ok' | 'error500' | 'hang' | 'wrong-md5' | 'wrong-size';

export interface Received {
  name: string;
  size: number;
  md5: string;
  /** md5 of the bunzip2'd bytes (the data md5), when they were bzip2. */
  dataMd5: string | null;
  cookie: string | undefined;
}

export interface FakeArchive {
  url: string;
  port: number;
  /** data_md5 per file name (without .bz2), as the archive would list it. */
  have: Map<string, string>;
  pending: Set<string>;
  received: Received[];
  lookups: string[];
  uploadMode: UploadMode;
  listMode: 'ok' | 'error500';
  /** Cookie value required on uploads (403 otherwise); undefined: none required. */
  cookie?: string;
  close(): Promise<void>;
}

export async function startFakeArchive(port = 0): Promise<FakeArchive> {
  const fa: FakeArchive = {
    url: '',
    port: 0,
    have: new Map(),
    pending: new Set(),
    received: [],
    lookups: [],
    uploadMode: 'ok',
    listMode: 'ok',
    close: async () => {
      server.closeAllConnections();
      await new Promise((r) => server.close(() => r(null)));
    },
  };
  const server = http.createServer((req, res) => {
    const u = new URL(req.url ?? '/', 'http://x');
    if (req.method === 'GET' && u.pathname.startsWith('/jsonfilelist/present/filename=')) {
      const name = decodeURIComponent(u.pathname.slice('/jsonfilelist/present/filename='.length));
      fa.lookups.push(name);
      if (fa.listMode === 'error500') {
        res.writeHead(500).end('Internal Server Error');
        return;
      }
      const md5 = fa.have.get(name);
      const list =
        md5 || fa.pending.has(name)
          ? [{ name, filename: `${name}.bz2`, data_md5: md5 ?? null, pending_ingest: fa.pending.has(name) }]
          : [];
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(list));
      return;
    }
    if (req.method === 'POST' && u.pathname.startsWith('/upload_file/')) {
      const name = decodeURIComponent(u.pathname.slice('/upload_file/'.length));
      const cookie = /gemini_fits_upload_auth=([^;]*)/.exec(req.headers.cookie ?? '')?.[1];
      if (fa.cookie !== undefined && cookie !== fa.cookie) {
        res.writeHead(403).end('Forbidden');
        req.resume();
        return;
      }
      const h = createHash('md5');
      const chunks: Buffer[] = [];
      let size = 0;
      req.on('data', (c: Buffer) => {
        h.update(c);
        chunks.push(c);
        size += c.length;
      });
      req.on('end', async () => {
        const md5 = h.digest('hex');
        const body = Buffer.concat(chunks);
        const un = name.endsWith('.bz2') ? await decompressBuffer(body).catch(() => null) : null;
        const dataMd5 = un ? createHash('md5').update(un).digest('hex') : null;
        if (fa.uploadMode === 'hang') return; // never answer
        if (fa.uploadMode === 'error500') {
          res.writeHead(500).end('Internal Server Error');
          return;
        }
        fa.received.push({ name, size, md5, dataMd5, cookie });
        if (dataMd5) fa.have.set(name.replace(/\.bz2$/, ''), dataMd5);
        const echo = {
          filename: name,
          path: '',
          size: fa.uploadMode === 'wrong-size' ? size + 1 : size,
          md5: fa.uploadMode === 'wrong-md5' ? '0'.repeat(32) : md5,
        };
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify([echo]));
      });
      return;
    }
    res.writeHead(404).end('not found');
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  fa.port = (server.address() as AddressInfo).port;
  fa.url = `http://127.0.0.1:${fa.port}`;
  return fa;
}

/** A loopback port nothing listens on (yet). */
export async function freePort(): Promise<number> {
  const s = http.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  const port = (s.address() as AddressInfo).port;
  await new Promise((r) => s.close(() => r(null)));
  return port;
}
