import type { Command } from 'commander';
import { isValidObservationId, isValidProgramId } from '../../gemini/progid.js';
import { printJson, printTable } from '../output.js';
import { commonOptions, runCommand, UsageError } from '../context.js';

// fitsstore user add <username> [--fullname N] [--email E] [--staff] [--superuser] [--password-stdin]
// fitsstore user passwd <username> [--password-stdin]
// fitsstore user grant <username> --program ID | --observation ID | --file NAME   (repeatable)
// fitsstore user list [--json]
//
// Passwords come from standard input (--password-stdin, for scripts: `printf %s "$pw" | …`) or
// a prompt that does not echo; never from the command line, where `ps` and shell history would
// show them.

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  return Buffer.concat(chunks)
    .toString('utf8')
    .replace(/\r?\n$/, '');
}

/** Reads a line from the terminal without echoing it. */
function promptHidden(question: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const stdin = process.stdin;
    process.stderr.write(question);
    stdin.setRawMode(true);
    stdin.resume();
    stdin.setEncoding('utf8');
    let value = '';
    const done = (err?: Error) => {
      stdin.setRawMode(false);
      stdin.pause();
      stdin.removeListener('data', onData);
      process.stderr.write('\n');
      if (err) reject(err);
      else resolve(value);
    };
    const onData = (s: string) => {
      for (const ch of s) {
        if (ch === '\r' || ch === '\n') return done();
        if (ch === '\u0003') return done(new UsageError('cancelled'));
        if (ch === '\u007f' || ch === '\b') value = value.slice(0, -1);
        else if (ch >= ' ') value += ch;
      }
    };
    stdin.on('data', onData);
  });
}

async function readPassword(opts: { passwordStdin?: boolean }): Promise<string> {
  let pw: string;
  if (opts.passwordStdin) pw = await readStdin();
  else if (process.stdin.isTTY) {
    pw = await promptHidden('Password: ');
    if ((await promptHidden('Again: ')) !== pw) throw new UsageError('the two passwords differ');
  } else
    throw new UsageError(
      'no terminal to ask for the password on: give it on standard input with --password-stdin',
    );
  const { MIN_PASSWORD_LENGTH } = await import('../../users/password.js');
  if (pw.length < MIN_PASSWORD_LENGTH)
    throw new UsageError(`a password needs at least ${MIN_PASSWORD_LENGTH} characters`);
  return pw;
}

const collect = (v: string, acc: string[]) => [...acc, v];

/** Store errors (bad name, already exists, no such user) are the operator's to fix: usage errors. */
async function asUsage<T>(p: Promise<T>): Promise<T> {
  try {
    return await p;
  } catch (e) {
    const { UserError } = await import('../../users/store.js');
    if (e instanceof UserError) throw new UsageError(e.message);
    throw e;
  }
}

export function register(program: Command): Command {
  const user = program
    .command('user')
    .description('Archive web users: accounts, passwords, staff roles and PI access grants');

  commonOptions(
    user
      .command('add')
      .argument('<username>')
      .description('Create a user (asks for the password, or reads it with --password-stdin)')
      .option('--fullname <name>', 'full name')
      .option('--email <address>', 'email address')
      .option('--staff', 'staff: sees every file, the queue status and the usage report')
      .option('--superuser', 'superuser (implies staff)')
      .option('--password-stdin', 'read the password from standard input'),
  ).action(async (username: string, opts) => {
    await runCommand(
      'user',
      opts,
      async (ctx) => {
        const { createUser } = await import('../../users/store.js');
        const password = await readPassword(opts);
        const { db } = await ctx.database();
        const u = await asUsage(
          createUser(db, {
            username,
            password,
            fullname: opts.fullname,
            email: opts.email,
            staff: opts.staff,
            superuser: opts.superuser,
          }),
        );
        process.stdout.write(
          `created user ${u.username} (id ${u.id}${u.superuser ? ', superuser' : u.staff ? ', staff' : ''})\n`,
        );
      },
      { fileless: true },
    );
  });

  commonOptions(
    user
      .command('passwd')
      .argument('<username>')
      .description("Set a user's password")
      .option('--password-stdin', 'read the password from standard input'),
  ).action(async (username: string, opts) => {
    await runCommand(
      'user',
      opts,
      async (ctx) => {
        const { setPassword } = await import('../../users/store.js');
        const password = await readPassword(opts);
        const { db } = await ctx.database();
        if (!(await setPassword(db, username, password))) throw new UsageError(`no such user: ${username}`);
        process.stdout.write(`password of ${username} changed\n`);
      },
      { fileless: true },
    );
  });

  commonOptions(
    user
      .command('grant')
      .argument('<username>')
      .description('Give a user (a PI) access to proprietary data: a program, an observation or a file')
      .option('--program <id>', 'program id, e.g. GN-2024A-Q-101 (repeatable)', collect, [])
      .option('--observation <id>', 'observation id, e.g. GN-2024A-Q-101-12 (repeatable)', collect, [])
      .option('--file <name>', 'file name, e.g. N20240305S0011.fits (repeatable)', collect, [])
      .option('--any', 'accept program and observation ids outside the Gemini grammar (visitors, old ids)'),
  ).action(async (username: string, opts) => {
    await runCommand(
      'user',
      opts,
      async (ctx) => {
        const { grant } = await import('../../users/store.js');
        // A typo in an id would grant nothing and say "granted": ids must be Gemini's unless --any.
        if (!opts.any) {
          for (const p of opts.program as string[])
            if (!isValidProgramId(p))
              throw new UsageError(
                `--program ${JSON.stringify(p)} is not a Gemini program id (e.g. GN-2024A-Q-101); use --any for an exotic one`,
              );
          for (const o of opts.observation as string[])
            if (!isValidObservationId(o))
              throw new UsageError(
                `--observation ${JSON.stringify(o)} is not a Gemini observation id (e.g. GN-2024A-Q-101-12); use --any for an exotic one`,
              );
        }
        for (const f of opts.file as string[])
          if (!/^[A-Za-z0-9_][A-Za-z0-9._+-]{0,254}$/.test(f))
            throw new UsageError(`--file ${JSON.stringify(f)} is not a file name`);
        const grants = [
          ...opts.program.map((p: string) => ({ program_id: p })),
          ...opts.observation.map((o: string) => ({ observation_id: o })),
          ...opts.file.map((f: string) => ({ filename: f.replace(/\.bz2$/, '') })),
        ];
        if (grants.length === 0)
          throw new UsageError('say what to grant: --program, --observation or --file');
        const { db } = await ctx.database();
        for (const g of grants) {
          const { added } = await asUsage(grant(db, username, g));
          const what = Object.entries(g)[0].join(' ').replace('_id', '');
          process.stdout.write(`${username}: ${what} ${added ? 'granted' : 'was already granted'}\n`);
        }
      },
      { fileless: true },
    );
  });

  commonOptions(
    user.command('list').description('List users').option('--json', 'machine-readable output'),
  ).action(async (opts) => {
    await runCommand(
      'user',
      opts,
      async (ctx) => {
        const { listUsers } = await import('../../users/store.js');
        const rows = await listUsers((await ctx.database()).db);
        if (opts.json) return printJson(rows);
        printTable(
          ['username', 'full name', 'email', 'role', 'grants', 'created'],
          rows.map((u) => [
            u.username,
            u.fullname,
            u.email,
            u.superuser ? 'superuser' : u.staff ? 'staff' : '',
            u.grants,
            u.created,
          ]),
        );
      },
      { fileless: true },
    );
  });
  return user;
}
