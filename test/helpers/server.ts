import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import type { Db } from '../../src/db/pool.js';
import { waitFor } from './wait.js';

/** Waits until the upload's hand-off to ingest has finished, one way or the other. */
export function handedOff(db: Db, filename: string) {
  return waitFor(
    async () => {
      const r = await db.query(
        'SELECT * FROM fileuploadlog WHERE filename = $1 AND processed_cleanly IS NOT NULL ORDER BY id DESC LIMIT 1',
        [filename],
      );
      return r.rows[0];
    },
    { what: `hand-off of ${filename}` },
  );
}

export async function listen(app: FastifyInstance): Promise<string> {
  await app.listen({ host: '127.0.0.1', port: 0 });
  return `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
}

/**
 * A raw POST that sends `sent` bytes of a declared `declared`-byte body and then drops the
 * connection, once `receiving()` says the server has begun taking the upload: an upload cut off
 * midway (not before the server saw it, however slow the machine).
 */
export async function cutOffPost(
  url: string,
  sent: Buffer,
  declared: number,
  cookie: string,
  receiving: () => Promise<boolean>,
): Promise<void> {
  const req = http.request(url, {
    method: 'POST',
    headers: { 'content-length': String(declared), cookie, 'content-type': 'application/octet-stream' },
  });
  req.on('error', () => {}); // the connection is dropped on purpose
  req.write(sent);
  try {
    await waitFor(receiving, { what: `the server to begin receiving ${url}` });
  } finally {
    req.destroy();
  }
}
