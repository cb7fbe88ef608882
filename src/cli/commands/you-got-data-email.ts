import type { Command } from 'commander';
import { commonOptions, daemonOptions, EXIT, runCommand, UsageError } from '../context.js';
import { printJson, printTable } from '../output.js';

// Cron, twice at 08:00: `you-got-data-email --demon` and `you-got-data-email --demon --check`.
// Exit 1 when a mail could not be delivered, or problems could not be reported to the admin.

export function register(program: Command) {
  const cmd = program
    .command('you-got-data-email')
    .description("Mail PIs (and NGO / contact scientists) about the night's new data for each notification")
    .option('--check', 'files in QA state CHECK on this server, mailed to the contact scientist only')
    .option('--date <date>', 'night to report: YYYYMMDD or today (the UTC date)', 'today')
    .option('--dryrun', 'say what would be mailed; send and record nothing')
    .option(
      '--retry-delays <seconds>',
      'pauses before each retry of a failed SMTP delivery, comma-separated',
      '2,10,30',
    )
    .option('--json', 'print the outcome as JSON');
  daemonOptions(commonOptions(cmd)).action(async (opts) => {
    const { newDataRefusal } = await import('../../services/mail/yougotdata.js');
    await runCommand('you-got-data-email', opts, async (ctx) => {
      const { newDataRefusal } = await import('../../services/mail/yougotdata.js');
      const { smtpMailer } = await import('../../services/mail/mailer.js');
      const { resolveDate, youGotData, YouGotDataUsageError } =
        await import('../../services/mail/yougotdata.js');
      try {
        resolveDate(opts.date);
      } catch (e) {
        if (e instanceof YouGotDataUsageError) throw new UsageError(e.message);
        throw e;
      }
      const delaysMs = String(opts.retryDelays)
        .split(',')
        .filter((x) => x.trim() !== '')
        .map((x) => Number(x) * 1000);
      if (delaysMs.some((d) => !(d >= 0)))
        throw new UsageError(`--retry-delays: expected seconds, got "${opts.retryDelays}"`);
      // Refused before anything is opened: no database, no SMTP (exit 2).
      const refusal = newDataRefusal(ctx.config);
      if (!opts.check && refusal) throw new UsageError(refusal);
      const database = await ctx.database();
      const mailer = smtpMailer(ctx.config.mail);
      try {
        const r = await youGotData(
          {
            db: database.db,
            config: ctx.config,
            log: ctx.log,
            mailer,
            retry: { delaysMs, signal: ctx.signal },
          },
          { check: opts.check, date: opts.date, dryrun: opts.dryrun },
        );
        if (opts.json) printJson(r);
        else if (!opts.demon && r.mails.length) {
          printTable(
            ['notification', 'subject', 'to', 'cc', 'files', 'status'],
            r.mails.map((m) => [
              m.notificationId,
              m.subject,
              m.to.join(', '),
              m.cc.join(', '),
              m.files,
              m.status,
            ]),
          );
        }
        if (r.failures > 0) {
          process.stderr.write(
            `fitsstore you-got-data-email: ${r.failures} mail(s) could not be sent (see the log)\n`,
          );
        }
        const unreported = r.problems.length > 0 && (r.digest === 'no-admin' || r.digest === 'failed');
        return r.failures > 0 || unreported ? EXIT.PROBLEMS : EXIT.OK;
      } finally {
        mailer.close();
      }
    });
  });
}
