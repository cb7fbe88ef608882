import type { ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  appendFileSync,
  chmodSync,
  closeSync,
  createReadStream,
  ftruncateSync,
  mkdirSync,
  openSync,
  readdirSync,
  statSync,
  utimesSync,
  writeSync,
} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Writable } from 'node:stream';
import type { Queryable } from '../../src/db/pool.js';
import { headerBlocks, type CardInput } from '../../src/fits/write.js';
import { spawnCli, watch, writeConfig } from '../helpers/cli.js';
import { tempDir } from '../helpers/env.js';
import { waitFor } from '../helpers/wait.js';

// The fault suite's harness: daemons as real processes (killed for real), a checker for the one
// end state every fault must reach, and the tally the summary reporter prints after `npm test`.
//
// The end state, for every fault: each good file is one present, canonical diskfile with a header
// row whose md5 is the file's final content; each bad file has a queue_error row naming it; no
// queue row is left in_progress; no partial file sits under a real name in the store.

/** Where fault tests append one JSON line each; summary-reporter.ts reads and deletes it. */
export const FAULT_LOG = process.env.FITSSTORE_FAULT_LOG ?? path.join(os.tmpdir(), 'fitsstore-faults.jsonl');

export function recordFault(fault: string, processed: number, lost: number): void {
  appendFileSync(FAULT_LOG, JSON.stringify({ fault, processed, lost }) + '\n');
}

/** For faults that are pauses (a slow writer), and cleanup deadlines; tests wait with waitFor. */
export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Waits for `n` more passes of a copy-from-dhs daemon (started with --debug): "nothing else
 * happened to the file meanwhile" is then a fact about passes made, not a guess at how long a
 * pass takes on a loaded machine.
 */
export function morePasses(copier: Daemon, n = 3, timeout = 60_000) {
  const before = copier.lines(/Pass complete/).length;
  return waitFor(() => copier.lines(/Pass complete/).length >= before + n, {
    timeout,
    what: () => `${n} more passes of copy-from-dhs:\n${copier.output.slice(-1500)}`,
  });
}

export interface Daemon {
  child: ChildProcess;
  readonly output: string;
  waitFor(re: RegExp, timeoutMs?: number): Promise<void>;
  exited: Promise<number | null>;
  /** Lines of output matching re. */
  lines(re: RegExp): string[];
  running(): boolean;
}

/** A temp tree (dhs/, dataflow/, logs/, lock/), a config file, and the daemons started on it. */
export class Rig {
  readonly tmp = tempDir('faults');
  readonly dhs = path.join(this.tmp.dir, 'dhs');
  readonly store = path.join(this.tmp.dir, 'dataflow');
  readonly config: string;
  /** Command prefix the daemons run under: set when the store is mounted in a namespace. */
  enter: string[] = [];
  private children: Daemon[] = [];

  constructor(dbUrl: string, extra: { dhs?: Record<string, number>; config?: Record<string, unknown> } = {}) {
    mkdirSync(this.dhs, { recursive: true });
    mkdirSync(this.store, { recursive: true });
    // The embedded PostgreSQL runs as the postgres user: it must be able to walk into our tree.
    chmodSync(this.tmp.dir, 0o755);
    this.config = writeConfig(this.tmp.dir, {
      role: 'summit',
      database: { url: dbUrl },
      paths: {
        var_dir: this.tmp.dir,
        dhs_dir: this.dhs,
        storage_root: this.store,
        log_dir: path.join(this.tmp.dir, 'logs'),
        lock_dir: path.join(this.tmp.dir, 'lock'),
      },
      dhs: { min_age_seconds: 0.5, poll_seconds: 0.3, bad_after_seconds: 5, ...(extra.dhs ?? {}) },
      ...(extra.config ?? {}),
    });
  }

  start(args: string[]): Daemon {
    const child = spawnCli(args, { config: this.config, enter: this.enter });
    const w = watch(child);
    let exitCode: number | null | undefined;
    w.exited.then((c) => (exitCode = c));
    const d: Daemon = {
      child,
      get output() {
        return w.output;
      },
      waitFor: (re, timeoutMs = 90_000) => w.waitFor(re, timeoutMs),
      exited: w.exited,
      lines: (re) => w.output.split('\n').filter((l) => re.test(l)),
      running: () => exitCode === undefined && child.exitCode === null && child.signalCode === null,
    };
    this.children.push(d);
    return d;
  }

