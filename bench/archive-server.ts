import { mkdtempSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { parseConfig } from '../src/config/load.js';
import { createPool } from '../src/db/pool.js';
import { silentLogger } from '../src/log/logger.js';
import { buildServer } from '../src/server/app.js';
import { LocalStorage } from '../src/storage/local.js';

// A bench archive server in a process of its own (forked with IPC by the archive benches):
// buildServer, role archive, upload_auth from argv[3], LocalStorage in a temp dir, database
// argv[2], pool size argv[4], answer cache argv[5] MB. Sends {ready: true, port} once listening; {cmd: 'exit'} closes it.

const [url, secret = 'bench-upload-secret', poolSize = '10', cacheMb = '256'] = process.argv.slice(2);
const dir = mkdtempSync(path.join(os.tmpdir(), 'fitsstore-bench-archive-'));
const config = parseConfig({
  role: 'archive',
  server: { upload_auth: secret, answer_cache_mb: Number(cacheMb) },
  paths: {
    var_dir: dir,
    storage_root: path.join(dir, 'store'),
    upload_staging: path.join(dir, 'staging'),
    log_dir: dir,
    lock_dir: dir,
    dhs_dir: path.join(dir, 'dhs'),
  },
});
const db = createPool(url, Number(poolSize));
const app = buildServer({
  config,
  db,
  storage: new LocalStorage(config.paths.storage_root),
  log: silentLogger(),
});
await app.listen({ host: '127.0.0.1', port: 0 });
process.send?.({ ready: true, port: (app.server.address() as AddressInfo).port });
process.on('message', async (m: { cmd?: string }) => {
  if (m.cmd !== 'exit') return;
  await app.close();
  await db.end();
  rmSync(dir, { recursive: true, force: true });
  process.exit(0);
});
process.on('disconnect', () => process.exit(0));
