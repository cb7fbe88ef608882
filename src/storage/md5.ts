import { open } from 'node:fs/promises';
import { hashFd, threadHashingStream } from './hashthread.js';
import type { Storage } from './types.js';

/** md5 and size of a stored object, read once (never buffered whole), hashed on the md5 thread. */
export async function md5OfStored(storage: Storage, key: string): Promise<{ md5: string; size: number }> {
  const local = storage.localPath(key);
  if (local) {
    const fh = await open(local, 'r');
    try {
      return await hashFd(fh.fd);
    } finally {
      await fh.close();
    }
  }
  const s = await storage.read(key);
  const h = threadHashingStream();
  await new Promise<void>((resolve, reject) => {
    s.on('error', reject);
    h.on('error', reject);
    h.on('finish', resolve);
    s.pipe(h);
    h.resume();
  });
  return h.result();
}
