import { stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Config } from '../config/schema.js';
import type { Queryable } from '../db/pool.js';
import { getParams } from '../db/params.js';
import { trimBz2 } from '../gemini/filename.js';
import { holderState } from '../queues/holders.js';
import {
  errorsForFilenames,
  itemsForFilenames,
  type QueueErrorRow,
  type QueueItem,
} from '../queues/items.js';
import { QUEUES } from '../queues/tables.js';
import { listWorkers, liveCounts } from '../queues/workers.js';
import { joinKey, type Storage } from '../storage/types.js';
import { probePresent, remoteMd5 } from './destinations.js';
import { verdict, type Fact, type Problem } from './triage-verdict.js';

// `fitsstore triage <filename>`: the support notes' ingest triage (DHS → dataflow → diskfile →
// header → queues → errors → export → preview) gathered into one report, with a verdict.

export interface FoundFile {
  key: string;
  size: number;
  lastmod: Date;
}

export interface DiskfileInfo {
  id: number;
  filename: string;
  path: string;
  present: boolean;
  canonical: boolean;
  file_size: number | null;
  file_md5: string | null;
  data_md5: string | null;
  lastmod: Date | null;
  entrytime: Date;
}

export interface ExportState {
  destination: string;
  state: 'present' | 'md5-differs' | 'absent' | 'unreachable' | 'error';
  detail: string;
}

export interface TriageReport {
  filename: string;
  /** The names looked for: as given, with and without .bz2. */
  names: string[];
  role: string;
  dhs: { dir: string; found: FoundFile | null; error?: string };
  store: { found: FoundFile[]; searchedTree: boolean };
  diskfiles: DiskfileInfo[];
  header: Record<string, unknown> | null;
  queues: (QueueItem & { holder?: string })[];
  errors: QueueErrorRow[];
  exports: ExportState[];
  preview: { id: number; diskfile_id: number; filename: string; created: Date }[];
  calcache: number | null;
  liveWorkers: Record<string, number>;
  problems: Problem[];
  notes: string[];
  /** Every source the verdict rests on, with what it said. */
  facts: Fact[];
  verdict: string;
}

export interface TriageOptions {
  db: Queryable;
  storage: Storage;
  config: Config;
  /** Search the whole store when the file is not at the exact key (slow on big stores). */
  search?: boolean;
  timeoutMs?: number;
  onProgress?: (listed: number) => void;
}

export function candidateNames(given: string): { dir: string; names: string[]; name: string } {
  const base = path.posix.basename(given);
  const dir = path.posix.dirname(given) === '.' ? '' : path.posix.dirname(given).replace(/^\/+/, '');
  const plain = trimBz2(base);
  return { dir, name: plain, names: [...new Set([base, plain, plain + '.bz2'])] };
}

