import type { Config } from '../config/schema.js';
import type { Db } from '../db/pool.js';
import type { Logger } from '../log/logger.js';
import type { Storage } from '../storage/types.js';
import type { Access } from './access.js';
import type { AnswerCache } from './answercache.js';
import type { DecompressedCache } from './decompressedcache.js';

// What the server is built from and what each route plugin receives: the types every route
// imports, kept apart from buildServer so a route does not import the application that mounts it.

export interface ServerDeps {
  config: Config;
  db: Db;
  storage: Storage;
  log: Logger;
}

/** What every route plugin receives. */
export interface RouteContext extends ServerDeps {
  access: Access;
  /** Anonymous JSON API answers, kept until the data change. */
  answers: AnswerCache;
  /** Decompressed copies of .bz2-stored files, for downloads asked without .bz2. */
  decompressed?: DecompressedCache;
  /** Work started by a request that outlives it (upload hand-off); awaited on close. */
  background(work: Promise<unknown>): void;
}
