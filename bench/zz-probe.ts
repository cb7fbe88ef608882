import { mkdirSync, mkdtempSync, writeFileSync, utimesSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseConfig } from '../src/config/load.js';
import { getParams } from '../src/db/params.js';
import { silentLogger } from '../src/log/logger.js';
import { ingestFile } from '../src/services/ingest.js';
import { sampleFits, sampleName } from '../src/services/samples.js';
import { LocalStorage } from '../src/storage/local.js';
import { benchDb } from './lib.js';
import pg from 'pg';

const t = await benchDb('probe_ingest', 4);
const dir = mkdtempSync(path.join(os.tmpdir(), 'probe-'));
const store = path.join(dir, 'df');
mkdirSync(store);
const old = new Date(Date.now() - 3600_000);
const names: string[] = [];
for (let i = 0; i < 200; i++) {
  const spec = { serial: i + 1, date: '20250301', size: 1024 };
  const f = path.join(store, sampleName(spec));
  writeFileSync(f, sampleFits(spec));
  utimesSync(f, old, old);
  names.push(sampleName(spec));
}
const config = parseConfig({
  role: 'summit',
  export: { destinations: [{ url: 'http://a' }] },
  paths: { storage_root: store, var_dir: dir, log_dir: dir },
});
const params = await getParams(t.db);
// time every query
const times = new Map<string, number[]>();
const origQuery = (pg.Client.prototype as any).query;
(pg.Client.prototype as any).query = function (...a: any[]) {
  const text = typeof a[0] === 'string' ? a[0] : a[0].text;
  const k = text.replace(/\s+/g, ' ').slice(0, 60);
  const t0 = performance.now();
  const r = origQuery.apply(this, a);
  if (r && r.then)
    r.then(
      () => {
        const l = times.get(k) ?? [];
        l.push(performance.now() - t0);
        times.set(k, l);
      },
      () => {},
    );
  return r;
};
const deps = {
  db: t.db,
  storage: new LocalStorage(store),
  config,
  log: silentLogger(),
  params: () => params,
};
import { Session } from 'node:inspector/promises';
import { writeFileSync as wfs } from 'node:fs';
const sess = new Session();
sess.connect();
await sess.post('Profiler.enable');
await sess.post('Profiler.start');
const { readdirSync, readFileSync } = await import('node:fs');
const pgCpu = () => {
  let t = 0;
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const st = readFileSync(`/proc/${d}/stat`, 'latin1');
      if (!st.includes('(postgres)')) continue;
      const f = st.slice(st.lastIndexOf(')') + 2).split(' ');
      t += Number(f[11]) + Number(f[12]);
    } catch {}
  }
  return t * 10;
};
const pg0 = pgCpu();
const t0 = performance.now();
for (const n of names) await ingestFile(deps, { filename: n, path: '' });
const { profile } = await sess.post('Profiler.stop');
mkdirSync('/tmp/prof2', { recursive: true });
wfs('/tmp/prof2/p.cpuprofile', JSON.stringify(profile));
const total = performance.now() - t0;
console.log(
  'per file ms',
  (total / names.length).toFixed(2),
  'pg cpu ms per file',
  ((pgCpu() - pg0) / names.length).toFixed(2),
);
let q = 0;
for (const [k, l] of times) {
  const s = l.reduce((a, b) => a + b, 0);
  q += s;
  console.log((s / names.length).toFixed(2), l.length, k);
}
console.log('query total per file', (q / names.length).toFixed(2));
await t.drop();
process.exit(0);
