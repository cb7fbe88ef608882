import { z } from 'zod';

// The keys a configuration section allows, read from its schema, and the one an unknown key was
// probably meant to be: a config error should say `did you mean server.answer_cache_mb?`.

/** The keys of the object the schema expects at `path` (array indexes included), or none. */
export function keysAt(schema: z.ZodType, path: readonly PropertyKey[]): string[] {
  let s: z.ZodType | undefined = schema;
  for (let i = 0; ; i++) {
    while (s instanceof z.ZodDefault || s instanceof z.ZodOptional) s = s.unwrap() as z.ZodType;
    if (i === path.length) break;
    if (s instanceof z.ZodArray) s = s.element as z.ZodType;
    else if (s instanceof z.ZodObject) s = (s.shape as Record<string, z.ZodType>)[String(path[i])];
    else return [];
    if (s === undefined) return [];
  }
  return s instanceof z.ZodObject ? Object.keys(s.shape) : [];
}

/** Edits (insert, delete, replace, swap of neighbours) between two strings. */
function distance(a: string, b: string): number {
  const d = Array.from({ length: a.length + 1 }, (_, i) => [i, ...Array<number>(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) d[0][j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1])
        d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
    }
  }
  return d[a.length][b.length];
}

/**
 * The known key closest to `unknown`, if close enough to be a slip (a third of its length, at
 * most 3 edits), else null. Case is ignored: `Port` means `port`.
 */
export function closestKey(unknown: string, known: readonly string[]): string | null {
  const limit = Math.min(3, Math.max(1, Math.floor(unknown.length / 3)));
  let best: { key: string; d: number } | null = null;
  for (const key of known) {
    const d = distance(unknown.toLowerCase(), key.toLowerCase());
    if (d <= limit && (best === null || d < best.d)) best = { key, d };
  }
  return best?.key ?? null;
}
