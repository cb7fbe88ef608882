import { createReadStream } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import type { Db } from '../../db/pool.js';
import { structureOf, type Structure } from '../../fits/completeness.js';
import { readFits } from '../../fits/reader.js';
import { isIngestibleName } from '../../gemini/filename.js';
import type { Logger } from '../../log/logger.js';
import { recordErrorOnce } from '../../queues/engine.js';
import { keysInQueue } from '../../queues/items.js';
import { keyOf } from '../../queues/sql.js';
import { QUEUES } from '../../queues/tables.js';
import { decompressStream } from '../../storage/decompress.js';
import { hashingStream } from '../../storage/local.js';
import type { Storage } from '../../storage/types.js';
import { judgeCompleteness, quietMs, type Look } from './dhscomplete.js';
import { enqueueIngest } from '../ingest/ingestqueue.js';

// copy-from-dhs: the DHS disk is NFS (no inotify), so each pass lists it and works on the set
// difference against what has been copied. A file is copied once it is complete (FITS structure
// whole and unchanged while read, NEXTEND satisfied or, without NEXTEND, quiet for the settle
// interval: dhscomplete.ts) and valid (parses, has TELESCOP), via temp + fsync + verify + rename.
// The DHS file is never modified or deleted.

export interface DhsOptions {
  db: Db;
  dhsDir: string;
  storage: Storage;
  log: Logger;
  /** Seconds a file must stay unchanged before it is looked at. */
  minAgeSeconds: number;
  /** A stable file that is still invalid after this many seconds is reported as bad. */
  badAfterSeconds?: number;
  /**
   * Quiet time a file without NEXTEND needs before it counts as complete: system_parameters'
   * dhs_settle_seconds, re-read by the caller. Default 20.
   */
  settleSeconds?: () => number;
  dryrun?: boolean;
  now?: () => number;
}

interface Seen {
  size: number;
  mtimeMs: number;
  firstStable: number;
  /** Seen before with another size or mtime: it has been growing under our eyes. */
  grew: boolean;
  /** The structure read at this size/mtime: a settling file is not re-read every poll. */
  validation?: Validation;
  /** Reported as bad for this size/mtime: do not report again until the file changes. */
  reported?: boolean;
}

export interface PassResult {
  copied: string[];
  waiting: string[];
  bad: string[];
  ignored: number;
  /** FITS-looking names the pipeline does not take (.fit, .FITS, .fz): logged once each. */
  skipped: string[];
}

export class DhsCopier {
  /** name → size/mtime of the DHS file when it was copied (or found already in dataflow). */
  private done = new Map<string, { size: number; mtimeMs: number }>();
  private pending = new Map<string, Seen>();
  private skipLogged = new Set<string>();
  private primed = false;

  constructor(private o: DhsOptions) {}

  /**
   * The catch-up after downtime: whatever is already in the store is done, as the runbook says
   * ("copies any files that are not already on the dataflow filesystem"), whatever its size: a
   * header update may have changed it there, and copying the DHS original back would undo that.
   * A later change of the DHS file is still noticed. A crash between the rename into the store
   * and the enqueue leaves a file copied but never queued: those without a present diskfile or a
   * queue row are queued now. (Both found by the fault suite, test/faults/.)
   */
  private async prime(names: string[]) {
    const inStore: string[] = [];
    for (const n of names) {
      if (!(await this.o.storage.stat(n))) continue;
      try {
        const d = await stat(path.join(this.o.dhsDir, n));
        this.done.set(n, { size: d.size, mtimeMs: d.mtimeMs });
        inStore.push(n);
      } catch {
        // vanished from the DHS meanwhile: nothing to copy
      }
    }
    if (inStore.length && !this.o.dryrun) {
      const r = await this.o.db.query(
        `SELECT n FROM unnest($1::text[]) AS n
         WHERE NOT EXISTS (SELECT 1 FROM diskfile d WHERE d.filename = n AND d.path = '' AND d.present)`,
        [inStore],
      );
      // Any row counts, failed ones too: a file whose ingest failed is not queued again at each start.
      const keys = r.rows.map((x) => ({ filename: x.n as string, path: '' }));
      const queued = await keysInQueue(this.o.db, QUEUES.ingest, keys, { withFailed: true });
      const missing = keys.filter((k) => !queued.has(keyOf(QUEUES.ingest, k))).map((k) => k.filename);
      if (missing.length) {
        this.o.log.info(`Adding ${missing.length} files in the store but never ingested to IngestQueue`);
        await enqueueIngest(
          this.o.db,
          missing.map((filename) => ({ filename, path: '' })),
        );
      }
    }
    this.primed = true;
  }

