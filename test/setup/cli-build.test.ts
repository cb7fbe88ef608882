import { existsSync, readdirSync, readFileSync, realpathSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, inject, it } from 'vitest';
import { CLI_MAIN, nodeArgs, runCli } from '../helpers/cli.js';

// The CLI's child processes run this run's build of src/ (test/setup/cli-build.ts). Without it
// they would still pass, through tsx, only slower: these tests notice that falling back.

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

describe("child processes run this run's build of src/", () => {
  it('node runs the build, not tsx', () => {
    const args = nodeArgs(CLI_MAIN);
    expect(args).not.toContain('tsx');
    expect(args.at(-1)).toBe(path.join(inject('cliBuild'), 'cli/main.js'));
  });

  it('the build holds a module for every source module', () => {
    const sources = readdirSync(path.join(ROOT, 'src'), { recursive: true, encoding: 'utf8' }).filter(
      (f) => f.endsWith('.ts') && !f.endsWith('.d.ts'),
    );
    const missing = sources.filter(
      (f) => !existsSync(path.join(inject('cliBuild'), f.replace(/\.ts$/, '.js'))),
    );
    expect(missing).toEqual([]);
  });

  it('the built fitsstore runs and finds the checkout beside it (package.json, migrations)', async () => {
    const pkg = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8'));
    const r = await runCli(['--version']);
    expect(r.stdout.trim(), r.stderr).toBe(pkg.version);
    const { MIGRATIONS_DIR } = await import(path.join(inject('cliBuild'), 'db/migrate.js'));
    expect(realpathSync(MIGRATIONS_DIR)).toBe(realpathSync(path.join(ROOT, 'src/db/migrations')));
  });
});