  /** copy-from-dhs, ready once it has said where it watches. */
  async copier(...args: string[]): Promise<Daemon> {
    const d = this.start(['copy-from-dhs', '--debug', ...args]);
    await d.waitFor(/watching/);
    return d;
  }

  /** An ingest worker, ready once it services the queue. */
  async ingester(name: string, ...args: string[]): Promise<Daemon> {
    const d = this.start(['service-queue', 'ingest', '--name', name, ...args]);
    await d.waitFor(/servicing ingestqueue/);
    return d;
  }

  /** SIGTERM everything still running and expect a clean exit (0). */
  async stopAll(): Promise<(number | null)[]> {
    const live = this.children.filter((d) => d.running());
    for (const d of live) d.child.kill('SIGTERM');
    return Promise.all(live.map((d) => d.exited));
  }

  /** SIGKILL whatever is still running. */
  async killAll() {
    for (const d of this.children) if (d.running()) d.child.kill('SIGKILL');
    await Promise.all(this.children.map((d) => Promise.race([d.exited, sleep(5000)])));
  }

  /** afterAll: SIGKILL leftovers, remove the tree. */
  async cleanup() {
    await this.killAll();
    this.tmp.cleanup();
  }
}

export function md5(buf: Buffer): string {
  return createHash('md5').update(buf).digest('hex');
}

export async function md5File(file: string): Promise<string> {
  const h = createHash('md5');
  await pipeline(
    createReadStream(file),
    new Writable({
      write(chunk, _e, cb) {
        h.update(chunk);
        cb();
      },
    }),
  );
  return h.digest('hex');
}

/** Hidden temporary files a write left behind (`.<name>.tmp-<pid>-<time>`). */
export function tempLeftovers(dir: string): string[] {
  return readdirSync(dir).filter((n) => n.startsWith('.') && n.includes('.tmp-'));
}

export interface Expected {
  /** Good files: name → md5 of the content that must end canonical. */
  good: Map<string, string>;
  /** Bad files: each must have a queue_error row naming it. */
  bad?: string[];
  /** Exact number of diskfile versions per file (default: one per distinct content, no duplicates). */
  versions?: Map<string, number>;
  /** Temp files that may remain (a SIGKILLed writer's); anything else hidden-temp is a problem. */
  allowTemp?: (name: string) => boolean;
}

export interface EndState {
  processed: number;
  lost: number;
  problems: string[];
}

