import { hashingStream } from './local.js';
import type { Storage } from './types.js';

/** md5 and size of a stored object, read once as a stream (never buffered whole). */
export async function md5OfStored(storage: Storage, key: string): Promise<{ md5: string; size: number }> {
  const s = await storage.read(key);
  const h = hashingStream();
  await new Promise<void>((resolve, reject) => {
    s.on('error', reject);
    h.on('error', reject);
    h.on('finish', resolve);
    s.pipe(h);
    h.resume();
  });
  return h.digest();
}