  /**
   * Milliseconds until a file seen waiting is worth looking at again: when its settle time is
   * over, right away for one first seen in the last pass, a second later for one that was due
   * but not yet complete (a stalled writer: its next write raises an event anyway; a file
   * without NEXTEND waiting out its settle interval: its structure read is kept, so a look is
   * cheap). Null: nothing
   * waits. The loop sleeps this long rather than a whole poll interval.
   */
  nextCheckMs(): number | null {
    const now = (this.o.now ?? Date.now)();
    let next: number | null = null;
    for (const seen of this.pending.values()) {
      if (seen.reported) continue;
      const since = seen.mtimeMs > now ? seen.firstStable : seen.mtimeMs; // as pass() counts age
      const settled = since + this.o.minAgeSeconds * 1000;
      const at = settled > now ? settled : seen.firstStable === this.lastPassAt ? now + 20 : now + 1000;
      next = next === null ? at : Math.min(next, at);
    }
    return next === null ? null : Math.max(0, next - now);
  }

  private lastPassAt = 0;

  /** One look at the DHS directory: copies what is complete. A missing directory throws. */
  async pass(): Promise<PassResult> {
    const { log } = this.o;
    const now = (this.o.now ?? Date.now)();
    this.lastPassAt = now;
    const res: PassResult = { copied: [], waiting: [], bad: [], ignored: 0, skipped: [] };
    const entries = await readdir(this.o.dhsDir, { withFileTypes: true });
    const candidates: string[] = [];
    for (const e of entries) {
      const why = e.isDirectory() ? undefined : unsupportedFitsName(e.name);
      if (e.isDirectory()) {
        log.debug(`Ignoring directory: ${e.name}`);
        res.ignored++;
      } else if (e.name.startsWith('.') || /\.(tmp|part)$|~$/.test(e.name)) {
        log.debug(`Ignoring tmp file: ${e.name}`);
        res.ignored++;
      } else if (why) {
        // A FITS file the pipeline will not take must not vanish silently: say so once per file.
        res.skipped.push(e.name);
        if (!this.skipLogged.has(e.name)) {
          this.skipLogged.add(e.name);
          log.warn({ filename: e.name }, `Skipping ${e.name}: ${why}`);
        }
      } else if (!isIngestibleName(e.name) || !e.isFile()) {
        log.debug(`Ignoring non-FITS name: ${e.name}`);
        res.ignored++;
      } else candidates.push(e.name);
    }
    if (!this.primed) await this.prime(candidates);
    let fresh = 0;
    for (const name of candidates) {
      const file = path.join(this.o.dhsDir, name);
      let st;
      try {
        st = await stat(file);
      } catch {
        continue; // vanished between listing and stat
      }
      const done = this.done.get(name);
      if (done && done.size === st.size && (done.mtimeMs === -1 || done.mtimeMs === st.mtimeMs)) continue;
      fresh++;
      let seen = this.pending.get(name);
      if (!seen || seen.size !== st.size || seen.mtimeMs !== st.mtimeMs) {
        seen = { size: st.size, mtimeMs: st.mtimeMs, firstStable: now, grew: seen !== undefined };
        this.pending.set(name, seen);
      }
      // Cheap first filter before reading anything: written to within min_age_seconds.
      if (quietMs(st, now, seen.firstStable, seen.grew) < this.o.minAgeSeconds * 1000) {
        res.waiting.push(name);
        continue;
      }
      const outcome = await this.tryCopy(name, file, st, seen, now);
      if (outcome === 'copied') res.copied.push(name);
      else if (outcome === 'bad') res.bad.push(name);
      else res.waiting.push(name);
    }
    if (fresh) log.debug(`${fresh} new files to check`);
    if (res.skipped.length) log.debug(`${res.skipped.length} files skipped (unsupported FITS names)`);
    log.debug('Pass complete, sleeping');
    return res;
  }

