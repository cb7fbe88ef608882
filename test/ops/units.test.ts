import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import { renderUnit } from '../../src/ops/units.js';
import { tempDir, testConfig } from '../helpers/env.js';

// The systemd units work as shipped: ProtectSystem=strict leaves writable only ReadWritePaths, so
// every directory a daemon writes must be there (the lock directory was not: --lockfile failed).

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const UNITS = path.join(ROOT, 'systemd');
const unitFiles = readdirSync(UNITS).filter((f) => f.endsWith('.service'));
let tmp: ReturnType<typeof tempDir>;

beforeAll(() => {
  tmp = tempDir('units');
});
afterAll(() => tmp?.cleanup());

const readWritePaths = (text: string) =>
  (/^ReadWritePaths=(.*)$/m.exec(text)?.[1] ?? '').split(/\s+/).filter(Boolean);

describe('systemd units', () => {
  it('as shipped, they are the units rendered for docs/config.example.json', () => {
    const example = parseConfig(
      JSON.parse(readFileSync(path.join(ROOT, 'docs/config.example.json'), 'utf8')),
    );
    expect(unitFiles.length).toBeGreaterThanOrEqual(8);
    for (const unit of unitFiles) {
      const text = readFileSync(path.join(UNITS, unit), 'utf8');
      expect(renderUnit(text, unit, example), unit).toBe(text);
      expect(readWritePaths(text), unit).toContain(example.paths.lock_dir);
    }
  });

  it('rendered with the configured paths, every path a daemon writes (logs, lock, store, var; staging for the server) is in ReadWritePaths', () => {
    const config = testConfig(tmp.dir);
    const p = config.paths;
    for (const unit of unitFiles) {
      const rw = readWritePaths(renderUnit(readFileSync(path.join(UNITS, unit), 'utf8'), unit, config));
      for (const dir of [p.log_dir, p.lock_dir, p.storage_root, p.var_dir])
        expect(rw, `${unit}: ${dir}`).toContain(dir);
      if (unit === 'fits-server.service') expect(rw).toContain(p.upload_staging);
      expect(rw, `${unit} must not write the DHS`).not.toContain(p.dhs_dir);
    }
  });

  it('systemd-analyze verify passes on every rendered unit', () => {
    const config = testConfig(tmp.dir);
    const files = unitFiles.map((unit) => {
      const f = path.join(tmp.dir, unit);
      const text = renderUnit(readFileSync(path.join(UNITS, unit), 'utf8'), unit, config, {
        installDir: ROOT,
        configFile: path.join(tmp.dir, 'config.json'),
      });
      writeFileSync(f, text);
      return f;
    });
    const r = spawnSync('systemd-analyze', ['verify', ...files], { encoding: 'utf8' });
    expect(r.error, 'systemd-analyze (Debian package systemd, in .ci/apt-packages)').toBeUndefined();
    const complaints = `${r.stdout}${r.stderr}`.split('\n').filter((l) => /fits-/.test(l));
    expect(complaints).toEqual([]);
    expect(r.status).toBe(0);
  });
});
