// Child of bzip2.test.ts, run with a PATH that holds no bzip2 binary: the codec must fall back to
// npm's, say so once, and still roundtrip single- and multi-stream data. Prints one JSON line.

import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { bzip2Binary, compressStream, compressSync, decompressBuffer } from '../../src/fits/bzip2.js';

const md5 = (b: Uint8Array) => createHash('md5').update(b).digest('hex');

// 2.5 MB of a noisy ramp: several 900 kB blocks, so the streamed output holds several streams.
const data = Buffer.alloc(2_500_000);
let x = 1;
for (let i = 0; i < data.length; i++) {
  x ^= x << 13;
  x ^= x >>> 17;
  x ^= x << 5;
  data[i] = ((i >> 12) + (x & 15)) & 255;
}
/** Stream headers (magic + level + first block magic) in a .bz2. */
function streams(b: Buffer): number {
  let n = 0;
  for (let i = b.indexOf('BZh91AY&SY'); i >= 0; i = b.indexOf('BZh91AY&SY', i + 1)) n++;
  return n;
}

async function collect(s: Readable): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const c of s) parts.push(c as Buffer);
  return Buffer.concat(parts);
}

const streamed = await collect(compressStream(Readable.from([data.subarray(0, 1000), data.subarray(1000)])));
const whole = compressSync(data);
const half = data.length >> 1;
const multi = Buffer.concat([compressSync(data.subarray(0, half)), compressSync(data.subarray(half))]);
console.log(
  JSON.stringify({
    binary: bzip2Binary(),
    input: md5(data),
    streamed: md5(await decompressBuffer(streamed)),
    whole: md5(await decompressBuffer(whole)),
    multi: md5(await decompressBuffer(multi)),
    streams: streams(streamed),
  }),
);
