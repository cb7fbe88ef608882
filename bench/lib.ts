import { fork, type ChildProcess } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { startEmbedded, type EmbeddedHandle } from '../src/db/embedded.js';
import { migrate } from '../src/db/migrate.js';
import { createPool, type Db } from '../src/db/pool.js';

// What every bench shares: a scratch database, timing helpers, and the one output line
// (`BENCH {json}`) that bench/run.ts collects into docs/benchmarks.md.

/** One measured number. `ratio` compares it with another row measured in the same process run. */
export interface BenchRow {
  /** What was measured, e.g. "fitsstore engine (claim + complete), empty queue". */
  name: string;
  value: number;
  /** items/s, files/s, ms, MB/s, s ... */
  unit: string;
  /** The target as people say it: "≥ 1,500 items/s". */
  target?: string;
  /** value ÷ the baseline's value (or the inverse for times: always "how many times as good"). */
  ratio?: { of: string; value: number; target?: string };
  /** Did it meet its target(s)? Absent when the row has no target. */
  pass?: boolean;
  /** Free text: individual runs, spread, counts. */
  detail?: string;
}

export interface BenchResult {
  /** Short id, the file name without .bench.ts: "queue". */
  bench: string;
  title: string;
  /** How it was measured, in a sentence or two (layout, sizes, what is timed). */
  method: string;
  rows: BenchRow[];
  notes?: string[];
  /** Seconds the whole bench took, filled in by emit(). */
  seconds?: number;
}

const started = performance.now();

export function emit(result: BenchResult): void {
  result.seconds = Math.round((performance.now() - started) / 100) / 10;
  process.stdout.write(`BENCH ${JSON.stringify(result)}\n`);
}

/** Wall-clock milliseconds comparable across processes on one machine (sub-ms resolution). */
export function nowMs(): number {
  return performance.timeOrigin + performance.now();
}

export function percentile(sorted: number[], p: number): number {
  if (!sorted.length) return NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i];
}

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

export const round = (x: number, digits = 0) => Math.round(x * 10 ** digits) / 10 ** digits;
export const fmt = (x: number, digits = 0) =>
  x.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });

// ---- the database -----------------------------------------------------------------------------

let embedded: EmbeddedHandle | undefined;

/**
 * The server to create scratch databases on: $BENCH_DATABASE_URL, $TEST_DATABASE_URL, or the
 * embedded PostgreSQL (started here; run.ts starts it once and passes BENCH_DATABASE_URL down).
 */
export async function adminUrl(): Promise<string> {
  const url = process.env.BENCH_DATABASE_URL || process.env.TEST_DATABASE_URL;
  if (url) return url;
  embedded ??= await startEmbedded(path.join(os.tmpdir(), 'fitsstore-bench-pg'), 54333, 'postgres');
  return embedded.url;
}

/** Stops the embedded server if this process started it. */
export async function stopEmbedded(): Promise<void> {
  await embedded?.stop();
  embedded = undefined;
}

function withDatabase(url: string, name: string): string {
  const u = new URL(url);
  u.pathname = '/' + name;
  return u.toString();
}

export interface BenchDb {
  url: string;
  db: Db;
  /** Drops the scratch database (unless KEEP_BENCH_DB is set). */
  drop(): Promise<void>;
}

