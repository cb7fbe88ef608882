// libbzip2 itself, compiled to WebAssembly (npm libbzip2-wasm, made for CyberChef): the
// compressor for machines without the lbzip2/bzip2 binaries. Pure-JS bzip2 compressors are two
// orders of magnitude slower (compressjs: 48 s for 8 MB here, this one 1.8 s, bzip2 0.5 s), and its
// output is byte for byte what bzip2 -9 writes.
//
// The package is an old emscripten build, so it is loaded with care:
// - it compiles its embedded .wasm asynchronously by default; we compile the same bytes
//   synchronously (instantiateWasm hook), so the codec is usable from synchronous callers and is
//   ready when the factory returns;
// - on Node it registers process-wide 'uncaughtException' and 'unhandledRejection' listeners
//   (the latter aborts the module): they are removed again at once, so loading the codec does not
//   change how the rest of the process fails.

import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

interface Bz2Result {
  error: number;
  error_msg?: string;
  output: Uint8Array;
}
interface Bz2Module {
  compressBZ2(input: Uint8Array, blockSize100k: number, workFactor: number): Bz2Result;
}
type Factory = (opts: Record<string, unknown>) => Bz2Module;

let codec: Bz2Module | undefined;

function load(): Bz2Module {
  const require = createRequire(import.meta.url);
  const file = require.resolve('libbzip2-wasm');
  const factory = require(file) as Factory;
  const base64 = /wasmBinaryFile="data:application\/octet-stream;base64,([^"]+)"/.exec(
    readFileSync(file, 'utf8'),
  );
  if (!base64) throw new Error(`${file}: embedded WebAssembly not found (unexpected libbzip2-wasm build)`);
  const wasm = new WebAssembly.Module(Buffer.from(base64[1], 'base64'));
  const before = new Set<unknown>([
    ...process.listeners('uncaughtException'),
    ...process.listeners('unhandledRejection'),
  ]);
  try {
    const m = factory({
      instantiateWasm(imports: WebAssembly.Imports, receive: (i: WebAssembly.Instance) => void) {
        const instance = new WebAssembly.Instance(wasm, imports);
        receive(instance);
        return instance.exports;
      },
    });
    if (typeof m.compressBZ2 !== 'function')
      throw new Error('libbzip2-wasm did not initialise synchronously');
    return m;
  } finally {
    for (const l of process.listeners('uncaughtException'))
      if (!before.has(l)) process.removeListener('uncaughtException', l);
    for (const l of process.listeners('unhandledRejection'))
      if (!before.has(l)) process.removeListener('unhandledRejection', l);
  }
}

/** One complete bzip2 stream of `input` at `level` (1-9: block size in 100 kB). */
export function wasmCompress(input: Uint8Array, level: number): Buffer {
  codec ??= load();
  const r = codec.compressBZ2(input, level, 30);
  if (r.error !== 0)
    throw new Error(`bzip2 (WebAssembly) compression failed: ${r.error_msg ?? `error ${r.error}`}`);
  // The output view points into the module's heap, which the next call reuses: copy it out.
  return Buffer.from(r.output);
}
