import type { Command } from 'commander';
import path from 'node:path';
import { printJson } from '../output.js';
import { commonOptions, EXIT, runCommand, UsageError } from '../context.js';
import { wholeNumber, decimalNumber } from '../numbers.js';

export function register(program: Command): Command {
  return commonOptions(
    program
      .command('doctor')
      .description(
        'Health of this server, one line per check (OK/WARN/FAIL): disks, database, daemons, queues, errors, destinations, config, backups',
      )
      .option('--email', 'also mail the report to mail.admin (the nightly cron job)')
      .option('--json', 'machine-readable output')
      .option('--warn-free <pct>', 'WARN below this % of free space or inodes', decimalNumber(0), 10)
      .option('--fail-free <pct>', 'FAIL below this % of free space or inodes', decimalNumber(0), 5)
      .option('--backlog-minutes <n>', 'WARN when a pending item has waited longer', decimalNumber(0), 60)
      .option('--backup-dir <dir>', 'where db backup writes (default <var_dir>/backups)')
      .option('--timeout <ms>', 'for the database and each destination', wholeNumber(1), 5000),
  ).action(async (opts) => {
    const { requireDatabase } = await import('../../db/connect.js');
    await runCommand(
      'doctor',
      opts,
      async (ctx) => {
        const { requireDatabase } = await import('../../db/connect.js');
        const { openDatabase } = await import('../../db/connect.js');
        const { defaultBackupDir } = await import('../../ops/backup.js');
        const { doctor, formatReport, mailReport } = await import('../../ops/doctor.js');
        if (!(opts.failFree <= opts.warnFree))
          throw new UsageError('--fail-free must not be above --warn-free');
        // No database configured is a configuration error (exit 2), not a FAIL line about an
        // embedded server nobody asked for.
        requireDatabase(ctx.config);
        const report = await doctor({
          config: ctx.config,
          // Not migrating: a pending migration is one of the things the doctor reports.
          connect: () => openDatabase(ctx.config, { migrate: false }),
          warnFreePct: opts.warnFree,
          failFreePct: opts.failFree,
          backlogSeconds: opts.backlogMinutes * 60,
          backupDir: path.resolve(opts.backupDir ?? defaultBackupDir(ctx.config)),
          timeoutMs: opts.timeout,
        });
        if (opts.json) printJson(report);
        else process.stdout.write(formatReport(report));
        if (opts.email) {
          const { smtp_host, smtp_port, admin } = ctx.config.mail;
          try {
            await mailReport(ctx.config, report);
          } catch (e) {
            // SMTP down is one of the things a doctor meets: one line, no stack trace.
            const why = (e as Error).message.split('\n')[0];
            ctx.log.warn(
              `could not mail the report to ${admin ?? '(mail.admin not set)'} via ${smtp_host}:${smtp_port}: ${why}`,
            );
            return EXIT.PROBLEMS;
          }
          if (!opts.json) process.stdout.write(`report mailed to ${admin}\n`);
        }
        return report.worst === 'FAIL' ? EXIT.PROBLEMS : EXIT.OK;
      },
      { fileless: true },
    );
  });
}
