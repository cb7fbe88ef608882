import { spawn } from 'node:child_process';
import { PassThrough, type Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { compressionOf, findOnPath } from '../fits/streams.js';

// Decompressing a stream from any store (S3 included), through the system lbzip2/bzip2, which
// read multi-stream .bz2 files whole. A decompressor failing half-way is an error, never a short file.

export { compressionOf };

export function decompressStream(input: Readable, name: string): Readable {
  const kind = compressionOf(name);
  if (kind === 'none') return input;
  if (kind === 'gzip') {
    const g = createGunzip();
    input.on('error', (e) => g.destroy(e));
    return input.pipe(g);
  }
  return bzip2Filter(input, ['-dc'], `cannot decompress ${name}`);
}

export function compressBzip2(input: Readable, name: string): Readable {
  return bzip2Filter(input, ['-c'], `cannot compress ${name}`);
}

function bzip2Filter(input: Readable, args: string[], what: string): Readable {
  const tool = findOnPath('lbzip2') ?? findOnPath('bzip2');
  if (!tool) throw new Error(`${what}: neither lbzip2 nor bzip2 is installed`);
  const out = new PassThrough();
  const child = spawn(tool, args, { stdio: ['pipe', 'pipe', 'pipe'] });
  let stderr = '';
  let exited = false;
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr = (stderr + d).slice(-2000)));
  child.stdout.pipe(out, { end: false });
  input.pipe(child.stdin);
  input.on('error', (e) => {
    if (!out.destroyed) out.destroy(new Error(`${what}: ${e.message}`, { cause: e }));
    child.kill();
  });
  child.stdin.on('error', () => {}); // EPIPE when the tool exits early; reported via its exit status
  child.on('error', (e) => {
    exited = true;
    if (!out.destroyed) out.destroy(new Error(`${what}: cannot run ${tool}: ${e.message}`));
  });
  child.on('close', (code, signal) => {
    exited = true;
    if (out.destroyed) return;
    if (code === 0) out.end();
    else out.destroy(new Error(`${what}: ${tool} ${signal ? 'killed by ' + signal : 'exit status ' + code}${stderr.trim() ? ': ' + stderr.trim() : ''}`));
  });
  out.on('close', () => {
    if (!exited) child.kill();
    input.unpipe(child.stdin);
  });
  return out;
}
