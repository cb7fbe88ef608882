import { existsSync } from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import type { WritableValue } from '../../fits/write.js';
import type { HeaderUpdateValues } from '../../services/headers/headerupdate.js';
import {
  commonOptions,
  daemonOptions,
  EXIT,
  runCommand,
  UsageError,
  type CommandContext,
} from '../context.js';
import { printJson } from '../output.js';

// `service-header-updates`: the privileged worker that carries out POST /update_headers requests.
// `header set FILE KEY=VALUE ...`: the same change from the shell.

/** Value typing from the shell: numbers and T/F as FITS numbers and logicals; quote to keep a string. */
function shellValue(text: string): WritableValue {
  const quoted = /^'(.*)'$|^"(.*)"$/s.exec(text);
  if (quoted) return quoted[1] ?? quoted[2];
  if (text === 'T' || text === 'F') return text === 'T';
  if (/^[+-]?\d+$/.test(text) && Number.isSafeInteger(Number(text))) return Number(text);
  if (/^[+-]?(\d+\.\d*|\.\d+|\d+)([eE][+-]?\d+)?$/.test(text)) return Number(text);
  return text;
}

/** KEY=VALUE arguments → request values; qa_state, raw_site and release keep the API's meaning. */
function valuesFromArgs(args: string[]): HeaderUpdateValues {
  const values: HeaderUpdateValues = {};
  const generic: Array<[string, WritableValue]> = [];
  for (const arg of args) {
    const eq = arg.indexOf('=');
    if (eq <= 0) throw new UsageError(`expected KEY=VALUE, got "${arg}"`);
    const key = arg.slice(0, eq).trim();
    const value = arg.slice(eq + 1);
    const lower = key.toLowerCase();
    if (lower === 'qa_state' || lower === 'raw_site' || lower === 'release') values[lower] = value;
    else generic.push([key, shellValue(value)]);
  }
  if (generic.length) values.generic = generic;
  return values;
}

export function register(program: Command) {
  const svc = program
    .command('service-header-updates')
    .description(
      'Carry out header update requests (POST /update_headers): rewrite the files, queue them for ingest',
    )
    .option('--once', 'process the pending requests, then exit')
    .option('--empty', 'same as --once');
  daemonOptions(commonOptions(svc)).action(async (opts) => {
    await runCommand('service-header-updates', opts, async (ctx) => {
      const { serviceHeaderUpdates } = await import('../../services/headers/headerupdatequeue.js');
      const database = await ctx.database();
      const storage = await ctx.storage();
      const once = Boolean(opts.once || opts.empty);
      ctx.log.info(`servicing header_update${once ? ' until empty' : ''}`);
      const stats = await serviceHeaderUpdates({
        db: database.db,
        url: database.url,
        storage,
        log: ctx.log,
        name: opts.name,
        signal: ctx.signal,
        once,
      });
      ctx.log.info(stats, `stopped: ${stats.done} done, ${stats.failed} failed`);
      return once && stats.failed > 0 ? EXIT.PROBLEMS : EXIT.OK;
    });
  });

  const header = program
    .command('header')
    .description('Change FITS headers safely (temp file, verify, rename, re-ingest)');
  const set = header
    .command('set')
    .description(
      'Set keywords in the primary header of FILE: a file in the store (by name, or data label with --data-label) ' +
        'or a path on disk. KEY may be qa_state (pass|usable|fail|check|undefined), raw_site (iq70, ccany ...), ' +
        'release (YYYY-MM-DD) or any keyword; numbers and T/F are written as such, quote to keep a string',
    )
    .argument('<file>')
    .argument('<assignments...>', 'KEY=VALUE')
    .option('--reject-new', 'refuse to add keywords the header does not have')
    .option('--data-label', 'FILE is a data label')
    .option('--json', 'print the outcome as JSON');
  commonOptions(set).action(async (file: string, assignments: string[], opts) => {
    await runCommand('header-set', opts, async (ctx) => {
      const { editForValues } = await import('../../services/headers/headerupdate.js');
      const { claimRequest, processRequest, recordRequests, workerName } =
        await import('../../services/headers/headerupdatequeue.js');
      const values = valuesFromArgs(assignments);
      try {
        editForValues(values);
      } catch (e) {
        throw new UsageError((e as Error).message);
      }
      const onDisk = !opts.dataLabel && existsSync(file);
      if (onDisk) return setOnDisk(ctx, file, values, Boolean(opts.rejectNew), Boolean(opts.json));

      // A file in the store: recorded and processed exactly as a web request, so it is audited too.
      const database = await ctx.database();
      const storage = await ctx.storage();
      const item = opts.dataLabel ? { data_label: file, values } : { filename: file, values };
      const [id] = await recordRequests(
        database.db,
        [{ ...item, reject_new: Boolean(opts.rejectNew) }],
        `cli ${process.env.USER ?? ''}`.trim(),
      );
      const worker = workerName('header-set');
      const row = await claimRequest(database.db, worker, id);
      if (!row)
        throw new Error(`request ${id} was taken by a running service-header-updates; see header_update`);
      const out = await processRequest({ db: database.db, storage, log: ctx.log }, row, worker);
      if (opts.json) printJson(out);
      else if (!out.result) process.stderr.write(`fitsstore header set: ${out.error}\n`);
      return out.result ? EXIT.OK : EXIT.PROBLEMS;
    });
  });
}

/** A path given on the command line: edit it; queue ingest when it lies inside the store. */
async function setOnDisk(
  ctx: CommandContext,
  file: string,
  values: HeaderUpdateValues,
  rejectNew: boolean,
  json: boolean,
): Promise<number> {
  const { editForValues } = await import('../../services/headers/headerupdate.js');
  const { rewriteHeader } = await import('../../services/headers/headerrewrite.js');
  const { enqueueIngest } = await import('../../services/ingest/ingestqueue.js');
  const edit = editForValues(values);
  const result = await rewriteHeader(path.resolve(file), () => edit, { rejectNew });
  const root = path.resolve(ctx.config.paths.storage_root);
  const rel = path.relative(root, path.resolve(file));
  const inStore = ctx.config.storage.type === 'local' && !rel.startsWith('..') && !path.isAbsolute(rel);
  if (inStore && !result.unchanged) {
    const database = await ctx.database();
    const dir = path.dirname(rel);
    await enqueueIngest(database.db, [
      { filename: path.basename(rel), path: dir === '.' ? '' : dir, force_md5: true },
    ]);
  }
  if (json) printJson({ file, ...result, queuedForIngest: inStore && !result.unchanged });
  else {
    for (const c of result.changes)
      ctx.log.info(`${c.keyword}: ${c.action} ${c.before ?? ''} → ${c.after ?? ''}`);
    ctx.log.info(
      result.unchanged
        ? `${file}: already as asked`
        : `${file}: header ${result.inPlace ? 'patched in place' : 'rewritten'}`,
    );
  }
  return EXIT.OK;
}
