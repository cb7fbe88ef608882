import { createRequire } from 'node:module';
import type TableType from 'cli-table3';

// cli-table3 is loaded on the first table, not by every command at start-up (`--help` included).
const require = createRequire(import.meta.url);

/** A table for people, or JSON for scripts. */
export function printTable(head: string[], rows: unknown[][]): void {
  const Table = require('cli-table3') as typeof TableType;
  const t = new Table({ head, style: { head: [], border: [] } });
  for (const r of rows)
    t.push(
      r.map((v) => (v === null || v === undefined ? '' : v instanceof Date ? v.toISOString() : String(v))),
    );
  process.stdout.write(t.toString() + '\n');
}

export function printJson(v: unknown): void {
  process.stdout.write(JSON.stringify(v, null, 2) + '\n');
}

export function age(d: Date | null | undefined): string {
  if (!d) return '';
  const s = Math.round((Date.now() - new Date(d).getTime()) / 1000);
  if (s < 120) return `${s}s`;
  if (s < 7200) return `${Math.round(s / 60)}m`;
  if (s < 172800) return `${Math.round(s / 3600)}h`;
  return `${Math.round(s / 86400)}d`;
}
