import type { Config } from '../config/schema.js';
import { LocalStorage } from './local.js';
import type { Storage } from './types.js';

export type { Storage, StoredFile } from './types.js';

/** The configured store: the local dataflow directory or an S3 bucket. */
export async function openStorage(config: Config): Promise<Storage> {
  if (config.storage.type === 's3') {
    const { S3Storage } = await import('./s3.js');
    return new S3Storage(config.storage.s3!);
  }
  return new LocalStorage(config.paths.storage_root);
}
