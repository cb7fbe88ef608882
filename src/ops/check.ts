import path from 'node:path';
import type { Db } from '../db/pool.js';
import * as admin from './check-sql.js';
import { keysInQueue } from '../queues/items.js';
import { keyOf } from '../queues/sql.js';
import { QUEUES } from '../queues/tables.js';
import { skipReason } from '../services/summit/addtoingest.js';
import { markNotPresent } from '../services/ingest/diskfile.js';
import { enqueueIngest } from '../services/ingest/ingestqueue.js';
import { md5OfStored } from '../storage/md5.js';
import { joinKey, type Storage } from '../storage/types.js';

// `fitsstore check`: the database and the store must agree (CRDS `sync --check-files` style).
// Reports by default; repairs only with fix. Fast mode stats files (nightly); --md5 reads them,
// within a byte budget per run, continuing where the last run stopped (ops_scrub_state), so a
// small nightly budget still covers the whole store over days.

export type ProblemKind = 'missing' | 'orphan' | 'size' | 'md5';

export interface CheckProblem {
  kind: ProblemKind;
  key: string;
  diskfileId?: number;
  detail: string;
  /** What --fix did about it, if anything. */
  fixed?: string;
}

export interface CheckOptions {
  db: Db;
  storage: Storage;
  fix?: boolean;
  /** Mark missing files not present even when most of the store looks missing (see below). */
  force?: boolean;
  /** Only this directory of the store (and the diskfiles under it). */
  prefix?: string;
  orphans?: boolean;
  md5?: boolean;
  /** Bytes to read per md5 run; undefined = the whole store. */
  byteBudget?: number;
  /** Files modified this recently may still be being written or ingested: not judged. */
  settleSeconds?: number;
  now?: Date;
  onProgress?: (phase: string, done: number, total?: number) => void;
}

export interface CheckResult {
  problems: CheckProblem[];
  checked: { diskfiles: number; storeFiles: number; ignored: number; md5Files: number; md5Bytes: number };
  scrub?: { fromId: number; toId: number; wrapped: boolean; passesCompleted: number };
  fixed: { markedNotPresent: number; queued: number };
  /** Why --fix did not mark missing files, when it refused. */
  refused?: string;
}

const BATCH = 1000;

export async function check(o: CheckOptions): Promise<CheckResult> {
  const prefix = (o.prefix ?? '').replace(/^\/+|\/+$/g, '').replace(/^\.$/, '');
  const now = (o.now ?? new Date()).getTime();
  const settled = (d: Date) => now - d.getTime() > (o.settleSeconds ?? 60) * 1000;
  const res: CheckResult = {
    problems: [],
    checked: { diskfiles: 0, storeFiles: 0, ignored: 0, md5Files: 0, md5Bytes: 0 },
    fixed: { markedNotPresent: 0, queued: 0 },
  };

  // 1. Every present diskfile has its file, of the recorded size.
  const total = await admin.countPresent(o.db, prefix);
  const missing: CheckProblem[] = [];
  const resize: { path: string; filename: string; problem: CheckProblem }[] = [];
  for await (const d of admin.presentDiskfiles(o.db, prefix, 0, BATCH)) {
    const key = joinKey(d.path, d.filename);
    const st = await o.storage.stat(key);
    res.checked.diskfiles++;
    if (res.checked.diskfiles % 500 === 0) o.onProgress?.('diskfiles', res.checked.diskfiles, total);
    if (!st)
      missing.push({
        kind: 'missing',
        key,
        diskfileId: d.id,
        detail: 'present in the database, not in the store',
      });
    else if (d.file_size !== null && Number(d.file_size) !== st.size && settled(st.lastmod)) {
      resize.push({
        path: d.path,
        filename: d.filename,
        problem: {
          kind: 'size',
          key,
          diskfileId: d.id,
          detail: `database ${d.file_size} bytes, store ${st.size}`,
        },
      });
    }
  }
  o.onProgress?.('diskfiles', res.checked.diskfiles, total);
  // A size change with a re-ingest already queued is being handled, not a problem.
  const queued = await keysInQueue(o.db, QUEUES.ingest, resize);
  const sizes = resize.filter((x) => !queued.has(keyOf(QUEUES.ingest, x)));
  res.problems.push(...missing, ...sizes.map((x) => x.problem));

  if (o.fix && missing.length) {
    // An unmounted or empty store makes every file look missing; marking the whole archive not
    // present would be a disaster, so a mostly-missing store needs --force.
    if (!o.force && missing.length >= 10 && missing.length > res.checked.diskfiles / 2) {
      res.refused = `${missing.length} of ${res.checked.diskfiles} files look missing: is the store mounted? Not marking them (use --force)`;
    } else {
      for (const m of missing) {
        const slash = m.key.lastIndexOf('/');
        const n = await markNotPresent(o.db, m.key.slice(slash + 1), slash < 0 ? '' : m.key.slice(0, slash));
        res.fixed.markedNotPresent += n;
        m.fixed = n ? 'marked not present' : 'already changed meanwhile';
      }
    }
  }
  if (o.fix && sizes.length) {
    const r = await enqueueIngest(
      o.db,
      sizes.map((x) => ({ filename: x.filename, path: x.path })),
    );
    res.fixed.queued += r.queued;
    for (const x of sizes) x.problem.fixed = 'queued for re-ingest';
  }

  // 2. Every file in the store has a present diskfile (or is queued for ingest).
  if (o.orphans !== false) {
    let batch: { path: string; filename: string; key: string; lastmod: Date }[] = [];
    const flush = async () => {
      const known = await admin.presentKeys(o.db, batch);
      const candidates = batch.filter(
        (f) => !known.has(`${f.path}\u0000${f.filename}`) && settled(f.lastmod),
      );
      const inQueue = await keysInQueue(o.db, QUEUES.ingest, candidates);
      const orphans = candidates.filter((f) => !inQueue.has(keyOf(QUEUES.ingest, f)));
      const found = orphans.map((f): CheckProblem => ({
        kind: 'orphan',
        key: f.key,
        detail: 'in the store, no present diskfile, not queued',
      }));
      if (o.fix && orphans.length) {
        const r = await enqueueIngest(
          o.db,
          orphans.map((f) => ({ filename: f.filename, path: f.path })),
        );
        res.fixed.queued += r.queued;
        for (const p of found) p.fixed = 'queued for ingest';
      }
      res.problems.push(...found);
      batch = [];
    };
    for await (const f of o.storage.list(prefix)) {
      const filename = path.posix.basename(f.key);
      if (skipReason(filename)) {
        res.checked.ignored++;
        continue;
      }
      res.checked.storeFiles++;
      const dir = path.posix.dirname(f.key);
      batch.push({ path: dir === '.' ? '' : dir, filename, key: f.key, lastmod: f.lastmod });
      if (batch.length >= BATCH) await flush();
      if (res.checked.storeFiles % 500 === 0) o.onProgress?.('store files', res.checked.storeFiles);
    }
    if (batch.length) await flush();
    o.onProgress?.('store files', res.checked.storeFiles);
  }

  // 3. Rolling md5 scrub.
  if (o.md5) await scrub(o, prefix, res);
  return res;
}

