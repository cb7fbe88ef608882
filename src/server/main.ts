import { ConfigError, loadConfig } from '../config/load.js';
import { parseArgs } from 'node:util';
import { openDatabase, requireDatabase } from '../db/connect.js';
import { EmbeddedError } from '../db/embedded.js';
import { createLogger } from '../log/logger.js';
import { openStorage } from '../storage/index.js';
import { publicUrlWarning } from '../ops/doctor-host.js';
import { ingestLeftovers } from '../services/archive/ingestuploaded.js';
import { removeOrphanTemps } from '../storage/local.js';
import { buildServer } from './app.js';

// fitsstore-server: configuration → database → store → Fastify, listening until SIGTERM/SIGINT,
// then a graceful close: stop accepting, finish requests and upload hand-offs, close the pool.
//
//   fitsstore-server [--config FILE] [--port N] [--host H] [--demon] [--debug]

const USAGE = `Usage: fitsstore-server [--config FILE] [--port N] [--host H] [--demon] [--debug]

The archive's HTTP server (the Gemini wire protocol, search pages, downloads, status pages).

Options:
  --config FILE  configuration file (JSON); default $FITSSTORE_CONFIG or /etc/fitsstore/config.json
  --port N       listen on this port (default server.port)
  --host H       listen on this address (default server.host)
  --demon        no terminal output; log file only
  --debug        log at debug level
  -h, --help     show this help and exit
`;

/** Options, or exit: --help → usage, exit 0; a usage error → message, exit 2 (nothing started). */
function parseOptions() {
  try {
    return parseArgs({
      args: process.argv.slice(2),
      strict: true,
      allowPositionals: false,
      options: {
        config: { type: 'string' },
        port: { type: 'string' },
        host: { type: 'string' },
        demon: { type: 'boolean' },
        debug: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    }).values;
  } catch (e) {
    process.stderr.write(`fitsstore-server: ${(e as Error).message}\n${USAGE}`);
    process.exit(2);
  }
}

async function main(): Promise<void> {
  const opts = parseOptions();
  if (opts.help) {
    process.stdout.write(USAGE);
    process.exit(0);
  }
  let config;
  let database;
  try {
    const server: Record<string, unknown> = {};
    if (opts.port !== undefined) {
      const port = Number(opts.port);
      if (!Number.isInteger(port) || port < 0 || port > 65535)
        throw new ConfigError(`--port: expected a port number, got ${JSON.stringify(opts.port)}`);
      server.port = port;
    }
    if (opts.host !== undefined) server.host = opts.host;
    config = loadConfig({ file: opts.config, overrides: Object.keys(server).length ? { server } : {} });
    requireDatabase(config);
  } catch (e) {
    if (e instanceof ConfigError) {
      process.stderr.write(`fitsstore-server: ${e.message}\n`);
      process.exit(2);
    }
    throw e;
  }
  const log = createLogger({
    logDir: config.paths.log_dir,
    command: 'fitsstore-server',
    debug: opts.debug,
    demon: opts.demon,
  });
  try {
    database = await openDatabase(config, { log: (m) => log.info(m) });
  } catch (e) {
    if (e instanceof EmbeddedError) {
      process.stderr.write(`fitsstore-server: ${e.message}\n`);
      process.exit(1);
    }
    throw e;
  }
  const storage = await openStorage(config);
  const app = buildServer({ config, db: database.db, storage, log });

  let closing = false;
  const stop = async (sig: string) => {
    if (closing) process.exit(130); // a second signal: stop at once
    closing = true;
    log.info(`${sig} received: closing (finishing requests and upload hand-offs)`);
    try {
      await app.close();
      await database.close();
    } finally {
      log.flush();
      process.exit(0);
    }
  };
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));

  const warning = publicUrlWarning(config);
  if (warning) log.warn(warning);
  // A kill -9 during the store's write of an upload leaves its temp file in the store's top level
  // (where uploads go): removed before anything else looks there.
  const storeDir = storage.localPath('');
  if (storeDir) {
    const gone = await removeOrphanTemps(storeDir);
    if (gone.length)
      log.info({ removed: gone }, `store: ${gone.length} temp file(s) of dead writers removed`);
  }
  // Uploads a kill -9 left in staging: complete ones (received, not yet stored and queued) are
  // stored and queued now; partial ones (their sender was never answered) are removed.
  void ingestLeftovers({ config, db: database.db, storage, log }, { minAgeSeconds: 0, abandonedSeconds: 0 })
    .then((r) => {
      if (r.queued + r.failed + r.removedPartial > 0)
        log.info(r, 'upload staging: leftovers from before the start handled');
    })
    .catch((e) => log.error({ err: e }, `upload staging catch-up failed: ${(e as Error).message}`));

  const address = await app.listen({ host: config.server.host, port: config.server.port });
  log.info({ storage: storage.kind, role: config.role }, `fitsstore-server listening on ${address}`);
}

main().catch((e) => {
  process.stderr.write(`fitsstore-server: ${e instanceof Error ? e.stack : e}\n`);
  process.exit(1);
});
