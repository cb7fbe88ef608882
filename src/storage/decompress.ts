import type { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { compressionOf } from '../fits/streams.js';
import { compressStream, decompressStream as bunzip2 } from '../fits/bzip2.js';

// Decompressing a stored file's stream (local disk or S3) by its name. bzip2 goes through
// fits/bzip2.ts (lbzip2, bzip2 or the npm codec); errors name the file.

export { compressionOf };

function named(s: Readable, name: string, what: string): Readable {
  s.on('error', (e) => {
    if (!e.message.includes(name)) e.message = `${what} ${name}: ${e.message}`;
  });
  return s;
}

export function decompressStream(input: Readable, name: string): Readable {
  switch (compressionOf(name)) {
    case 'none':
      return input;
    case 'gzip': {
      const g = createGunzip();
      input.on('error', (e) => g.destroy(e));
      return named(input.pipe(g), name, 'cannot decompress');
    }
    case 'bzip2':
      return named(bunzip2(input), name, 'cannot decompress');
  }
}

export function compressBzip2(input: Readable, name: string): Readable {
  return named(compressStream(input), name, 'cannot compress');
}