  private async tryCopy(
    name: string,
    file: string,
    st: Look,
    seen: Seen,
    now: number,
  ): Promise<'copied' | 'wait' | 'bad'> {
    const { log } = this.o;
    const { size, mtimeMs } = st;
    let check = seen.validation;
    let after: Look = st;
    if (!check) {
      check = await validate(file);
      try {
        after = await stat(file);
      } catch {
        this.pending.delete(name);
        return 'wait'; // vanished while being read
      }
      if (after.size === size && after.mtimeMs === mtimeMs) seen.validation = check;
    }
    if (!check.ok) {
      // Still being written looks the same as truncated: wait, and only call it bad once it has
      // stayed unchanged for a while.
      const badAfter = (this.o.badAfterSeconds ?? 60) * 1000;
      if (now - seen.firstStable >= badAfter && !seen.reported) {
        seen.reported = true;
        const reason = `${name}: not copied from DHS: ${check.reason}`;
        log.error({ filename: name }, reason);
        if (!this.o.dryrun) {
          await recordErrorOnce(this.o.db, QUEUES.ingest, { filename: name, path: this.o.dhsDir }, reason);
        }
        return 'bad';
      }
      if (!seen.reported) log.debug(`${name} not ready: ${check.reason}`);
      return seen.reported ? 'bad' : 'wait';
    }
    const verdict = judgeCompleteness({
      structure: check.structure!,
      before: st,
      after,
      now,
      firstSeen: seen.firstStable,
      grew: seen.grew,
      minAgeMs: this.o.minAgeSeconds * 1000,
      settleMs: (this.o.settleSeconds?.() ?? 20) * 1000,
    });
    if (!verdict.complete) {
      log.debug(`${name} not ready: ${verdict.reason}`);
      return 'wait';
    }
    if (this.o.dryrun) {
      log.info(`Would copy ${name} to ${this.describeStore()}`);
      this.done.set(name, { size, mtimeMs });
      return 'copied';
    }
    // Already copied (a second daemon, or a pass whose enqueue failed while the database was
    // down): the store keeps the DHS mtime, so the same size and mtime mean the same file.
    const stored = await this.o.storage.stat(name);
    if (stored && stored.size === size && Math.floor(stored.lastmod.getTime()) === Math.floor(mtimeMs)) {
      log.debug(`${name} is already in ${this.describeStore()}; not copying it again`);
    } else if (!(await this.copy(name, file, check.md5, mtimeMs))) {
      this.pending.delete(name);
      return 'wait';
    }
    const later = await stat(file);
    if (later.size !== size || later.mtimeMs !== mtimeMs) {
      log.warn(`${name} changed while being copied; will copy again`);
      this.pending.delete(name);
      return 'wait';
    }
    log.info(`Adding ${name} to IngestQueue`);
    await enqueueIngest(this.o.db, [{ filename: name, path: '', verified: true }]);
    this.done.set(name, { size, mtimeMs });
    this.pending.delete(name);
    return 'copied';
  }

  /** temp + fsync + verify + rename through the store; false (logged) when it failed. */
  private async copy(name: string, file: string, md5: string | undefined, mtimeMs: number): Promise<boolean> {
    const { log } = this.o;
    log.info(`Copying ${name} to ${this.describeStore()}`);
    try {
      await this.o.storage.write(name, createReadStream(file), {
        expectMd5: md5,
        mtime: new Date(mtimeMs),
      });
      return true;
    } catch (e) {
      // Changed between validation and copy, or the store failed: nothing was left behind; retry.
      log.warn({ filename: name, err: (e as Error).message }, `copy of ${name} failed; will retry`);
      return false;
    }
  }

  private describeStore() {
    return this.o.storage.localPath('') ?? 'the store';
  }
}

export interface Validation {
  ok: boolean;
  reason?: string;
  md5?: string;
  size?: number;
  structure?: Structure;
}

/**
 * Valid and structurally whole: the FITS structure is whole (fits/completeness.ts) and the
 * primary header has TELESCOP. Whether a whole structure is the whole file is judgeCompleteness's
 * call.
 */
export async function validate(file: string): Promise<Validation> {
  const hash = hashingStream();
  const src = createReadStream(file);
  src.on('error', (e) => hash.destroy(e));
  try {
    // md5 of the bytes as they lie on the DHS (the copy is checked against it); FITS checks on the
    // decompressed stream.
    const r = await readFits(decompressStream(src.pipe(hash), file), { wantData: () => false });
    const structure = structureOf(r);
    if (!structure.whole) return { ok: false, reason: structure.reason, structure };
    if (!r.hdus[0]?.header.has('TELESCOP'))
      return { ok: false, reason: 'primary header has no TELESCOP keyword', structure };
    const d = hash.digest();
    return { ok: true, md5: d.md5, size: d.size, structure };
  } catch (e) {
    return { ok: false, reason: (e as Error).message };
  }
}

/**
 * FITS files in spellings the DHS may write but the pipeline does not ingest: the archive's names
 * end in .fits (optionally .gz/.bz2), and tile-compressed .fz files are not unpacked here.
 */
export function unsupportedFitsName(name: string): string | undefined {
  if (/\.fits(\.gz|\.bz2)?$/.test(name)) return undefined;
  if (/\.fz$/i.test(name))
    return 'tile-compressed .fz files are not ingested; funpack it to .fits on the DHS';
  if (/\.fits?(\.gz|\.bz2)?$/i.test(name))
    return 'not a .fits name the archive ingests (spelling or case); rename it to .fits';
  return undefined;
}
