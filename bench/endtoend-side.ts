import { parseConfig } from '../src/config/load.js';
import { createPool } from '../src/db/pool.js';
import { createLogger } from '../src/log/logger.js';
import { startArchive, startSummit } from '../src/cli/up/pipeline.js';
import { LocalStorage } from '../src/storage/local.js';

// One side of the end-to-end bench, forked by it with IPC:
//   node --import tsx bench/endtoend-side.ts <summit|archive> <config json> <database url>
// Runs the daemons `fitsstore up` runs for that side (cli/up/pipeline.ts) until {cmd:'exit'}.
// Replies {ready, url} once listening.

const [side, rawConfig, dbUrl] = process.argv.slice(2);
const config = parseConfig(JSON.parse(rawConfig), `${side} of the end-to-end bench`);
const log = createLogger({ logDir: config.paths.log_dir, command: `bench-${side}`, demon: true });
const db = createPool(dbUrl, 12);
const ac = new AbortController();
const deps = {
  config,
  db,
  dbUrl,
  storage: new LocalStorage(config.paths.storage_root),
  log,
  signal: ac.signal,
};
const running = side === 'archive' ? await startArchive(deps) : await startSummit({ ...deps, serve: false });
process.on('message', async (m: { cmd?: string }) => {
  if (m.cmd !== 'exit') return;
  ac.abort();
  await running.stopped;
  await db.end();
  process.exit(0);
});
process.send?.({ ready: true, url: running.url });
