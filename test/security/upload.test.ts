import { createHash, randomBytes } from 'node:crypto';
import { createWriteStream, existsSync, readdirSync } from 'node:fs';
import http from 'node:http';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Config } from '../../src/config/schema.js';
import { buildServer } from '../../src/server/app.js';
import { bzip2, sampleFits } from '../../src/gemini/samples.js';
import { LocalStorage } from '../../src/storage/local.js';
import type { Storage } from '../../src/storage/types.js';
import { createTestDb, type TestDb } from '../helpers/db.js';
import { quietLog, tempDir, testConfig } from '../helpers/env.js';
import { listen } from '../helpers/server.js';

// The upload door, tried as an outsider holding the upload cookie would: keys outside the
// store's top level, bodies that are not FITS, bodies too big, and a store that fails. A 200 means
// stored and queued; anything else leaves nothing behind.

const SECRET = 'sec-upload-secret-0123456789abcdef';
const COOKIE = `gemini_fits_upload_auth=${SECRET}`;
const LIMIT = 200_000;
const md5 = (b: Buffer) => createHash('md5').update(b).digest('hex');
const fits = (serial: number, extra = 0) =>
  Buffer.concat([sampleFits({ date: '20240601', serial }), randomBytes(extra)]);

let t: TestDb;
let tmp: ReturnType<typeof tempDir>;
let config: Config;
let storage: LocalStorage;
let app: FastifyInstance;
let url: string;

beforeAll(async () => {
  t = await createTestDb('sec_upload');
  tmp = tempDir('sec_upload');
  config = testConfig(tmp.dir, { role: 'archive', server: { upload_auth: SECRET, upload_max_bytes: LIMIT } });
  storage = new LocalStorage(config.paths.storage_root);
  app = buildServer({ config, db: t.db, storage, log: quietLog });
  url = await listen(app);
});
afterAll(async () => {
  await app?.close();
  await t?.drop();
  tmp?.cleanup();
});
beforeEach(async () => {
  await t.db.query('TRUNCATE fileuploadlog, ingestqueue');
});

function leftovers(): string[] {
  const out: string[] = [];
  for (const root of [config.paths.upload_staging, config.paths.storage_root])
    if (existsSync(root)) out.push(...readdirSync(root, { recursive: true }).map(String));
  return out;
}

const post = (name: string, payload: Buffer | string, headers: Record<string, string> = {}) =>
  app.inject({
    method: 'POST',
    url: `/upload_file/${name}`,
    payload,
    headers: { cookie: COOKIE, ...headers },
  });

/** Nothing of these uploads in staging or the store (temporary files included), nor queued. */
async function nothingKept(...names: string[]) {
  expect(leftovers().filter((f) => names.some((n) => f.includes(n)))).toEqual([]);
  expect((await t.db.query('SELECT * FROM ingestqueue WHERE filename = ANY($1)', [names])).rowCount).toBe(0);
}

/** Sends headers only, then waits for the answer: the door must answer before any body arrives. */
function headersOnly(path: string, headers: Record<string, string>): Promise<number> {
  const u = new URL(url);
  return new Promise((resolve, reject) => {
    const req = http.request({ host: u.hostname, port: u.port, path, method: 'POST', headers, agent: false });
    req.on('response', (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
      req.destroy();
    });
    req.on('error', reject);
    req.flushHeaders();
  });
}

describe('upload keys', () => {
  for (const name of [
    'previews/N20240601S0001.jpg',
    'previews/N20240601S0001.fits',
    'calcache/x.fits',
    '.N20240601S0001.fits',
    'N20240601S0001.fits/..',
    'N20240601S0001.txt',
    `${'N'.repeat(130)}.fits`,
  ]) {
    it(`${name.slice(0, 40)} is refused (400) before a byte of the body is read`, async () => {
      const status = await headersOnly(`/upload_file/${name}`, {
        cookie: COOKIE,
        'content-length': '1000000',
      });
      expect(status).toBe(400);
      await nothingKept('N20240601S0001', 'NNNNNNNN');
    });
  }
});

describe('upload bodies', () => {
  it('an empty, non-FITS or bz2-of-non-FITS body is 400, with nothing stored or queued', async () => {
    const notFits = Buffer.alloc(5000, 'x');
    for (const [name, body] of [
      ['N20240601S0001.fits', Buffer.alloc(0)],
      ['N20240601S0001.fits', notFits],
      ['N20240601S0001.fits', Buffer.from('SIMPLE  =                    T')], // shorter than a block
      ['N20240601S0001.fits.bz2', bzip2(notFits)],
      ['N20240601S0001.fits.bz2', fits(1)], // not compressed at all
      ['N20240601S0001.fits', bzip2(fits(1))], // compressed under a plain name
    ] as const) {
      const r = await post(name, body);
      expect(r.statusCode, `${name} ${body.length}`).toBe(400);
      expect(r.body).toMatch(/FITS|bzip2|empty/);
    }
    await nothingKept('N20240601S0001');
  });

  it('FITS and bz2 of FITS are stored and queued before the 200 comes', async () => {
    for (const [name, body] of [
      ['N20240601S0002.fits', fits(2, 10_000)],
      ['N20240601S0003.fits.bz2', bzip2(fits(3, 10_000))],
    ] as const) {
      const r = await post(name, body);
      expect(r.statusCode).toBe(200);
      expect(r.json()).toEqual([{ filename: name, path: '', size: body.length, md5: md5(body) }]);
      // No waiting: durable and queued when answered.
      expect((await storage.stat(name))?.size).toBe(body.length);
      const q = await t.db.query('SELECT 1 FROM ingestqueue WHERE filename = $1', [name]);
      expect(q.rowCount).toBe(1);
    }
  });

  it('a declared size over the limit is 413 before the body is read', async () => {
    const status = await headersOnly('/upload_file/N20240601S0004.fits', {
      cookie: COOKIE,
      'content-length': String(1024 ** 3),
    });
    expect(status).toBe(413);
    await nothingKept('N20240601S0004');
  });

  it('a chunked body that grows past the limit is cut off with 413, nothing kept', async () => {
    const body = fits(5, LIMIT * 2);
    const res = await fetch(`${url}/upload_file/N20240601S0005.fits`, {
      method: 'POST',
      headers: { cookie: COOKIE },
      body: new Blob([body]).stream(),
      duplex: 'half',
    } as RequestInit).catch(() => null);
    // The server may close the connection while the client still sends: no answer is fine too.
    if (res) expect(res.status).toBe(413);
    const log = await t.db.query(`SELECT notes FROM fileuploadlog WHERE filename = 'N20240601S0005.fits'`);
    expect(log.rows[0].notes).toMatch(/larger than the limit/);
    await nothingKept('N20240601S0005');
  });
});

describe('a store that fails', () => {
  it('no space left in the store is 507 (not 4xx), nothing kept or queued', async () => {
    // The store's writes go to /dev/full: the kernel's own ENOSPC.
    const full: Storage = Object.assign(Object.create(storage), {
      write: async (_key: string, data: Readable) => {
        await pipeline(data, createWriteStream('/dev/full'));
        throw new Error('unreachable');
      },
    });
    const a = buildServer({ config, db: t.db, storage: full, log: quietLog });
    try {
      const r = await a.inject({
        method: 'POST',
        url: '/upload_file/N20240601S0006.fits',
        payload: fits(6, 100_000),
        headers: { cookie: COOKIE },
      });
      expect(r.statusCode).toBe(507);
      expect(r.body).toMatch(/no space/);
      await nothingKept('N20240601S0006');
    } finally {
      await a.close();
    }
  });
});
