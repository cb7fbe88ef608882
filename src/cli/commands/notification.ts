import { readFile } from 'node:fs/promises';
import type { Command } from 'commander';
import type { NotificationFields } from '../../services/mail/notifications.js';
import { commonOptions, EXIT, runCommand, UsageError } from '../context.js';
import { printJson, printTable } from '../output.js';

// `fitsstore notification list|add|edit|delete|import`: the rows you-got-data-email works from.

function parseId(v: string): number {
  const n = Number(v);
  if (!Number.isSafeInteger(n) || n <= 0) throw new UsageError(`not a notification id: "${v}"`);
  return n;
}

/** A selection the archive would not fully understand is refused unless --force. */
async function checkSelection(selection: string | undefined, force: boolean): Promise<void> {
  if (selection === undefined) return;
  const { selectionProblem } = await import('../../services/mail/notifications.js');
  const problem = selectionProblem(selection);
  if (problem && !force) throw new UsageError(`${problem} (use --force to store it anyway)`);
}

/** Options shared by add and edit; an empty string clears an address field. */
function fieldOptions(cmd: Command): Command {
  return cmd
    .option('--label <label>', 'what the row is called (ODB rows: "Auto - <progid>")')
    .option('--selection <selection>', 'archive selection, e.g. GN-2019A-FT-211/science')
    .option('--pi <addresses>', 'PI e-mail address(es)')
    .option('--ngo <addresses>', 'NGO e-mail address(es)')
    .option('--cs <addresses>', 'contact scientist e-mail address(es)')
    .option('--internal', 'mark as internal')
    .option('--no-internal', 'mark as not internal')
    .option('--force', 'store a selection with unrecognised terms');
}

function fieldsFrom(opts: Record<string, unknown>): Partial<NotificationFields> {
  const out: Partial<NotificationFields> = {};
  const text = (v: unknown) => (v === '' ? null : (v as string));
  if (opts.label !== undefined) out.label = String(opts.label);
  if (opts.selection !== undefined) out.selection = String(opts.selection).replace(/^\/+|\/+$/g, '');
  if (opts.pi !== undefined) out.piemail = text(opts.pi);
  if (opts.ngo !== undefined) out.ngoemail = text(opts.ngo);
  if (opts.cs !== undefined) out.csemail = text(opts.cs);
  if (opts.internal !== undefined) out.internal = Boolean(opts.internal);
  return out;
}

export function register(program: Command) {
  const n = program
    .command('notification')
    .description('New-data e-mail notifications: list, add, edit, delete, import from the ODB');

  commonOptions(
    n
      .command('list')
      .description('List notifications (runbook: select * from notification where selection like ...)')
      .option('--like <text>', 'only rows whose label or selection contains this')
      .option('--json', 'machine-readable output'),
  ).action(async (opts) => {
    await runCommand(
      'notification',
      opts,
      async (ctx) => {
        const { listNotifications } = await import('../../services/mail/notifications.js');
        const rows = await listNotifications((await ctx.database()).db, { like: opts.like });
        if (opts.json) printJson(rows);
        else
          printTable(
            ['id', 'label', 'selection', 'piemail', 'ngoemail', 'csemail', 'internal'],
            rows.map((r) => [r.id, r.label, r.selection, r.piemail, r.ngoemail, r.csemail, r.internal]),
          );
      },
      { fileless: true },
    );
  });

  commonOptions(
    fieldOptions(n.command('add').description('Add a notification (--label and --selection required)')),
  ).action(async (opts) => {
    await runCommand('notification', opts, async (ctx) => {
      const { insertNotification } = await import('../../services/mail/notifications.js');
      const f = fieldsFrom(opts);
      if (!f.label || !f.selection) throw new UsageError('add needs --label and --selection');
      await checkSelection(f.selection, Boolean(opts.force));
      const row = await insertNotification((await ctx.database()).db, {
        label: f.label,
        selection: f.selection,
        piemail: f.piemail ?? null,
        ngoemail: f.ngoemail ?? null,
        csemail: f.csemail ?? null,
        internal: f.internal ?? false,
      });
      ctx.log.info(`added notification ${row.id}: ${row.label}`);
      printJson(row);
    });
  });

  commonOptions(
    fieldOptions(n.command('edit').argument('<id>').description('Change fields of a notification')),
  ).action(async (id: string, opts) => {
    await runCommand('notification', opts, async (ctx) => {
      const { updateNotification } = await import('../../services/mail/notifications.js');
      const f = fieldsFrom(opts);
      if (Object.keys(f).length === 0)
        throw new UsageError(
          'nothing to change: give --label, --selection, --pi, --ngo, --cs or --[no-]internal',
        );
      await checkSelection(f.selection, Boolean(opts.force));
      const row = await updateNotification((await ctx.database()).db, parseId(id), f);
      if (!row) throw new UsageError(`no notification ${id}`);
      ctx.log.info(`updated notification ${row.id}`);
      printJson(row);
    });
  });

  commonOptions(n.command('delete').argument('<id>').description('Delete a notification')).action(
    async (id: string, opts) => {
      await runCommand('notification', opts, async (ctx) => {
        const { deleteNotification, getNotification } = await import('../../services/mail/notifications.js');
        const db = (await ctx.database()).db;
        const row = await getNotification(db, parseId(id));
        if (!row || !(await deleteNotification(db, row.id))) throw new UsageError(`no notification ${id}`);
        ctx.log.info(`deleted notification ${row.id}: ${row.label}`);
      });
    },
  );

  commonOptions(
    n
      .command('import')
      .argument(
        '<source>',
        'ODB program XML: a file, - for stdin, or an http(s) URL (e.g. http://gnodb:8442/odbbrowser/programs?programSemester=2025A)',
      )
      .description(
        'Load notifications from the ODB program export: add "Auto - <progid>" rows, update e-mails, delete when notifyPi is No',
      )
      .option('--dryrun', 'report what would change; change nothing')
      .option('--json', 'machine-readable report'),
  ).action(async (source: string, opts) => {
    await runCommand('notification-import', opts, async (ctx) => {
      const { importOdbXml } = await import('../../services/mail/notifications.js');
      const xml = await readSource(source);
      const report = await importOdbXml((await ctx.database()).db, xml, { dryrun: opts.dryrun });
      if (opts.json) printJson(report);
      else for (const line of report.lines) ctx.log.info(`${opts.dryrun ? '(dry run) ' : ''}${line}`);
      return report.errors.length ? EXIT.PROBLEMS : EXIT.OK;
    });
  });
}

async function readSource(source: string): Promise<string> {
  if (/^https?:\/\//i.test(source)) {
    const res = await fetch(source, { signal: AbortSignal.timeout(120_000) });
    if (!res.ok) throw new Error(`${source}: HTTP ${res.status}`);
    return res.text();
  }
  if (source === '-') {
    const chunks: Buffer[] = [];
    for await (const c of process.stdin) chunks.push(c as Buffer);
    return Buffer.concat(chunks).toString('utf8');
  }
  return readFile(source, 'utf8');
}
