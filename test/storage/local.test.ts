import { spawnSync } from 'node:child_process';
import { readdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { removeOrphanTemps, tempNameFor } from '../../src/storage/local.js';
import { tempDir } from '../helpers/env.js';

const tmp = tempDir('local-store');
afterAll(() => tmp.cleanup());

describe('temp files of writers that died (kill -9 mid-write)', () => {
  it("are removed when their writer was this host's and is gone; live writers' and other hosts' stay", async () => {
    const dead = spawnSync(process.execPath, ['-e', '0']).pid!; // exited: its pid is free
    const mine = path.basename(tempNameFor(path.join(tmp.dir, 'N20240101S0001.fits')));
    const host = os.hostname().replace(/[^A-Za-z0-9]+/g, '_');
    const orphan = mine.replace(`.tmp-${process.pid}-`, `.tmp-${dead}-`);
    const elsewhere = `.N20240101S0003.fits.tmp-${dead}-abc-some_other_host`;
    const real = 'N20240101S0004.fits';
    for (const n of [mine, orphan, elsewhere, real]) writeFileSync(path.join(tmp.dir, n), 'x');
    expect(orphan).toMatch(new RegExp(`^\\.N20240101S0001\\.fits\\.tmp-${dead}-[0-9a-z]+-${host}$`));
    expect(await removeOrphanTemps(tmp.dir)).toEqual([orphan]);
    expect(readdirSync(tmp.dir).sort()).toEqual([mine, elsewhere, real].sort());
  });

  it('a directory that is not there is nothing to clean', async () => {
    expect(await removeOrphanTemps(path.join(tmp.dir, 'absent'))).toEqual([]);
  });
});
