import {
  CopyObjectCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  S3Client,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { createHash } from 'node:crypto';
import { Readable, Transform } from 'node:stream';
import type { Config } from '../config/schema.js';
import type { Storage, StoredFile, WriteOptions } from './types.js';

// The archive's store in an S3 bucket (AWS or any S3-compatible server).
//
// - Atomic from a reader's view: an object appears only when its PUT or multipart upload
//   completes. The bytes are hashed on their way to S3; when the caller knows the md5 it must
//   have, a mismatch errors the body stream before its end, so the upload is never completed.
// - The md5 lives in the object's metadata (x-amz-meta-md5), because S3's ETag is not an md5 for
//   multipart uploads and lastmod is the upload time: change detection on S3 uses this md5.
// - requestChecksumCalculation 'WHEN_REQUIRED': recent SDKs add CRC trailers to every upload by
//   default, which S3-compatible servers (s3rver, older MinIO/Ceph) reject.

export type S3Config = NonNullable<Config['storage']['s3']>;

export interface S3StorageOptions {
  /** Multipart part size in bytes (default 16 MiB: up to 160 GB per object in 10,000 parts). */
  partSize?: number;
  /** Parts uploaded in parallel; memory use is about partSize × queueSize per upload. */
  queueSize?: number;
  client?: S3Client;
}

/** S3's smallest part (except the last). */
const MIN_PART_SIZE = 5 * 1024 * 1024;

/** CopyObject's limit: larger objects cannot be self-copied to add metadata. */
const MAX_COPY_BYTES = 5 * 1024 ** 3;

function isNotFound(e: unknown): boolean {
  const err = e as { name?: string; Code?: string; $metadata?: { httpStatusCode?: number } };
  return err?.name === 'NotFound' || err?.name === 'NoSuchKey' || err?.$metadata?.httpStatusCode === 404;
}

function enoent(key: string, cause?: unknown): Error {
  return Object.assign(new Error(`no such object in the store: ${key}`, { cause }), { code: 'ENOENT' });
}

/** Plain md5 ETags only: a multipart ETag ("…-3") or an encrypted object's is not a content md5. */
function md5FromEtag(etag: string | undefined): string | undefined {
  const t = etag?.replace(/"/g, '');
  return t && /^[0-9a-f]{32}$/.test(t) ? t : undefined;
}

export class S3Storage implements Storage {
  readonly kind = 's3' as const;
  readonly client: S3Client;
  readonly bucket: string;
  private readonly prefix: string;
  private readonly partSize: number;
  private readonly queueSize: number;

  constructor(cfg: S3Config, opts: S3StorageOptions = {}) {
    this.bucket = cfg.bucket;
    this.prefix = cfg.prefix ? cfg.prefix.replace(/^\/+|\/+$/g, '') + '/' : '';
    this.partSize = Math.max(MIN_PART_SIZE, opts.partSize ?? 16 * 1024 * 1024);
    this.queueSize = opts.queueSize ?? 4;
    this.client =
      opts.client ??
      new S3Client({
        region: cfg.region,
        endpoint: cfg.endpoint,
        forcePathStyle: cfg.force_path_style,
        credentials:
          cfg.access_key_id && cfg.secret_access_key
            ? { accessKeyId: cfg.access_key_id, secretAccessKey: cfg.secret_access_key }
            : undefined,
        requestChecksumCalculation: 'WHEN_REQUIRED',
        responseChecksumValidation: 'WHEN_REQUIRED',
      });
  }

  /** Store keys are '/'-separated relative paths; nothing may climb out of the prefix. */
  private objectKey(key: string): string {
    if (key.startsWith('/') || key.split('/').some((s) => s === '..' || s === '.')) {
      throw new Error(`key escapes the store: ${key}`);
    }
    return this.prefix + key;
  }

  localPath(): null {
    return null;
  }

  async stat(key: string): Promise<StoredFile | null> {
    try {
      const r = await this.client.send(
        new HeadObjectCommand({ Bucket: this.bucket, Key: this.objectKey(key) }),
      );
      return {
        key,
        size: Number(r.ContentLength ?? 0),
        lastmod: r.LastModified ?? new Date(0),
        md5: r.Metadata?.md5 ?? md5FromEtag(r.ETag),
      };
    } catch (e) {
      if (isNotFound(e)) return null;
      throw e;
    }
  }

  async read(key: string, range?: { start: number; end: number }): Promise<Readable> {
    try {
      const r = await this.client.send(
        new GetObjectCommand({
          Bucket: this.bucket,
          Key: this.objectKey(key),
          // Inclusive at both ends, like fs.createReadStream's start/end.
          Range: range ? `bytes=${range.start}-${range.end}` : undefined,
        }),
      );
      return r.Body as Readable;
    } catch (e) {
      if (isNotFound(e)) throw enoent(key, e);
      throw e;
    }
  }

  /** opts.mtime is ignored: S3 sets LastModified itself (change detection on S3 uses the md5). */
  async write(key: string, data: Readable, opts: WriteOptions = {}): Promise<{ size: number; md5: string }> {
    const objectKey = this.objectKey(key);
    const hash = createHash('md5');
    let size = 0;
    let md5: string | undefined;
    let verifyError: Error | undefined;
    // Filled in on the way when the md5 is not known up front: a single-part upload reads its
    // metadata only when it sends the PUT, after the whole (small) body has been read.
    const metadata: Record<string, string> = opts.expectMd5 ? { md5: opts.expectMd5 } : {};
    const body = new Transform({
      transform(chunk: Buffer, _enc, cb) {
        hash.update(chunk);
        size += chunk.length;
        cb(null, chunk);
      },
      flush(cb) {
        md5 = hash.digest('hex');
        if (opts.expectMd5 && md5 !== opts.expectMd5) {
          // Failing here, before the stream ends, means the upload is never completed.
          verifyError = new Error(`md5 mismatch writing ${key}: expected ${opts.expectMd5}, got ${md5}`);
          cb(verifyError);
          return;
        }
        metadata.md5 = md5;
        cb();
      },
    });
    data.on('error', (e) => body.destroy(e));
    data.pipe(body);
    const upload = new Upload({
      client: this.client,
      params: { Bucket: this.bucket, Key: objectKey, Body: body, Metadata: metadata },
      partSize: this.partSize,
      queueSize: this.queueSize,
    });
    try {
      await upload.done();
    } catch (e) {
      // Aborting the multipart upload can fail too (s3rver has no AbortMultipartUpload); the
      // reason that matters is ours or the input's.
      throw verifyError ?? (body.errored as Error | null) ?? e;
    }
    if (md5 === undefined) throw new Error(`upload of ${key} completed before its body ended`);
    if (!opts.expectMd5 && size > this.partSize && size <= MAX_COPY_BYTES) {
      // Multipart: metadata went out with the first part, before the md5 was known. A server-side
      // self-copy sets it (objects over 5 GB keep none; stat then reports no md5).
      await this.client.send(
        new CopyObjectCommand({
          Bucket: this.bucket,
          Key: objectKey,
          CopySource: `${this.bucket}/${encodeURIComponent(objectKey).replace(/%2F/g, '/')}`,
          MetadataDirective: 'REPLACE',
          Metadata: { md5 },
        }),
      );
    }
    return { size, md5 };
  }

  async delete(key: string): Promise<void> {
    await this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: this.objectKey(key) }));
  }

  async *listKeys(prefix = '', opts: { shallow?: boolean } = {}): AsyncIterable<string> {
    for await (const f of this.list(prefix, opts)) yield f.key;
  }

  async *list(prefix = '', opts: { shallow?: boolean } = {}): AsyncIterable<StoredFile> {
    const dir = prefix.replace(/^\/+|\/+$/g, '');
    const s3Prefix = dir ? this.objectKey(dir) + '/' : this.prefix;
    let token: string | undefined;
    do {
      const r = await this.client.send(
        new ListObjectsV2Command({
          Bucket: this.bucket,
          Prefix: s3Prefix || undefined,
          Delimiter: opts.shallow ? '/' : undefined,
          ContinuationToken: token,
        }),
      );
      for (const o of r.Contents ?? []) {
        if (!o.Key || o.Key.endsWith('/')) continue; // "folder" marker objects
        yield {
          key: o.Key.slice(this.prefix.length),
          size: Number(o.Size ?? 0),
          lastmod: o.LastModified ?? new Date(0),
        };
      }
      token = r.IsTruncated ? r.NextContinuationToken : undefined;
    } while (token);
  }
}
