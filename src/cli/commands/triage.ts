import type { Command } from 'commander';
import type { TriageReport } from '../../ops/triage.js';
import { age, printJson, printTable } from '../output.js';
import { commonOptions, EXIT, runCommand } from '../context.js';
import { wholeNumber } from '../numbers.js';

export function register(program: Command): Command {
  return commonOptions(
    program
      .command('triage')
      .argument(
        '<filename>',
        'file name as the DHS writes it (N20200804S0091.fits), optionally with .bz2 or a store path',
      )
      .description(
        "Why is this file not where it should be? The support notes' triage in one report, with a verdict and the fixing command",
      )
      .option('--json', 'machine-readable output')
      .option('--no-search', 'do not search the whole store when the file is not at its expected key')
      .option('--timeout <ms>', 'per export destination', wholeNumber(1), 5000),
  ).action(async (filename: string, opts) => {
    await runCommand(
      'triage',
      opts,
      async (ctx) => {
        const { triage } = await import('../../ops/triage.js');
        const { db } = await ctx.database();
        const progress = process.stderr.isTTY && !opts.json;
        const r = await triage(filename, {
          db,
          storage: await ctx.storage(),
          config: ctx.config,
          search: opts.search,
          timeoutMs: opts.timeout,
          onProgress: progress
            ? (n) => process.stderr.write(`\rsearching the store: ${n} files listed`)
            : undefined,
        });
        if (progress && r.store.searchedTree) process.stderr.write('\r\x1b[K');
        if (opts.json) printJson(r);
        else print(r);
        return r.problems.length ? EXIT.PROBLEMS : EXIT.OK;
      },
      { fileless: true },
    );
  });
}

/** Who holds a queue row: only in-progress rows have a holder to judge (no "(undefined)"). */
export function workerCell(q: { worker: string | null; holder?: string }): string {
  if (!q.worker) return '';
  return q.holder ? `${q.worker} (${q.holder})` : `${q.worker} (last)`;
}

function print(r: TriageReport) {
  const out = (s: string) => process.stdout.write(s + '\n');
  const when = (d: Date | null | undefined) => (d ? `${new Date(d).toISOString()} (${age(d)} ago)` : '');
  out(`triage of ${r.filename} (looked for ${r.names.join(', ')}; role ${r.role})`);
  out(
    `DHS:   ${r.dhs.found ? `${r.dhs.dir}/${r.dhs.found.key}, ${r.dhs.found.size} bytes, modified ${when(r.dhs.found.lastmod)}` : `not in ${r.dhs.dir}${r.dhs.error ? ` (${r.dhs.error})` : ''}`}`,
  );
  if (r.store.found.length) {
    for (const f of r.store.found) out(`store: ${f.key}, ${f.size} bytes, modified ${when(f.lastmod)}`);
  } else out(`store: not found${r.store.searchedTree ? ' (whole store searched)' : ''}`);
  if (r.diskfiles.length) {
    printTable(
      ['diskfile', 'filename', 'path', 'present', 'canonical', 'size', 'file_md5', 'lastmod', 'entrytime'],
      r.diskfiles.map((d) => [
        d.id,
        d.filename,
        d.path,
        d.present,
        d.canonical,
        d.file_size,
        d.file_md5,
        d.lastmod,
        d.entrytime,
      ]),
    );
  } else out('diskfile: none');
  out(
    r.header
      ? `header: ${Object.entries(r.header)
          .map(([k, v]) => `${k}=${v instanceof Date ? v.toISOString() : v}`)
          .join(' ')}`
      : 'header: none',
  );
  if (r.queues.length) {
    printTable(
      ['queue', 'id', 'path / destination', 'state', 'added', 'tries', 'worker', 'error'],
      r.queues.map((q) => [
        q.queue,
        q.id,
        [q.path, q.destination].filter(Boolean).join(' → '),
        q.state,
        age(q.added) + ' ago',
        q.attempts,
        workerCell(q),
        (q.error ?? '').split('\n')[0].slice(0, 60),
      ]),
    );
  } else out('queues: no rows in any queue');
  for (const e of r.errors) out(`queue_error ${e.queue} ${age(e.added)} ago: ${e.error.split('\n')[0]}`);
  for (const e of r.exports) out(`export ${e.destination}: ${e.state} — ${e.detail}`);
  if (r.role === 'archive')
    out(
      `preview: ${r.preview.length ? r.preview.map((p) => p.filename).join(', ') : 'none'}; calcache rows: ${r.calcache ?? 'n/a'}`,
    );
  out(
    `live workers: ${
      Object.entries(r.liveWorkers)
        .map(([q, n]) => `${q} ${n}`)
        .join(', ') || 'none'
    }`,
  );
  for (const f of r.facts) out(`fact: ${f.source}: ${f.finding}`);
  for (const n of r.notes) out(`note: ${n}`);
  for (const p of r.problems.slice(1)) out(`also: ${p.problem}\n  fix: ${p.fix}`);
  out(r.verdict);
}