export async function triage(filename: string, o: TriageOptions): Promise<TriageReport> {
  const { db, storage, config } = o;
  const { dir, names, name } = candidateNames(filename);
  const params = await getParams(db);

  const dhs = await findInDhs(config.paths.dhs_dir, names);
  const diskfiles: DiskfileInfo[] = (
    await db.query(
      `SELECT df.id, df.filename, df.path, df.present, df.canonical, df.file_size, df.file_md5, df.data_md5,
              df.lastmod, df.entrytime
       FROM diskfile df JOIN file f ON f.id = df.file_id
       WHERE f.name = $1 OR df.filename = ANY($2::text[]) ORDER BY df.id`,
      [name, names],
    )
  ).rows;

  // Exact keys first: where the database says the file is, and where the caller says it is.
  const keys = new Set<string>();
  for (const d of diskfiles) keys.add(joinKey(d.path, d.filename));
  for (const n of names) keys.add(joinKey(dir, n));
  const found: FoundFile[] = [];
  for (const k of keys) {
    const s = await storage.stat(k).catch(() => null);
    if (s) found.push({ key: k, size: s.size, lastmod: s.lastmod });
  }
  let searchedTree = false;
  if (!found.length && o.search !== false) {
    // The runbook's `find /sci/dataflow -name <filename>`: slow on a big store, hence last resort.
    searchedTree = true;
    let listed = 0;
    const wanted = new Set(names);
    for await (const f of storage.list('')) {
      if (++listed % 10_000 === 0) o.onProgress?.(listed);
      if (wanted.has(path.posix.basename(f.key)))
        found.push({ key: f.key, size: f.size, lastmod: f.lastmod });
    }
  }

  const canonical = diskfiles.find((d) => d.canonical) ?? null;
  const ids = diskfiles.map((d) => d.id);
  const header = canonical
    ? ((
        await db.query(
          `SELECT id, diskfile_id, data_label, program_id, instrument, ut_datetime, observation_type,
                  observation_class, qa_state, engineering, release
           FROM header WHERE diskfile_id = $1`,
          [canonical.id],
        )
      ).rows[0] ?? null)
    : null;

  const queues: TriageReport['queues'] = [];
  for (const q of Object.values(QUEUES)) {
    for (const item of await itemsForFilenames(db, q, names)) {
      const holder = item.state === 'in_progress' ? holderState(item, params.dead_worker_seconds) : undefined;
      queues.push({
        ...item,
        holder: holder ? `${holder.alive ? 'alive' : 'DEAD'}: ${holder.reason}` : undefined,
      });
    }
  }
  const errors = await errorsForFilenames(db, names, 5);
  const preview = ids.length
    ? (
        await db.query(
          'SELECT id, diskfile_id, filename, created FROM preview WHERE diskfile_id = ANY($1::bigint[])',
          [ids],
        )
      ).rows
    : [];
  const calcache = header
    ? Number((await db.query('SELECT count(*) AS n FROM calcache WHERE obs_hid = $1', [header.id])).rows[0].n)
    : null;
  const liveWorkers = liveCounts(await listWorkers(db, { deadSeconds: params.dead_worker_seconds }));

  const exports: ExportState[] = [];
  if (config.role === 'summit') {
    // The version the destination should hold: the present one, else the canonical one cleared
    // from the store.
    const present = diskfiles.find((d) => d.present) ?? diskfiles.find((d) => d.canonical);
    for (const dest of config.export.destinations) {
      const p = await probePresent(dest.url, name, o.timeoutMs ?? 5000);
      if (!p.reachable) exports.push({ destination: dest.url, state: 'unreachable', detail: p.error });
      else if (!p.files)
        exports.push({ destination: dest.url, state: 'error', detail: p.error ?? 'unexpected answer' });
      else if (!p.files.length)
        exports.push({ destination: dest.url, state: 'absent', detail: 'not in its jsonfilelist/present' });
      else {
        const md5 = remoteMd5(p.files[0]);
        const same = !present?.data_md5 || !md5 || md5 === present.data_md5;
        exports.push({
          destination: dest.url,
          state: same ? 'present' : 'md5-differs',
          detail: same
            ? `present (data_md5 ${md5 ?? '?'})`
            : `destination has data_md5 ${md5}, ours is ${present?.data_md5}`,
        });
      }
    }
  }

  const report: TriageReport = {
    filename,
    names,
    role: config.role,
    dhs,
    store: { found, searchedTree },
    diskfiles,
    header,
    queues,
    errors,
    exports,
    preview,
    calcache,
    liveWorkers,
    problems: [],
    notes: [],
    facts: [],
    verdict: '',
  };
  const v = verdict(report, { dir, name, host: os.hostname() });
  report.problems = v.problems;
  report.notes = v.notes;
  report.facts = v.facts;
  report.verdict = v.line;
  return report;
}

async function findInDhs(dir: string, names: string[]): Promise<TriageReport['dhs']> {
  for (const n of names) {
    try {
      const s = await stat(path.join(dir, n));
      if (s.isFile()) return { dir, found: { key: n, size: s.size, lastmod: s.mtime } };
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code !== 'ENOENT') return { dir, found: null, error: `${path.join(dir, n)}: ${code}` };
    }
  }
  return { dir, found: null };
}
