import { z } from 'zod';

// The one frozen, typed configuration object; everything else receives it explicitly.

const UPLOAD_MAX_BYTES = 20 * 1024 ** 3; // 20 GiB: bigger than any Gemini raw file by far
const MAX_CONNECTIONS_PER_IP = 64;
const HEADERS_TIMEOUT_SECONDS = 15;
// A 20 GiB upload over a slow link takes hours: the whole-request limit is generous; slow
// senders of headers are cut off by the header timeout, idle connections by keep-alive's.
const REQUEST_TIMEOUT_SECONDS = 6 * 3600;
const KEEP_ALIVE_SECONDS = 10;

/**
 * Keys whose values are secrets: never printed, in errors or anywhere else. A key matches when
 * its dotted path ends with one of these (export.destinations.0.upload_auth ends with upload_auth).
 */
const SECRET_KEYS = [
  'database.url',
  'upload_auth',
  'api_auth',
  'magic_download_cookie',
  'access_key_id',
  'secret_access_key',
  'password',
  'smtp_password',
  'cookie_secret',
];

export function isSecretKey(dotted: string): boolean {
  return SECRET_KEYS.some((k) => dotted === k || dotted.endsWith(`.${k}`));
}
// Every object is strict, at every depth: a misspelt key (server.answer_cach_mb) is an error
// naming it, never a setting silently left at its default.
const destinationSchema = z.strictObject({
  /** Base URL of the downstream archive, e.g. https://archive.gemini.edu */
  url: z.string().url(),
  /** Value of the gemini_fits_upload_auth cookie the destination expects. */
  upload_auth: z.string().default(''),
});

export const configSchema = z.strictObject({
  role: z.enum(['summit', 'archive']).default('summit'),
  database: z
    .strictObject({
      /** postgres://... ; absent → an error, unless `embedded` (or `fitsstore up`) */
      url: z.string().optional(),
      pool_size: z.number().int().positive().default(10),
      embedded_port: z.number().int().positive().default(54329),
      /**
       * Without a url, use the embedded PostgreSQL under <var_dir>/pg. Only `fitsstore up` does
       * so by itself: anything else without a database is a configuration error, never a new,
       * empty database that shows "0 files".
       */
      embedded: z.boolean().default(false),
    })
    .default({ pool_size: 10, embedded_port: 54329, embedded: false }),
  paths: z
    .strictObject({
      dhs_dir: z.string().default('var/dhs'),
      storage_root: z.string().default('var/dataflow'),
      upload_staging: z.string().default('var/upload_staging'),
      log_dir: z.string().default('var/logs'),
      lock_dir: z.string().default('var/lock'),
      var_dir: z.string().default('var'),
    })
    .default({
      dhs_dir: 'var/dhs',
      storage_root: 'var/dataflow',
      upload_staging: 'var/upload_staging',
      log_dir: 'var/logs',
      lock_dir: 'var/lock',
      var_dir: 'var',
    }),
  storage: z
    .strictObject({
      type: z.enum(['local', 's3']).default('local'),
      s3: z
        .strictObject({
          bucket: z.string(),
          endpoint: z.string().url().optional(),
          region: z.string().default('us-east-1'),
          access_key_id: z.string().optional(),
          secret_access_key: z.string().optional(),
          force_path_style: z.boolean().default(true),
          prefix: z.string().default(''),
        })
        .optional(),
    })
    .default({ type: 'local' }),
  export: z
    .strictObject({ destinations: z.array(destinationSchema).default([]) })
    .default({ destinations: [] }),
  server: z
    .strictObject({
      host: z.string().default('127.0.0.1'),
      port: z.number().int().min(0).max(65535).default(8080),
      /** Secret of the gemini_fits_upload_auth cookie; empty refuses all uploads unless upload_open. */
      upload_auth: z.string().default(''),
      upload_open: z.boolean().default(false),
      api_auth: z.string().default(''),
      magic_download_cookie: z.string().default(''),
      /** The archive's address as the world sees it (https://archive.example); every URL the server writes uses it. */
      public_url: z.string().url().optional(),
      /** Without public_url: the Host names requests may carry (host or host:port); others get 400. */
      allowed_hosts: z.array(z.string().min(1)).default([]),
      /** Memory for anonymous JSON API answers kept until the data change (MB); 0 turns it off. */
      answer_cache_mb: z.number().min(0).default(256),
      /**
       * Disk for decompressed copies of .bz2-stored files downloaded without .bz2 (MB, under
       * <var_dir>/cache/decompressed; least recently served removed first); 0 turns it off.
       */
      decompressed_cache_mb: z.number().min(0).default(2048),
      /** Largest upload accepted (bytes); larger ones are answered 413 before their body is read. */
      upload_max_bytes: z.number().int().positive().default(UPLOAD_MAX_BYTES),
      /** Open connections one client address may hold; more are closed at once. */
      max_connections_per_ip: z.number().int().positive().default(MAX_CONNECTIONS_PER_IP),
      /** Seconds a client has to send its request headers. */
      headers_timeout_seconds: z.number().positive().default(HEADERS_TIMEOUT_SECONDS),
      /** Seconds a whole request (headers and body) may take; 0: no limit (uploads of big files). */
      request_timeout_seconds: z.number().min(0).default(REQUEST_TIMEOUT_SECONDS),
      /** Seconds an idle keep-alive connection is kept open. */
      keep_alive_seconds: z.number().positive().default(KEEP_ALIVE_SECONDS),
    })
    .default({
      host: '127.0.0.1',
      port: 8080,
      upload_auth: '',
      upload_open: false,
      api_auth: '',
      magic_download_cookie: '',
      allowed_hosts: [],
      answer_cache_mb: 256,
      decompressed_cache_mb: 2048,
      upload_max_bytes: UPLOAD_MAX_BYTES,
      max_connections_per_ip: MAX_CONNECTIONS_PER_IP,
      headers_timeout_seconds: HEADERS_TIMEOUT_SECONDS,
      request_timeout_seconds: REQUEST_TIMEOUT_SECONDS,
      keep_alive_seconds: KEEP_ALIVE_SECONDS,
    }),
  mail: z
    .strictObject({
      smtp_host: z.string().default('localhost'),
      smtp_port: z.number().int().default(25),
      from: z.string().default('fitsstore@localhost'),
      reply_to: z.string().optional(),
      admin: z.string().optional(),
      archive_url: z.string().optional(),
    })
    .default({ smtp_host: 'localhost', smtp_port: 25, from: 'fitsstore@localhost' }),
  dhs: z
    .strictObject({
      /** Seconds a DHS file's size and mtime must stay unchanged before it is copied. */
      min_age_seconds: z.number().min(0).default(2),
      poll_seconds: z.number().positive().default(5),
      /** A complete-looking file still invalid after this long is reported as bad (queue_error). */
      bad_after_seconds: z.number().min(0).default(60),
      /**
       * How closes are noticed: `events` (inotify, with a full scan every poll_seconds as the
       * safety net), `poll` (full scans only: NFS, where other hosts' writes raise no events),
       * `auto` (events unless the directory is on a network file system).
       */
      watch: z.enum(['auto', 'events', 'poll']).default('auto'),
    })
    .default({ min_age_seconds: 2, poll_seconds: 5, bad_after_seconds: 60, watch: 'auto' }),
});

export type Config = z.infer<typeof configSchema>;
export type Destination = z.infer<typeof destinationSchema>;
