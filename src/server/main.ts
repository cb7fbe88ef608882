import { ConfigError, loadConfig } from '../config/load.js';
import { openDatabase } from '../db/connect.js';
import { createLogger } from '../log/logger.js';
import { openStorage } from '../storage/index.js';
import { publicUrlWarning } from '../ops/doctor-host.js';
import { ingestLeftovers } from '../services/ingestuploaded.js';
import { buildServer } from './app.js';

// fitsstore-server: configuration → database → store → Fastify, listening until SIGTERM/SIGINT,
// then a graceful close: stop accepting, finish requests and upload hand-offs, close the pool.
//
//   fitsstore-server [--config FILE] [--port N] [--host H] [--demon] [--debug]

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  if (i >= 0) return process.argv[i + 1];
  const eq = process.argv.find((a) => a.startsWith(name + '='));
  return eq?.slice(name.length + 1);
}

export async function main(): Promise<void> {
  let config;
  try {
    const server: Record<string, unknown> = {};
    if (arg('--port') !== undefined) server.port = Number(arg('--port'));
    if (arg('--host') !== undefined) server.host = arg('--host');
    config = loadConfig({ file: arg('--config'), overrides: Object.keys(server).length ? { server } : {} });
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
    debug: process.argv.includes('--debug'),
    demon: process.argv.includes('--demon'),
  });
  const database = await openDatabase(config, { log: (m) => log.info(m) });
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
