import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { closestKey, keysAt } from './keys.js';
import { configSchema, isSecretKey, type Config } from './schema.js';

export class ConfigError extends Error {
  override name = 'ConfigError';
}

const DEFAULT_LOCATIONS = ['/etc/fitsstore/config.json'];

/** Where each loaded configuration came from, for messages that must say where we looked. */
const SOURCES = new WeakMap<object, string>();

/** "the file X" or "no configuration file (looked in: ...)": for error messages. */
export function configSource(config: Config): string {
  return SOURCES.get(config) ?? 'a configuration given in code';
}

function lookedIn(opts: LoadOptions, env: NodeJS.ProcessEnv): string {
  return [
    '--config (not given)',
    `$FITSSTORE_CONFIG (${env.FITSSTORE_CONFIG === '' ? 'empty' : 'not set'})`,
    ...DEFAULT_LOCATIONS.map((f) => `${f} (not there)`),
  ].join(', ');
}

/** Env overrides: secrets and the database URL never need to live in the file. */
function envOverrides(env: NodeJS.ProcessEnv, raw: Record<string, any>): void {
  const set = (section: string, key: string, value: string | undefined) => {
    if (value === undefined || value === '') return;
    raw[section] = { ...(raw[section] ?? {}), [key]: value };
  };
  set('database', 'url', env.FITSSTORE_DATABASE_URL ?? env.DATABASE_URL);
  set('server', 'upload_auth', env.FITSSTORE_UPLOAD_AUTH);
  set('server', 'api_auth', env.FITSSTORE_API_AUTH);
  set('server', 'magic_download_cookie', env.FITSSTORE_MAGIC_DOWNLOAD_COOKIE);
  if (env.FITSSTORE_ROLE) raw.role = env.FITSSTORE_ROLE;
  if (env.FITSSTORE_VAR_DIR) {
    const v = env.FITSSTORE_VAR_DIR;
    raw.paths = {
      dhs_dir: path.join(v, 'dhs'),
      storage_root: path.join(v, 'dataflow'),
      upload_staging: path.join(v, 'upload_staging'),
      log_dir: path.join(v, 'logs'),
      lock_dir: path.join(v, 'lock'),
      var_dir: v,
      ...(raw.paths ?? {}),
    };
  }
}

/** Validates a raw object; the message names every bad key and its value. */
export function parseConfig(raw: unknown, source = 'config'): Config {
  const result = configSchema.safeParse(raw);
  if (!result.success) {
    const lines = result.error.issues.map((i) => {
      const key = i.path.join('.');
      // Unknown keys are named by their full path, never shown with their values (they may
      // hold secrets), each with the known key it was probably meant to be.
      if (i.code === 'unrecognized_keys') {
        const known = keysAt(configSchema, i.path);
        const at = (k: string) => (key ? `${key}.${k}` : k);
        return i.keys
          .map((k) => {
            const near = closestKey(k, known);
            return `  ${at(k)}: unknown key${near ? ` (did you mean ${at(near)}?)` : ''}`;
          })
          .join('\n');
      }
      let value: unknown = raw;
      for (const p of i.path) value = (value as any)?.[p as any];
      // Only plain values of non-secret keys are echoed; a section or a secret is not.
      const printable = value === null || ['string', 'number', 'boolean'].includes(typeof value);
      const shown =
        value === undefined
          ? ''
          : !printable
            ? ''
            : isSecretKey(key)
              ? ' (value hidden: secret)'
              : ` (got ${JSON.stringify(value)})`;
      return `  ${key || '(top level)'}: ${i.message}${shown}`;
    });
    throw new ConfigError(`invalid configuration in ${source}:\n${lines.join('\n')}`);
  }
  const cfg = result.data;
  // Relative paths are taken from the working directory once, so later chdir cannot move them.
  for (const k of Object.keys(cfg.paths) as (keyof Config['paths'])[]) {
    cfg.paths[k] = path.resolve(cfg.paths[k]);
  }
  if (cfg.storage.type === 's3' && !cfg.storage.s3) {
    throw new ConfigError(
      `invalid configuration in ${source}:\n  storage.s3: required when storage.type is "s3"`,
    );
  }
  return deepFreeze(cfg);
}

export interface LoadOptions {
  file?: string;
  env?: NodeJS.ProcessEnv;
  /** Values that win over file and env (command-line flags). */
  overrides?: Record<string, any>;
}

/** Resolve defaults ← file ← env ← overrides, once. */
export function loadConfig(opts: LoadOptions = {}): Config {
  const env = opts.env ?? process.env;
  const file = opts.file || env.FITSSTORE_CONFIG || DEFAULT_LOCATIONS.find((f) => existsSync(f));
  let raw: Record<string, any> = {};
  if (file) {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (e) {
      throw new ConfigError(`cannot read configuration file ${file}: ${(e as Error).message}`);
    }
    try {
      raw = JSON.parse(text);
    } catch (e) {
      // V8's message quotes the text around the error, which may be a password: say where only.
      const at = /position (\d+)/.exec((e as Error).message);
      let where = '';
      if (at) {
        const before = text.slice(0, Number(at[1])).split('\n');
        where = ` at line ${before.length}, column ${before[before.length - 1].length + 1}`;
      }
      throw new ConfigError(`configuration file ${file} is not valid JSON${where}`);
    }
  }
  envOverrides(env, raw);
  for (const [section, values] of Object.entries(opts.overrides ?? {})) {
    raw[section] = typeof values === 'object' && values ? { ...(raw[section] ?? {}), ...values } : values;
  }
  const config = parseConfig(raw, file ?? 'defaults');
  SOURCES.set(
    config,
    file ? `the file ${file}` : `no configuration file (looked in: ${lookedIn(opts, env)})`,
  );
  return config;
}

function deepFreeze<T>(o: T): T {
  if (o && typeof o === 'object') {
    for (const v of Object.values(o)) deepFreeze(v);
    Object.freeze(o);
  }
  return o;
}
