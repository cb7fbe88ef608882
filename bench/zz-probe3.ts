import { readdirSync } from 'node:fs';
import { open } from 'node:fs/promises';
import path from 'node:path';
import { hashFd } from '../src/storage/hashthread.js';
const dir = process.argv[2];
const names = readdirSync(dir).slice(0, 200);
for (let rep = 0; rep < 3; rep++) {
  let t0 = performance.now();
  for (const n of names) {
    const fh = await open(path.join(dir, n));
    await hashFd(fh.fd);
    await fh.close();
  }
  console.log('hashFd per file', ((performance.now() - t0) / names.length).toFixed(2));
  t0 = performance.now();
  for (const n of names) {
    const fh = await open(path.join(dir, n));
    const s = fh.createReadStream({ autoClose: false, start: 0, highWaterMark: 1 << 20 });
    for await (const _ of s) {
    }
    await fh.close();
  }
  console.log('main read per file', ((performance.now() - t0) / names.length).toFixed(2));
  t0 = performance.now();
  for (const n of names) {
    const fh = await open(path.join(dir, n));
    const p = hashFd(fh.fd);
    const s = fh.createReadStream({ autoClose: false, start: 0, highWaterMark: 1 << 20 });
    for await (const _ of s) {
    }
    await p;
    await fh.close();
  }
  console.log('both per file', ((performance.now() - t0) / names.length).toFixed(2));
}
process.exit(0);
