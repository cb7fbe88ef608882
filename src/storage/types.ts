import type { Readable } from 'node:stream';

// One interface for the file store, so ingest, export and the server never ask where files live.
// Keys are paths relative to the store root, '/'-separated: 'N20200101S0001.fits', 'alopeke/20201023/N...'.

export interface StoredFile {
  key: string;
  size: number;
  /** Local disk: the file mtime. S3: the upload time, meaningless for change detection (use md5). */
  lastmod: Date;
  /** Known without reading the file (S3 object metadata); undefined on local disk. */
  md5?: string;
}

export interface Storage {
  readonly kind: 'local' | 's3';
  /** Metadata, or null when absent. */
  stat(key: string): Promise<StoredFile | null>;
  /** A stream of the bytes; rejects with code ENOENT when absent. */
  read(key: string, range?: { start: number; end: number }): Promise<Readable>;
  /**
   * Stores a stream under key atomically: readers never see a partial object. Returns size and md5
   * of the bytes written; when expectMd5 is given and differs, nothing is stored and it throws.
   */
  write(key: string, data: Readable, opts?: WriteOptions): Promise<{ size: number; md5: string }>;
  delete(key: string): Promise<void>;
  /** Every key under a prefix (a directory on disk), recursively unless shallow. */
  list(prefix?: string, opts?: { shallow?: boolean }): AsyncIterable<StoredFile>;
  /** The keys alone, as list() would give them: cheaper where metadata costs a call per file. */
  listKeys(prefix?: string, opts?: { shallow?: boolean }): AsyncIterable<string>;
  /** A local path when the store is a local disk (fast paths like md5 of a file); else null. */
  localPath(key: string): string | null;
}

export interface WriteOptions {
  expectMd5?: string;
  /** Keep the source's modification time (local disk only; S3 sets its own). */
  mtime?: Date;
}

export function joinKey(dir: string, name: string): string {
  return dir ? `${dir.replace(/\/+$/, '')}/${name}` : name;
}