/** A fresh, migrated database of its own: bench_<label>_<pid>. */
export async function benchDb(label: string, poolSize = 10): Promise<BenchDb> {
  const admin = await adminUrl();
  const name = `bench_${label.replace(/\W/g, '_')}_${process.pid}`.toLowerCase();
  const c = new pg.Client({ connectionString: admin });
  await c.connect();
  try {
    await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await c.query(`CREATE DATABASE ${name}`);
  } finally {
    await c.end();
  }
  const url = withDatabase(admin, name);
  // What-if experiments only (never in the numbers of docs/benchmarks.md unless said there):
  // BENCH_SYNC_COMMIT=off makes every connection to the scratch database commit asynchronously.
  if (process.env.BENCH_SYNC_COMMIT) {
    const a = new pg.Client({ connectionString: admin });
    await a.connect();
    await a.query(
      `ALTER DATABASE ${name} SET synchronous_commit = ${process.env.BENCH_SYNC_COMMIT === 'off' ? 'off' : 'on'}`,
    );
    await a.end();
  }
  await migrate(url);
  const db = createPool(url, poolSize);
  return {
    url,
    db,
    drop: async () => {
      await db.end().catch(() => {});
      if (!process.env.KEEP_BENCH_DB) {
        const a = new pg.Client({ connectionString: admin });
        await a.connect();
        await a.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`).catch(() => {});
        await a.end();
      }
    },
  };
}

/**
 * Runs a bench's main, printing a clear error and exiting non-zero when it throws; stops an
 * embedded server this process started either way.
 */
export function main(fn: () => Promise<void>): void {
  fn().then(
    async () => {
      await stopEmbedded().catch(() => {});
      process.exit(0);
    },
    async (e) => {
      process.stderr.write(`${(e as Error)?.stack ?? e}\n`);
      await stopEmbedded().catch(() => {});
      process.exit(1);
    },
  );
}

/** Gemini-like names, unique per (date index, serial): N20250101S0001.fits ... */
export function benchName(i: number, site: 'N' | 'S' = 'N'): string {
  const day = Math.floor(i / 9999);
  const d = new Date(Date.UTC(2024, 0, 1) + day * 86_400_000);
  const ymd = d.toISOString().slice(0, 10).replace(/-/g, '');
  return `${site}${ymd}S${String((i % 9999) + 1).padStart(4, '0')}.fits`;
}

// ---- child processes --------------------------------------------------------------------------

type Message = Record<string, unknown>;

/** A forked `node --import tsx bench/<script>` with a small promise API over its IPC messages. */
export class Child {
  private waiters: {
    pred: (m: Message) => boolean;
    resolve: (m: Message) => void;
    reject: (e: Error) => void;
  }[] = [];
  private listeners: ((m: Message) => void)[] = [];
  private exited: Error | null = null;
  /** The child's {ready} message (it may carry more, e.g. a URL). */
  readyMessage: Message = {};

  private constructor(readonly proc: ChildProcess) {
    proc.on('message', (m: Message) => {
      for (const l of this.listeners) l(m);
      if (typeof m.error === 'string') {
        const e = new Error(`child ${proc.pid}: ${m.error}`);
        for (const w of this.waiters.splice(0)) w.reject(e);
        return;
      }
      const i = this.waiters.findIndex((w) => w.pred(m));
      if (i >= 0) this.waiters.splice(i, 1)[0].resolve(m);
    });
    proc.on('exit', (code, sig) => {
      this.exited = new Error(`child ${proc.pid} exited (${code ?? sig})`);
      for (const w of this.waiters.splice(0)) w.reject(this.exited);
    });
  }

  static async start(script: string, args: string[] = []): Promise<Child> {
    const proc = fork(fileURLToPath(new URL(script, import.meta.url)), args, {
      execArgv: ['--import', 'tsx'],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    const c = new Child(proc);
    c.readyMessage = await c.next((m) => m.ready === true);
    return c;
  }

  send(m: Message): void {
    this.proc.send(m);
  }

  onMessage(fn: (m: Message) => void): void {
    this.listeners.push(fn);
  }

  next(pred: (m: Message) => boolean = (m) => m.ok === true): Promise<Message> {
    if (this.exited) return Promise.reject(this.exited);
    return new Promise((resolve, reject) => this.waiters.push({ pred, resolve, reject }));
  }

  async request(m: Message, pred?: (m: Message) => boolean): Promise<Message> {
    const reply = this.next(pred);
    this.send(m);
    return reply;
  }

  async exit(): Promise<void> {
    if (this.exited) return;
    const gone = new Promise<void>((resolve) => this.proc.once('exit', () => resolve()));
    this.send({ cmd: 'exit' });
    const t = setTimeout(() => this.proc.kill('SIGKILL'), 5000);
    await gone;
    clearTimeout(t);
  }
}
