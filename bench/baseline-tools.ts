import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { bzip2Binary, findOnPath } from '../src/fits/bzip2.js';

// The shell baseline of the export bench, made of what this machine has: lbzip2, else bzip2, else
// the project's npm codec as a filter; curl, else a few lines of node:http doing what curl does.
// The bench names the pieces it used, so a result from a bare machine reads as what it is.

const HERE = fileURLToPath(new URL('.', import.meta.url));
const node = `"${process.execPath}" --import tsx`;

export interface Baseline {
  /** Shell words reading $SRC and writing .bz2 to stdout. */
  compress: string;
  compressName: string;
  /** Shell words POSTing stdin to "$URL/upload_file/<name>" with the cookie $COOKIE. */
  upload(name: string, streaming: boolean): string;
  uploadName(streaming: boolean): string;
}

export function baseline(): Baseline {
  // The binary the project itself would run (fits/bzip2.ts: lbzip2, else bzip2), by its name.
  const found = bzip2Binary();
  const bin = found ? path.basename(found) : null;
  const curl = findOnPath('curl') !== null;
  return {
    compress: bin ? `${bin} -c "$SRC"` : `${node} "${path.join(HERE, 'bzip2-filter.ts')}" < "$SRC"`,
    compressName: bin ? `${bin} -c` : 'npm bzip2 codec (no lbzip2/bzip2 installed)',
    upload: (name, streaming) =>
      curl
        ? `curl -sS --fail ${streaming ? '-X POST -T -' : '--data-binary @-'} -H "Cookie: $COOKIE" -H 'Content-Type: application/octet-stream' "$URL/upload_file/${name}"`
        : `${node} "${path.join(HERE, 'post-stdin.ts')}" ${streaming ? '--stream' : '--buffer'} "$URL/upload_file/${name}"`,
    uploadName: (streaming) =>
      curl
        ? streaming
          ? 'curl -T - -X POST (streaming)'
          : 'curl --data-binary @-'
        : streaming
          ? 'node:http POST, streaming (no curl installed)'
          : 'node:http POST of the whole body (no curl installed)',
  };
}
