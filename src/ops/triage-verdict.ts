import path from 'node:path';
import { QUEUES } from '../queues/tables.js';
import { exactRegex } from './filters.js';
import type { TriageReport } from './triage.js';

// The verdict of a triage: what is wrong, in pipeline order (DHS → store → ingest → header →
// export → preview), each with the exact command that fixes it. Pure, so every branch is tested.

export interface Problem {
  problem: string;
  fix: string;
}

export type Facts = Omit<TriageReport, 'problems' | 'notes' | 'verdict' | 'facts'>;

const quote = (s: string) => (/^[\w./@:+-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`);
const firstLine = (s: string | null) => (s ?? '').split('\n')[0].slice(0, 200);

const SERVICES: Record<string, string> = {
  ingest: 'fits-service_ingest_queue1 fits-service_ingest_queue2',
  export: 'fits-service_export_queue1 fits-service_export_queue2',
  preview: 'fits-service_preview_queue',
  calcache: 'fits-service_calcache_queue',
};

export function verdict(
  r: Facts,
  ctx: { dir: string; name: string; host?: string },
): { problems: Problem[]; notes: string[]; line: string; facts: Fact[] } {
  const problems: Problem[] = [];
  const notes: string[] = [];
  const add = (problem: string, fix: string) => problems.push({ problem, fix });

  const present = r.diskfiles.find((d) => d.present) ?? null;
  const canonical = r.diskfiles.find((d) => d.canonical) ?? null;
  const stored =
    (present && r.store.found.find((f) => f.key === joinKey(present.path, present.filename))) ??
    r.store.found[0] ??
    null;
  // The name and directory the store uses, for commands that queue it.
  const key =
    stored?.key ??
    (present ? joinKey(present.path, present.filename) : joinKey(ctx.dir, r.filename.split('/').pop()!));
  const fname = path.posix.basename(key);
  const fdir = path.posix.dirname(key) === '.' ? '' : path.posix.dirname(key);
  const addCmd = (force: boolean) =>
    `fitsstore add-to-ingest-queue${fdir ? ` --path=${quote(fdir)}` : ''} --filename=${quote(fname)}${force ? ' --force' : ''}`;
  const re = quote(exactRegex(fname.replace(/\.bz2$/, '')).replace(/\$$/, '(\\.bz2)?$'));
  const queueCmd = (verb: string, queue: string) =>
    `fitsstore queue ${verb} --queue ${queue} --filename ${re}`;
  const rows = (queue: string) => r.queues.filter((q) => q.queue === queue);
  const waiting = (queue: string) => rows(queue).some((q) => q.state === 'pending' || q.state === 'deferred');
  const noWorkers = (queue: string) => !(r.liveWorkers[queue] > 0);

  // Where is the file? Upstream first: nothing downstream matters while the file is missing.
  if (!r.store.found.length) {
    if (present) {
      add(
        `the database says ${joinKey(present.path, present.filename)} is present, but it is not in the store`,
        `fitsstore check --fix --path=${quote(present.path || '.')}   (marks it not present; restore the file first if it should be there)`,
      );
    } else if (canonical) {
      // Cleared from the store for space is fine only where an archive still serves the file:
      // asked live, never assumed (a false all-clear once came from assuming it).
      const serving = r.exports.filter((e) => e.state === 'present').map((e) => e.destination);
      const gone = `the canonical version (diskfile ${canonical.id}) is marked not present and the file is not in the store`;
      const restore = `restore the file into the store (from the DHS, a backup or the archive), then ${addCmd(true)}`;
      if (serving.length) {
        notes.push(`cleared from the store for space; ${serving.join(', ')} serves it (asked live)`);
      } else if (r.role === 'archive') {
        add(`${gone}: this archive no longer has it`, restore);
      } else if (!r.exports.length) {
        add(
          `${gone}, and no export destination is configured to confirm that an archive still serves it`,
          `ask the archive: curl <archive>/jsonfilelist/present/filename=${fname.replace(/\.bz2$/, '')}; else ${restore}`,
        );
      } else {
        add(
          `${gone}, and no export destination has it (${r.exports.map((e) => `${e.destination}: ${e.state}`).join('; ')})`,
          restore,
        );
      }
    } else if (r.dhs.found) {
      add(
        `in the DHS directory (${r.dhs.dir}) but not copied into the store: copy-from-dhs is not running, or rejected it (see its log)`,
        'sudo systemctl status fits-copy_from_dhs; fitsstore copy-from-dhs --once --debug',
      );
    } else {
      add(
        `not found anywhere: not in the DHS directory (${r.dhs.dir}), the store${r.store.searchedTree ? ' (whole tree searched)' : ''}, or the database`,
        'check the source: DHS, the visiting-instrument copy, or the staff drop folders (graces/, skycam/) and their file permissions',
      );
    }
  } else if (!present) {
    if (rows('ingest').length === 0) {
      add(
        r.diskfiles.length
          ? `${key} is in the store but the database marks every version not present, and it is not queued`
          : `${key} is in the store but was never ingested and is not queued (older than twentyday, or cron is not running)`,
        addCmd(false),
      );
    } else if (waiting('ingest') && !noWorkers('ingest'))
      notes.push('waiting in the ingest queue; the workers are alive');
  } else if (
    stored &&
    (Number(present.file_size) !== stored.size ||
      (present.lastmod && Math.abs(new Date(present.lastmod).getTime() - stored.lastmod.getTime()) > 1000))
  ) {
    if (!waiting('ingest') && !rows('ingest').some((q) => q.state === 'in_progress')) {
      add(
        `${key} changed on disk since its last ingest (size ${present.file_size} → ${stored.size}) and is not queued`,
        addCmd(false),
      );
    } else notes.push('changed since its last ingest; re-ingest is queued');
  }
  // Stuck queue rows block everything after them.
  for (const { name: queue } of Object.values(QUEUES)) {
    const mine = rows(queue);
    const pending = mine.some((q) => q.state === 'pending' || q.state === 'deferred');
    const failed = mine.filter((q) => q.state === 'failed');
    const dead = mine.filter((q) => q.state === 'in_progress' && q.holder?.startsWith('DEAD'));
    if ((failed.length || dead.length) && pending) {
      add(
        `${queue} queue holds a stuck ${failed.length ? 'failed' : 'in-progress'} duplicate of a pending row (the runbook's duplicate-entry case)`,
        queueCmd('dedupe', queue),
      );
    } else if (failed.length) {
      const err = r.errors.find((e) => e.queue === queue.toUpperCase())?.error ?? failed[0].error;
      add(
        `${queue} failed${failed[0].destination ? ` for ${failed[0].destination}` : ''}: ${firstLine(err) || 'no message'}`,
        `${queueCmd('retry', queue)}   (after fixing the cause; full message: fitsstore queue errors --queue ${queue} --filename ${re} --full)`,
      );
    } else if (dead.length) {
      add(
        `${queue} row held by a dead worker (${dead[0].worker}; ${dead[0].holder})`,
        queueCmd('release', queue),
      );
    }
    if (pending && noWorkers(queue) && !problems.some((p) => p.problem.startsWith(queue))) {
      add(
        `waiting in the ${queue} queue, but no ${queue} worker is alive`,
        `sudo systemctl start ${SERVICES[queue]}`,
      );
    }
  }

  if (r.store.found.length > 1)
    notes.push(`found at several keys: ${r.store.found.map((f) => f.key).join(', ')}`);
  if (canonical && !r.header && present) add('the canonical diskfile has no header row', addCmd(true));
  if (r.header?.engineering)
    notes.push('engineering data: searches show it only with the Engineering data option');

  // Export, summit side.
  for (const e of r.exports) {
    const row = rows('export').filter((q) => q.destination === e.destination);
    if (e.state === 'unreachable' || e.state === 'error') {
      add(
        `export destination ${e.destination} is unreachable: ${e.detail}`,
        'fitsstore doctor   (then check the archive server itself)',
      );
    } else if ((e.state === 'absent' || e.state === 'md5-differs') && present) {
      if (row.some((q) => q.state !== 'failed'))
        notes.push(`export to ${e.destination} is queued (${row.map((q) => q.state).join(', ')})`);
      else if (!row.length)
        add(
          `not at ${e.destination} (${e.detail}) and not queued for export`,
          `${addCmd(true)}   (a forced re-ingest queues the export)`,
        );
    }
  }

  // Preview, archive side.
  if (
    r.role === 'archive' &&
    present &&
    !r.preview.some((p) => p.diskfile_id === present.id) &&
    !rows('preview').length
  ) {
    add(
      'no preview and none queued',
      `${addCmd(true)}   (a forced re-ingest queues the preview and calibration jobs)`,
    );
  }

  const checked = factsOf(r);
  const line = problems.length
    ? `PROBLEM: ${problems[0].problem}\nFIX: ${problems[0].fix}`
    : `OK: ${present ? `ingested as diskfile ${present.id}${r.header ? `, header ${r.header.id}` : ''}` : canonical ? 'ingested; no longer in the store' : 'not ingested yet'}` +
      (r.exports.length
        ? `; at ${r.exports.filter((e) => e.state === 'present').length}/${r.exports.length} destinations`
        : '') +
      (notes.length ? ` (${notes[0]})` : '');
  return {
    problems,
    notes,
    line: `${line}\nchecked: ${checked.map((f) => f.source).join(', ')}`,
    facts: checked,
  };
}

