import { spawn, spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI_MAIN, nodeArgs, SERVER_MAIN, watch, writeServerConfig } from '../helpers/cli.js';
import { createTestDb } from '../helpers/db.js';
import { tempDir } from '../helpers/env.js';

// Start-up stays cheap: `fitsstore --help` builds the program without loading what the commands
// use when they run (issue 17: 0.38 s and 99 MB before). Which packages a process loaded is read
// from a module resolve hook that logs every resolved URL.

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
let tmp: ReturnType<typeof tempDir>;
let hook: string;
let log: string;

beforeAll(() => {
  tmp = tempDir('startup');
  log = path.join(tmp.dir, 'loaded.txt');
  writeFileSync(
    path.join(tmp.dir, 'hooks.mjs'),
    `import { appendFileSync } from 'node:fs';
export async function resolve(s, c, next) { const r = await next(s, c); appendFileSync(${JSON.stringify(log)}, r.url + '\\n'); return r; }`,
  );
  hook = path.join(tmp.dir, 'register.mjs');
  writeFileSync(
    hook,
    `import { register } from 'node:module'; register(${JSON.stringify(pathToFileURL(path.join(tmp.dir, 'hooks.mjs')).href)});`,
  );
});
afterAll(() => tmp?.cleanup());

function packagesLoaded(args: string[]): Set<string> {
  writeFileSync(log, '');
  const r = spawnSync(process.execPath, ['--import', hook, ...nodeArgs(CLI_MAIN), ...args], {
    cwd: ROOT,
    encoding: 'utf8',
  });
  expect(r.status, r.stderr).toBe(0);
  return packagesInLog();
}

function packagesInLog(): Set<string> {
  const pkgs = readFileSync(log, 'utf8')
    .split('\n')
    .map((u) => /node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(u)?.[1])
    .filter((p): p is string => Boolean(p));
  return new Set(pkgs);
}

describe('start-up', () => {
  it('fitsstore --help loads commander, not what the commands use when they run', () => {
    const loaded = packagesLoaded(['--help']);
    expect(loaded.has('commander')).toBe(true);
    for (const heavy of [
      'zod',
      'pg',
      'pino',
      'sharp',
      'fastify',
      '@aws-sdk/client-s3',
      'nodemailer',
      'cli-table3',
    ])
      expect(loaded.has(heavy), heavy).toBe(false);
  });

  it('a command help loads no more than the program help', () => {
    const loaded = packagesLoaded(['service-queue', '--help']);
    for (const heavy of ['zod', 'pg', 'sharp', 'fastify']) expect(loaded.has(heavy), heavy).toBe(false);
  });
});

describe('server start-up', () => {
  it('fitsstore-server listens without having loaded sharp (libvips; thumbnails load it, test/calcache/routes)', async () => {
    const t = await createTestDb('startup_server');
    try {
      const config = writeServerConfig(tmp.dir, t.url);
      writeFileSync(log, '');
      const child = spawn(
        process.execPath,
        ['--import', hook, ...nodeArgs(SERVER_MAIN), '--config', config],
        {
          cwd: ROOT,
          env: { ...process.env, FITSSTORE_CONFIG: '' },
          stdio: ['ignore', 'pipe', 'pipe'],
        },
      );
      try {
        await watch(child).waitFor(/listening on http/);
      } finally {
        child.kill('SIGKILL');
      }
      const loaded = packagesInLog();
      expect(loaded.has('fastify')).toBe(true);
      expect(loaded.has('sharp'), 'sharp loaded at start').toBe(false);
    } finally {
      await t.drop();
    }
  });
});