async function scrub(o: CheckOptions, prefix: string, res: CheckResult) {
  const name = `md5:${prefix || '*'}`;
  const state = await admin.loadScrub(o.db, name);
  const budget = o.byteBudget ?? Infinity;
  let last = state.last_diskfile_id;
  const fromId = last;
  let wrapped = false;
  let passes = state.passes_completed;
  let bytesThisPass = Number(state.bytes_this_pass);
  let sinceSave = 0;
  let sawAny = false;
  for (;;) {
    let stop = false;
    for await (const d of admin.presentDiskfiles(o.db, prefix, last, 200)) {
      // At most once round per run: after wrapping, stop where this run began.
      if (wrapped && d.id > fromId) {
        stop = true;
        break;
      }
      sawAny = true;
      const key = joinKey(d.path, d.filename);
      const got = await md5Of(o.storage, key);
      last = d.id;
      if (got) {
        res.checked.md5Files++;
        res.checked.md5Bytes += got.size;
        bytesThisPass += got.size;
        if (d.file_md5 && got.md5 !== d.file_md5) {
          res.problems.push({
            kind: 'md5',
            key,
            diskfileId: d.id,
            // Not repaired by --fix: re-ingesting would record the damaged bytes as the new
            // version. Restore the file (archive copy or backup), or re-ingest if it was intended.
            detail: `database md5 ${d.file_md5}, store ${got.md5} (${got.size} bytes)`,
          });
        }
        o.onProgress?.('md5 bytes', res.checked.md5Bytes, Number.isFinite(budget) ? budget : undefined);
      } // a missing file is reported by the fast check
      if (++sinceSave >= 100) {
        await admin.saveScrub(o.db, name, { last, passes, bytesThisPass, newPass: false });
        sinceSave = 0;
      }
      if (res.checked.md5Bytes >= budget) {
        stop = true;
        break;
      }
    }
    if (stop || wrapped || (!sawAny && fromId === 0)) break;
    // End of the table: a pass is complete; continue from the lowest id.
    passes++;
    wrapped = true;
    last = 0;
    bytesThisPass = 0;
    await admin.saveScrub(o.db, name, { last, passes, bytesThisPass, newPass: true });
    if (fromId === 0) break; // this run began at the start: the whole table is covered
  }
  await admin.saveScrub(o.db, name, { last, passes, bytesThisPass, newPass: false });
  res.scrub = { fromId, toId: last, wrapped, passesCompleted: passes };
}

async function md5Of(storage: Storage, key: string): Promise<{ md5: string; size: number } | null> {
  try {
    return await md5OfStored(storage, key);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT' || (e as { name?: string }).name === 'NoSuchKey')
      return null;
    throw e;
  }
}

/** "500G", "10MB", "1.5T", "1048576" → bytes (powers of 1024). */
export function parseBytes(text: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*([kmgtp]?)(i?b)?$/i.exec(text.trim());
  if (!m) throw new Error(`expected a size such as 500G, 20M or 1048576, got "${text}"`);
  const pow = ' kmgtp'.indexOf((m[2] || ' ').toLowerCase());
  return Math.floor(Number(m[1]) * 1024 ** pow);
}
