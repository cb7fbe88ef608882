import { QUEUE_STATES, type QueueFilter, type QueueState } from '../queues/items.js';
import { QUEUES, queueByName, type QueueTable } from '../queues/tables.js';

// Turning operator options into typed filters; every bad value becomes one clear message.

export class FilterError extends Error {
  override name = 'FilterError';
}

/**
 * A moment: ISO 8601 (`2025-01-02`, `2025-01-02T10:00Z`) or an age before now (`90m`, `12h`, `7d`,
 * `2w`), because operators think "the last two days" more often than in timestamps.
 */
export function parseWhen(text: string, option: string, now = new Date()): Date {
  const rel = /^(\d+(?:\.\d+)?)\s*(s|m|h|d|w)$/i.exec(text.trim());
  if (rel) {
    const unit = { s: 1, m: 60, h: 3600, d: 86400, w: 604800 }[rel[2].toLowerCase() as 's'] ?? 1;
    return new Date(now.getTime() - Number(rel[1]) * unit * 1000);
  }
  const d = new Date(text);
  if (Number.isNaN(d.getTime())) {
    throw new FilterError(
      `${option}: expected a date/time (2025-01-02, 2025-01-02T10:00Z) or an age (12h, 7d), got "${text}"`,
    );
  }
  return d;
}

export function parseQueues(names: string[] | undefined): QueueTable[] {
  if (!names || names.length === 0) return Object.values(QUEUES);
  const out: QueueTable[] = [];
  for (const n of names.flatMap((x) => x.split(',')).filter(Boolean)) {
    try {
      const q = queueByName(n.trim());
      if (!out.includes(q)) out.push(q);
    } catch (e) {
      throw new FilterError(`--queue: ${(e as Error).message}`);
    }
  }
  return out;
}

export interface FilterOptions {
  status?: string;
  filename?: string;
  since?: string;
  until?: string;
}

export function parseFilter(o: FilterOptions, now = new Date()): QueueFilter {
  const f: QueueFilter = {};
  if (o.status !== undefined) {
    const s = o.status.replace('-', '_').toLowerCase();
    if (!(QUEUE_STATES as readonly string[]).includes(s)) {
      throw new FilterError(`--status: expected one of ${QUEUE_STATES.join(', ')}, got "${o.status}"`);
    }
    f.status = s as QueueState;
  }
  if (o.filename !== undefined) f.filename = o.filename;
  if (o.since !== undefined) f.since = parseWhen(o.since, '--since', now);
  if (o.until !== undefined) f.until = parseWhen(o.until, '--until', now);
  if (f.since && f.until && f.since >= f.until) throw new FilterError('--since must be before --until');
  return f;
}

/** PostgreSQL's invalid_regular_expression, for turning a bad --filename into a usage error. */
export function isBadRegex(e: unknown): boolean {
  return (e as { code?: string })?.code === '2201B';
}

/** A regex matching exactly this name (for commands printed by triage and docs). */
export function exactRegex(name: string): string {
  return `^${name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`;
}
