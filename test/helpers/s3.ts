import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import S3rver from 's3rver';
import type { S3Config } from '../../src/storage/s3.js';

export interface TestS3 {
  config: S3Config;
  endpoint: string;
  stop(): Promise<void>;
}

/** An s3rver on loopback (random port, temp directory) with one bucket. */
export async function startS3(bucket = 'fitsstore-test'): Promise<TestS3> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'fitsstore-s3rver-'));
  const server = new S3rver({
    address: '127.0.0.1',
    port: 0,
    silent: true,
    directory: dir,
    configureBuckets: [{ name: bucket }],
  });
  const addr = await server.run();
  const endpoint = `http://127.0.0.1:${addr.port}`;
  return {
    endpoint,
    config: {
      bucket,
      endpoint,
      region: 'us-east-1',
      access_key_id: 'S3RVER',
      secret_access_key: 'S3RVER',
      force_path_style: true,
      prefix: '',
    },
    stop: async () => {
      await server.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
