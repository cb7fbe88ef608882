import { compressStream } from '../src/fits/bzip2.js';

// stdin → .bz2 → stdout through the project's codec: the export bench's baseline compressor on a
// machine without lbzip2/bzip2.
compressStream(process.stdin).pipe(process.stdout);