/** Checks the fault suite's end state; `lost` counts files that did not get where they belong. */
export async function endState(db: Queryable, store: string, exp: Expected): Promise<EndState> {
  const problems: string[] = [];
  const lostNames = new Set<string>();
  const rows = (
    await db.query(
      `SELECT df.id, df.filename, df.present, df.canonical, df.file_md5,
              (SELECT count(*)::int FROM header h WHERE h.diskfile_id = df.id) AS headers
       FROM diskfile df ORDER BY df.id`,
    )
  ).rows as {
    id: number;
    filename: string;
    present: boolean;
    canonical: boolean;
    file_md5: string;
    headers: number;
  }[];
  const byName = new Map<string, typeof rows>();
  for (const r of rows) byName.set(r.filename, [...(byName.get(r.filename) ?? []), r]);

  for (const [name, want] of exp.good) {
    const versions = byName.get(name) ?? [];
    const live = versions.filter((v) => v.present && v.canonical);
    if (live.length !== 1) {
      problems.push(`${name}: ${live.length} present canonical versions (of ${versions.length})`);
      lostNames.add(name);
      continue;
    }
    if (live[0].file_md5 !== want) {
      problems.push(`${name}: canonical md5 ${live[0].file_md5}, expected ${want}`);
      lostNames.add(name);
    }
    if (live[0].headers !== 1) problems.push(`${name}: ${live[0].headers} header rows`);
    if (versions.some((v) => v !== live[0] && (v.present || v.canonical)))
      problems.push(`${name}: an older version is still present or canonical`);
    if (live[0].id !== versions[versions.length - 1].id)
      problems.push(`${name}: the canonical version is not the latest`);
    const n = exp.versions?.get(name);
    if (n !== undefined && versions.length !== n)
      problems.push(`${name}: ${versions.length} versions, expected ${n}`);
    const distinct = new Set(versions.map((v) => v.file_md5)).size;
    if (n === undefined && distinct !== versions.length)
      problems.push(`${name}: ${versions.length} versions for ${distinct} distinct contents (duplicates)`);
    let stored: string | null = null;
    try {
      stored = await md5File(path.join(store, name));
    } catch {
      problems.push(`${name}: missing from the store`);
      lostNames.add(name);
    }
    if (stored && stored !== want) {
      problems.push(`${name}: store holds md5 ${stored}, expected ${want}`);
      lostNames.add(name);
    }
  }

  const errors = (await db.query(`SELECT filename, error FROM queue_error`)).rows as {
    filename: string;
    error: string;
  }[];
  for (const name of exp.bad ?? []) {
    const e = errors.find((r) => r.filename === name);
    if (!e) {
      problems.push(`${name}: no queue_error row`);
      lostNames.add(name);
    } else if (!e.error.includes(name))
      problems.push(`${name}: queue_error does not name the file: ${e.error.slice(0, 200)}`);
    if ((byName.get(name) ?? []).some((v) => v.present))
      problems.push(`${name}: a bad file has a present diskfile`);
  }

  for (const table of ['ingestqueue', 'exportqueue']) {
    const r = await db.query(`SELECT filename, worker FROM ${table} WHERE in_progress`);
    for (const x of r.rows) problems.push(`${table}: ${x.filename} left in_progress by ${x.worker}`);
  }

  const known = new Set([...exp.good.keys(), ...(exp.bad ?? [])]);
  for (const n of readdirSync(store)) {
    const full = path.join(store, n);
    if (!statSync(full).isFile()) continue;
    if (n.startsWith('.')) {
      if (!(n.includes('.tmp-') && exp.allowTemp?.(n)))
        problems.push(`store: temporary file left behind: ${n}`);
    } else if (!known.has(n)) problems.push(`store: unexpected file ${n}`);
  }
  return { processed: known.size, lost: lostNames.size, problems };
}

/** Checks the end state, records it for the summary, and returns it for the test's assertions. */
export async function settle(fault: string, db: Queryable, store: string, exp: Expected): Promise<EndState> {
  const s = await endState(db, store, exp);
  recordFault(fault, s.processed, s.lost);
  return s;
}

/** Whether a file's bytes stand at the real name (not a temp) in the store. */
export function inStore(store: string, name: string): boolean {
  try {
    return statSync(path.join(store, name)).isFile();
  } catch {
    return false;
  }
}

export async function count(db: Queryable, sql: string, values: unknown[] = []): Promise<number> {
  const r = await db.query(sql, values);
  return Number(r.rows[0]?.n ?? 0);
}

/** Present canonical diskfiles among the given names. */
export async function ingestedCount(db: Queryable, names: string[]): Promise<number> {
  return count(
    db,
    `SELECT count(*) AS n FROM diskfile WHERE present AND canonical AND filename = ANY($1::text[])`,
    [names],
  );
}

export const FAST_PARAMS = `UPDATE system_parameters SET poll_seconds = 0.5, heartbeat_seconds = 0.5,
  dead_worker_seconds = 30, ingest_defer_seconds = 0, dhs_settle_seconds = 1`;

/**
 * A valid FITS file with a big, sparse data unit (fast to create, slow to copy or hash): long
 * enough work to kill a daemon in the middle of it. Returns the file size.
 */
export function writeBigFits(file: string, dataBytes: number, cards: CardInput[] = []): number {
  const header = headerBlocks([
    ['SIMPLE', true],
    ['BITPIX', 8],
    ['NAXIS', 1],
    ['NAXIS1', dataBytes],
    ['TELESCOP', 'Gemini-North'],
    ['INSTRUME', 'GMOS-N'],
    ...cards,
  ]);
  const size = header.length + dataBytes + ((2880 - (dataBytes % 2880)) % 2880);
  const fd = openSync(file, 'w');
  try {
    writeSync(fd, header);
    ftruncateSync(fd, size);
  } finally {
    closeSync(fd);
  }
  return size;
}

/** Sets a file's mtime (and atime) to now + offsetMs. */
export function setMtime(file: string, offsetMs: number): Date {
  const t = new Date(Date.now() + offsetMs);
  utimesSync(file, t, t);
  return t;
}
