import { spawn } from 'node:child_process';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sampleFits } from '../../src/gemini/samples.js';
import { CLI_MAIN, nodeArgs, runCli, SERVER_MAIN, writeConfig } from '../helpers/cli.js';
import { createTestDb } from '../helpers/db.js';
import { tempDir } from '../helpers/env.js';
import { writeFileSync } from 'node:fs';

// Commands run by an operator without (or with a wrong) configuration: no new, empty embedded
// PostgreSQL behind their back; usage errors exit 2; --help starts nothing; a closed pipe is quiet.

let tmp: ReturnType<typeof tempDir>;
let fits: string;
/** No configuration anywhere, and no database URL in the environment. */
const bare = { FITSSTORE_CONFIG: '', FITSSTORE_DATABASE_URL: '', DATABASE_URL: '', FITSSTORE_VAR_DIR: '' };

beforeAll(() => {
  tmp = tempDir('usage');
  fits = path.join(tmp.dir, 'N20250101S0001.fits');
  writeFileSync(fits, sampleFits({ serial: 1, date: '20250101', extensions: 40 }));
});
afterAll(() => tmp?.cleanup());

function server(args: string[]) {
  return new Promise<{ code: number | null; out: string; err: string }>((resolve) => {
    const c = spawn(process.execPath, [...nodeArgs(SERVER_MAIN), ...args], {
      env: { ...process.env, ...bare },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    c.stdout.on('data', (d) => (out += d));
    c.stderr.on('data', (d) => (err += d));
    const t = setTimeout(() => c.kill('SIGKILL'), 30_000);
    c.on('close', (code) => {
      clearTimeout(t);
      resolve({ code, out, err });
    });
  });
}

describe('without a configuration', { timeout: 120_000 }, () => {
  it('a command that needs the database exits 2 naming where it looked; nothing is started', async () => {
    for (const args of [['queue', 'status'], ['doctor']]) {
      const r = await runCli(args, { env: bare });
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(
        /no database configured: no configuration file \(looked in: --config \(not given\), \$FITSSTORE_CONFIG \(empty\), \/etc\/fitsstore\/config.json \(not there\)\)/,
      );
      expect(r.stderr).not.toMatch(/embedded PostgreSQL at/);
    }
    const file = writeConfig(tmp.dir, { paths: { var_dir: tmp.dir } });
    const typo = await runCli(['queue', 'status', '--config', file], { env: bare });
    expect(typo.code).toBe(2);
    expect(typo.stderr).toContain(`the file ${file} gives no database.url`);
  });

  it('fitsheader, fitsverify and --help work', async () => {
    const h = await runCli(['fitsheader', '-k', 'TELESCOP', fits], { env: bare });
    expect(h.code).toBe(0);
    // -k takes one value: the file is a file, not a second keyword.
    expect(h.stdout.split('\n')[1]).toMatch(/^TELESCOP= 'Gemini-North'/);
    expect((await runCli(['fitsverify', fits], { env: bare })).code).toBe(0);
    const help = await runCli(['--help'], { env: bare });
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/Usage: fitsstore/);
  });

  it('usage errors exit 2 in subcommands too', async () => {
    const r = await runCli(['queue', 'status', '--no-such-option'], { env: bare });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/unknown option '--no-such-option'/);
    expect((await runCli(['copy-from-dhs', '--bogus'], { env: bare })).code).toBe(2);
  });

  it('fitsstore-server: --help prints usage and starts nothing; a bad option exits 2; no database exits 2', async () => {
    const help = await server(['--help']);
    expect(help.code).toBe(0);
    expect(help.out).toMatch(/^Usage: fitsstore-server/);
    expect(help.err).toBe('');
    const bad = await server(['--bogus']);
    expect(bad.code).toBe(2);
    expect(bad.err).toMatch(/Unknown option '--bogus'/);
    const none = await server([]);
    expect(none.code).toBe(2);
    expect(none.err).toMatch(/no database configured/);
  });
});

describe('output and start-up errors', { timeout: 120_000 }, () => {
  it('fitsheader into a pipe closed early ends quietly (no EPIPE)', async () => {
    const child = spawn(process.execPath, [...nodeArgs(CLI_MAIN), 'fitsheader', fits], {
      cwd: fileURLToPath(new URL('../../', import.meta.url)),
      env: { ...process.env, ...bare },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let err = '';
    child.stderr.on('data', (d) => (err += d));
    // Like `| head -1`: read the first chunk, then close the pipe.
    child.stdout.once('data', () => child.stdout.destroy());
    const code = await new Promise((r) => child.on('close', r));
    expect(err).not.toMatch(/EPIPE|Error/);
    expect(code).toBe(0);
  });

  it('the embedded PostgreSQL on a port already in use: one clear line, exit 1', async () => {
    const busy = net.createServer(() => {});
    await new Promise<void>((r) => busy.listen(0, '127.0.0.1', r));
    const port = (busy.address() as net.AddressInfo).port;
    try {
      const file = writeConfig(tmp.dir, {
        database: { embedded: true, embedded_port: port },
        paths: { var_dir: path.join(tmp.dir, 'var') },
      });
      const r = await runCli(['queue', 'status', '--config', file], { env: bare });
      expect(r.code).toBe(1);
      expect(r.stderr.trim().split('\n')).toEqual([
        `fitsstore queue: the embedded PostgreSQL cannot listen on 127.0.0.1:${port}: the port is in use (stop what uses it or set database.embedded_port)`,
      ]);
    } finally {
      busy.close();
    }
  });
});

describe('doctor --email with the SMTP server down', { timeout: 120_000 }, () => {
  it('says so in one line, no stack trace, exit 1', async () => {
    const t = await createTestDb('usage_doctor');
    const closed = net.createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const port = (closed.address() as net.AddressInfo).port;
    await new Promise((r) => closed.close(r)); // nothing listens there now
    try {
      const file = writeConfig(tmp.dir, {
        database: { url: t.url },
        paths: {
          var_dir: tmp.dir,
          log_dir: path.join(tmp.dir, 'logs'),
          lock_dir: path.join(tmp.dir, 'lock'),
        },
        mail: { smtp_host: '127.0.0.1', smtp_port: port, admin: 'ops@example.org' },
      });
      const r = await runCli(['doctor', '--email', '--config', file], { env: bare });
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(
        new RegExp(`could not mail the report to ops@example.org via 127.0.0.1:${port}: .*ECONNREFUSED`),
      );
      expect(r.stderr).not.toMatch(/\n\s+at /);
    } finally {
      await t.drop();
    }
  });
});
