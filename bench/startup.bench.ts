import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { benchDb, emit, main, median, nowMs, round, type BenchRow } from './lib.js';

// Start-up: what every cron line and operator command pays before doing anything. Whole
// processes, timed from outside with /usr/bin/time (elapsed seconds, peak RSS), interleaved with
// the baseline `node -e 0` so that both see the same machine. The daemon's readiness is the moment
// `service-queue ingest --debug` logs its first empty claim (connected, migrations checked,
// registered, LISTENing), read from its stderr; its peak RSS then from /proc.
// The compiled CLI (dist/) is what is measured: it is built first.

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const BIN = path.join(ROOT, 'bin/fitsstore');
const RUNS = Number(process.env.BENCH_STARTUP_RUNS ?? (process.env.BENCH_QUICK === '1' ? 5 : 11));

function timed(cmd: string[]): { s: number; mb: number } {
  const r = spawnSync('/usr/bin/time', ['-f', '%e %M', ...cmd], { encoding: 'utf8' });
  const last = r.stderr.trim().split('\n').pop() ?? '';
  const [s, kb] = last.split(' ').map(Number);
  if (!Number.isFinite(s)) throw new Error(`${cmd.join(' ')}: no timing (${r.stderr.slice(-300)})`);
  return { s, mb: kb / 1024 };
}

/** Spawn → first empty claim logged; peak RSS at that moment. */
function daemonReady(config: string): Promise<{ ms: number; mb: number }> {
  return new Promise((resolve, reject) => {
    const t0 = nowMs();
    const child = spawn(
      process.execPath,
      [BIN, 'service-queue', 'ingest', '--name', 'startup', '--debug', '--config', config],
      {
        stdio: ['ignore', 'ignore', 'pipe'],
      },
    );
    let err = '';
    let done = false;
    child.stderr.on('data', (d: Buffer) => {
      err += d.toString();
      if (!done && /nothing on ingestqueue/.test(err)) {
        done = true;
        const ms = nowMs() - t0;
        const status = readFileSync(`/proc/${child.pid}/status`, 'utf8');
        const kb = Number(/VmHWM:\s+(\d+)/.exec(status)?.[1] ?? NaN);
        child.kill('SIGTERM');
        child.once('exit', () => resolve({ ms, mb: kb / 1024 }));
      }
    });
    child.once('exit', (code) => {
      if (!done) reject(new Error(`service-queue exited (${code}) before it was ready: ${err.slice(-500)}`));
    });
  });
}

main(async () => {
  execFileSync('npx', ['tsc', '-p', 'tsconfig.build.json'], { cwd: ROOT, stdio: 'inherit' });
  if (!existsSync(path.join(ROOT, 'dist/cli/main.js')))
    throw new Error('dist/cli/main.js missing after the build');
  const t = await benchDb('startup', 2);
  const dir = mkdtempSync(path.join(os.tmpdir(), 'fitsstore-bench-startup-'));
  try {
    const config = path.join(dir, 'config.json');
    const p = (x: string) => path.join(dir, x);
    writeFileSync(
      config,
      JSON.stringify({
        database: { url: t.url },
        paths: {
          dhs_dir: p('dhs'),
          storage_root: p('store'),
          upload_staging: p('staging'),
          log_dir: p('logs'),
          lock_dir: p('lock'),
          var_dir: dir,
        },
      }),
    );
    const base: { s: number; mb: number }[] = [];
    const help: { s: number; mb: number }[] = [];
    const ready: { ms: number; mb: number }[] = [];
    timed([process.execPath, BIN, '--help']); // warm the page cache
    for (let i = 0; i < RUNS; i++) {
      base.push(timed([process.execPath, '-e', '0']));
      help.push(timed([process.execPath, BIN, '--help']));
      ready.push(await daemonReady(config));
    }
    const m = (xs: number[]) => median(xs);
    const baseS = m(base.map((x) => x.s));
    const helpS = m(help.map((x) => x.s));
    const helpMb = m(help.map((x) => x.mb));
    const readyS = m(ready.map((x) => x.ms)) / 1000;
    const rows: BenchRow[] = [
      {
        name: 'replaced system (FitsStorage v3, measured on this kind of machine): one process start',
        value: 1.75,
        unit: 's',
        detail: '~140–180 MiB per process',
      },
      {
        name: 'baseline: `node -e 0`',
        value: round(baseS, 3),
        unit: 's',
        detail: `peak RSS ${round(m(base.map((x) => x.mb)), 1)} MiB; runs ${base.map((x) => x.s).join(', ')}`,
      },
      {
        name: '`fitsstore --help`',
        value: round(helpS, 3),
        unit: 's',
        target: '≤ 0.15 s',
        pass: helpS <= 0.15,
        ratio: { of: '1.75 s of the replaced system', value: round(1.75 / helpS, 1) },
        detail: `${round(helpS - baseS, 3)} s over node -e 0; runs ${help.map((x) => x.s).join(', ')}`,
      },
      {
        name: '`fitsstore --help`, peak RSS',
        value: round(helpMb, 1),
        unit: 'MiB',
        target: '≤ 60 MiB',
        pass: helpMb <= 60,
      },
      {
        name: '`service-queue ingest` ready to claim (spawn → first empty claim)',
        value: round(readyS, 3),
        unit: 's',
        target: '≤ 0.5 s',
        pass: readyS <= 0.5,
        detail: `peak RSS ${round(m(ready.map((x) => x.mb)), 1)} MiB; runs ${ready.map((x) => round(x.ms / 1000, 3)).join(', ')}`,
      },
    ];
    emit({
      bench: 'startup',
      title: 'Start-up of the command line and of a daemon',
      method:
        `${RUNS} rounds, each running \`node -e 0\`, \`fitsstore --help\` (compiled dist/) and \`fitsstore service-queue ingest --debug\` ` +
        'against an empty queue, one after the other; /usr/bin/time gives elapsed seconds and peak RSS; the daemon is ready when its ' +
        'first empty claim is logged (it then gets SIGTERM). Medians shown.',
      rows,
      notes: [
        'Commands import their services, and the command context its configuration (zod), logging (pino), database (pg) and store, only when they run: `--help` loads commander and the command definitions, an ingest daemon never loads sharp, fastify, nodemailer or the AWS SDK.',
      ],
    });
  } finally {
    await t.drop();
    rmSync(dir, { recursive: true, force: true });
  }
});
