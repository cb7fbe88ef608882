import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { describe, expect, it } from 'vitest';
import { ConfigError, parseConfig } from '../../src/config/load.js';
import { configSchema } from '../../src/config/schema.js';
import { archiveConfigFor, summitConfigFor } from '../../src/cli/up/up.js';

// Unknown keys are errors at every depth, named by their full path, with the key probably meant,
// and never with their values (a misplaced key may hold a password).

function errorOf(raw: unknown): string {
  try {
    parseConfig(raw, 'test.json');
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigError);
    return (e as Error).message;
  }
  throw new Error('the configuration was accepted');
}

/**
 * Every object the schema has, as the path of a raw configuration that reaches it with the
 * smallest content it needs to be valid around it.
 */
function objectPaths(schema: z.ZodType, path: (string | number)[] = []): (string | number)[][] {
  let s: z.ZodType = schema;
  while (s instanceof z.ZodDefault || s instanceof z.ZodOptional) s = s.unwrap() as z.ZodType;
  if (s instanceof z.ZodArray) return objectPaths(s.element as z.ZodType, [...path, 0]);
  if (!(s instanceof z.ZodObject)) return [];
  return [
    path,
    ...Object.entries(s.shape as Record<string, z.ZodType>).flatMap(([k, v]) => objectPaths(v, [...path, k])),
  ];
}

/** A raw configuration with an object at `path` holding `extra` (and what that object requires). */
function withKeyAt(path: (string | number)[], extra: Record<string, unknown>): Record<string, any> {
  const required: Record<string, Record<string, unknown>> = {
    'storage.s3': { bucket: 'b' },
    'export.destinations.0': { url: 'https://archive.example' },
  };
  const build = (i: number): any => {
    const here = path.slice(0, i).join('.');
    const obj = i === path.length ? { ...required[here], ...extra } : { ...required[here] };
    if (i === path.length) return obj;
    const k = path[i];
    if (typeof k === 'number') return [build(i + 1)];
    obj[k] = build(i + 1);
    return obj;
  };
  return build(0);
}

describe('unknown configuration keys', () => {
  it('are errors in every section, at every depth, named by their full path', () => {
    const paths = objectPaths(configSchema);
    // The sections today, so that a schema the walk cannot see into fails here, not silently.
    expect(paths.map((p) => p.join('.'))).toEqual(
      expect.arrayContaining(['', 'database', 'server', 'storage.s3', 'export.destinations.0', 'dhs']),
    );
    for (const path of paths) {
      const at = [...path, 'zzqqxx'].join('.');
      expect(errorOf(withKeyAt(path, { zzqqxx: 1 })), at).toContain(`  ${at}: unknown key\n`.trimEnd());
    }
  });

  it('suggest the key probably meant', () => {
    expect(errorOf({ server: { answer_cach_mb: 64 } })).toContain(
      'server.answer_cach_mb: unknown key (did you mean server.answer_cache_mb?)',
    );
    expect(errorOf({ export: { destinations: [{ url: 'https://a.example', uplaod_auth: 'x' }] } })).toContain(
      'export.destinations.0.uplaod_auth: unknown key (did you mean export.destinations.0.upload_auth?)',
    );
    expect(errorOf({ databse: {} })).toContain('databse: unknown key (did you mean database?)');
    // Nothing close: no guess.
    expect(errorOf({ dhs: { colour: 'blue' } })).toMatch(/dhs\.colour: unknown key$/m);
  });

  it('never print values, secrets included', () => {
    const message = errorOf({
      database: { url: 'postgres://u:s3cret-pw@h/db', passwd: 'hunter2-pw' },
      storage: { type: 's3', s3: { bucket: 'b', secret_acess_key: 'AKIA-SECRET-VALUE' } },
    });
    expect(message).toContain('database.passwd: unknown key');
    expect(message).toContain(
      'storage.s3.secret_acess_key: unknown key (did you mean storage.s3.secret_access_key?)',
    );
    for (const v of ['s3cret-pw', 'hunter2-pw', 'AKIA-SECRET-VALUE']) expect(message).not.toContain(v);
  });
});

describe('the configurations we ship and write', () => {
  it('docs/config.example.json loads', () => {
    const raw = JSON.parse(readFileSync(new URL('../../docs/config.example.json', import.meta.url), 'utf8'));
    expect(parseConfig(raw).server.port).toBe(8080);
  });

  it('`fitsstore up` rewrites a loaded configuration for its archive and summit, and both load', () => {
    const raw = JSON.parse(readFileSync(new URL('../../docs/config.example.json', import.meta.url), 'utf8'));
    const config = parseConfig(raw);
    expect(archiveConfigFor(config, 'secret').role).toBe('archive');
    expect(summitConfigFor(config, 'http://127.0.0.1:8081/', 'secret').export.destinations).toHaveLength(1);
  });
});
