import { z } from 'zod';

// The one frozen, typed configuration object; everything else receives it explicitly.
export const destinationSchema = z.object({
  /** Base URL of the downstream archive, e.g. https://archive.gemini.edu */
  url: z.string().url(),
  /** Value of the gemini_fits_upload_auth cookie the destination expects. */
  upload_auth: z.string().default(''),
});

export const configSchema = z
  .object({
    role: z.enum(['summit', 'archive']).default('summit'),
    database: z
      .object({
        /** postgres://... ; absent → the embedded PostgreSQL under <var_dir>/pg */
        url: z.string().optional(),
        pool_size: z.number().int().positive().default(10),
        embedded_port: z.number().int().positive().default(54329),
      })
      .default({ pool_size: 10, embedded_port: 54329 }),
    paths: z
      .object({
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
      .object({
        type: z.enum(['local', 's3']).default('local'),
        s3: z
          .object({
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
    export: z.object({ destinations: z.array(destinationSchema).default([]) }).default({ destinations: [] }),
    server: z
      .object({
        host: z.string().default('127.0.0.1'),
        port: z.number().int().min(0).max(65535).default(8080),
        /** Secret of the gemini_fits_upload_auth cookie; empty refuses all uploads unless upload_open. */
        upload_auth: z.string().default(''),
        upload_open: z.boolean().default(false),
        api_auth: z.string().default(''),
        magic_download_cookie: z.string().default(''),
        public_url: z.string().optional(),
        /** Memory for anonymous JSON API answers kept until the data change (MB); 0 turns it off. */
        answer_cache_mb: z.number().min(0).default(256),
        /**
         * Disk for decompressed copies of .bz2-stored files downloaded without .bz2 (MB, under
         * <var_dir>/cache/decompressed; least recently served removed first); 0 turns it off.
         */
        decompressed_cache_mb: z.number().min(0).default(2048),
      })
      .default({
        host: '127.0.0.1',
        port: 8080,
        upload_auth: '',
        upload_open: false,
        api_auth: '',
        magic_download_cookie: '',
        answer_cache_mb: 256,
        decompressed_cache_mb: 2048,
      }),
    mail: z
      .object({
        smtp_host: z.string().default('localhost'),
        smtp_port: z.number().int().default(25),
        from: z.string().default('fitsstore@localhost'),
        reply_to: z.string().optional(),
        admin: z.string().optional(),
        archive_url: z.string().optional(),
      })
      .default({ smtp_host: 'localhost', smtp_port: 25, from: 'fitsstore@localhost' }),
    dhs: z
      .object({
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
  })
  .strict();

export type Config = z.infer<typeof configSchema>;
export type Destination = z.infer<typeof destinationSchema>;
