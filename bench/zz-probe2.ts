import { mkdirSync, mkdtempSync, writeFileSync, utimesSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { readFits } from '../src/fits/reader.js';
import { extractMetadata } from '../src/gemini/metadata.js';
import { sampleFits, sampleName } from '../src/services/samples.js';
import { LocalStorage, hashingStream } from '../src/storage/local.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'probe-'));
const store = path.join(dir, 'df');
mkdirSync(store);
const names: string[] = [];
for (let i = 0; i < 200; i++) {
  const spec = { serial: i + 1, date: '20250301', size: 1024 };
  const f = path.join(store, sampleName(spec));
  writeFileSync(f, sampleFits(spec));
  names.push(sampleName(spec));
}
const s = new LocalStorage(store);
const acc: Record<string, number> = {};
const tm = async <T>(k: string, f: () => Promise<T> | T): Promise<T> => {
  const t0 = performance.now();
  const r = await f();
  acc[k] = (acc[k] ?? 0) + performance.now() - t0;
  return r;
};
const t0 = performance.now();
for (const n of names) {
  await tm('stat', () => s.stat(n));
  const res = await tm('read+hash+parse', async () => {
    const raw = await s.read(n);
    const h = hashingStream();
    raw.pipe(h);
    const r = await readFits(h, { wantData: () => false });
    h.digest();
    return r;
  });
  await tm('extract', () => extractMetadata(res.hdus.map((x) => x.header) as any, { filename: n }));
  await tm('read only', async () => {
    const raw = await s.read(n);
    for await (const _ of raw) {
    }
  });
}
const total = performance.now() - t0;
for (const [k, v] of Object.entries(acc)) console.log(k, (v / names.length).toFixed(2), 'ms');