export interface Fact {
  /** What was asked: DHS, store, database, queue <name>, export <url> (live). */
  source: string;
  finding: string;
}

/** What the verdict rests on, one line per source asked, in pipeline order. */
function factsOf(r: Facts): Fact[] {
  const facts: Fact[] = [];
  facts.push({
    source: 'DHS',
    finding: r.dhs.error
      ? `cannot look: ${r.dhs.error}`
      : r.dhs.found
        ? `present in ${r.dhs.dir} (${r.dhs.found.size} bytes)`
        : `absent from ${r.dhs.dir}`,
  });
  facts.push({
    source: 'store',
    finding: r.store.found.length
      ? `present at ${r.store.found.map((f) => f.key).join(', ')}`
      : `absent${r.store.searchedTree ? ' (whole store searched)' : ' (expected keys only)'}`,
  });
  const present = r.diskfiles.find((d) => d.present);
  const canonical = r.diskfiles.find((d) => d.canonical);
  facts.push({
    source: 'database',
    finding: !r.diskfiles.length
      ? 'no diskfile'
      : present
        ? `diskfile ${present.id} present${present.canonical ? ', canonical' : ''}${r.header ? `, header ${r.header.id}` : ', no header'}`
        : `${r.diskfiles.length} version(s), none present${canonical ? ` (canonical ${canonical.id})` : ''}`,
  });
  for (const { name: queue } of Object.values(QUEUES)) {
    const rows = r.queues.filter((q) => q.queue === queue);
    facts.push({
      source: `queue ${queue}`,
      finding: rows.length ? rows.map((q) => q.state).join(', ') : 'no rows',
    });
  }
  for (const e of r.exports)
    facts.push({ source: `export ${e.destination} (live)`, finding: `${e.state}: ${e.detail}` });
  return facts;
}

function joinKey(dir: string, name: string) {
  return dir ? `${dir.replace(/\/+$/, '')}/${name}` : name;
}
