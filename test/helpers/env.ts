import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseConfig } from '../../src/config/load.js';
import type { Config } from '../../src/config/schema.js';
import type { SystemParameters } from '../../src/db/params.js';
import { silentLogger } from '../../src/log/logger.js';

export function tempDir(label: string): { dir: string; cleanup(): void } {
  const dir = mkdtempSync(path.join(os.tmpdir(), `fitsstore-${label}-`));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** A config whose paths all live under one temp directory. */
export function testConfig(root: string, extra: Record<string, any> = {}): Config {
  return parseConfig({
    ...extra,
    paths: {
      dhs_dir: path.join(root, 'dhs'),
      storage_root: path.join(root, 'dataflow'),
      upload_staging: path.join(root, 'staging'),
      log_dir: path.join(root, 'logs'),
      lock_dir: path.join(root, 'lock'),
      var_dir: root,
      ...(extra.paths ?? {}),
    },
  });
}

export const quietLog = silentLogger();

export function fixedParams(over: Partial<SystemParameters> = {}): () => SystemParameters {
  const p: SystemParameters = {
    poll_seconds: 0.2,
    heartbeat_seconds: 0.5,
    dead_worker_seconds: 3,
    max_attempts: 3,
    ingest_defer_seconds: 0,
    export_retry_seconds: 1,
    dhs_settle_seconds: 1,
    updated_at: new Date(),
    updated_by: null,
    ...over,
  };
  return () => p;
}
