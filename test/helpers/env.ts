import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseConfig } from '../../src/config/load.js';
import type { Config } from '../../src/config/schema.js';
import type { SystemParameters } from '../../src/db/params.js';
import { Writable } from 'node:stream';
import pino from 'pino';
import { silentLogger, type Logger } from '../../src/log/logger.js';

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

/** A debug-level logger that keeps every JSON line in `lines`, for tests that wait on a log line. */
export function memoryLog(lines: string[]): Logger {
  const sink = new Writable({
    write(chunk, _enc, cb) {
      lines.push(String(chunk));
      cb();
    },
  });
  return pino({ level: 'debug' }, sink);
}

/**
 * The day servers under test take as today (buildServer's `now`): release dates are judged
 * against it, so what is proprietary does not change with the date the suite runs on.
 */
export const TODAY = '2026-06-15';
export const testClock = (): Date => new Date(`${TODAY}T12:00:00Z`);
/** Release dates on either side of TODAY. */
export const FUTURE = '2026-06-16';
export const PAST = '2020-01-01';

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
