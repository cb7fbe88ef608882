import { readFile, stat } from 'node:fs/promises';
import type { Db } from '../../db/pool.js';
import { isIngestibleName } from '../../gemini/filename.js';
import { recentUtDates } from '../../gemini/nights.js';
import type { Storage } from '../../storage/types.js';
import { enqueueIngest, type IngestItem } from '../ingest/ingestqueue.js';

// add-to-ingest-queue: select files in the store and queue them, in batches.

/** --file-re special values: files from the last N UTC days (fourday = 4 days including today). */
const FILE_RE_DAYS: Readonly<Record<string, number>> = {
  today: 1,
  twoday: 2,
  fourday: 4,
  tenday: 10,
  twentyday: 20,
};

export function fileRegex(fileRe: string | undefined, now = new Date()): RegExp | null {
  if (!fileRe) return null;
  const days = FILE_RE_DAYS[fileRe];
  if (days) {
    // Gemini-South names carry the night's date, which is the next UT date from 14:00 local time:
    // tonight's files are named tomorrow.
    const tomorrow = recentUtDates(1, new Date(now.getTime() + 86_400_000));
    return new RegExp(`(${[...recentUtDates(days, now), ...tomorrow].join('|')})`);
  }
  try {
    return new RegExp(fileRe);
  } catch (e) {
    throw new Error(`--file-re: not a valid regular expression "${fileRe}": ${(e as Error).message}`);
  }
}

/** The runbooks' skip rules: hidden and temporary files, and names the archive does not ingest. */
export function skipReason(name: string): string | null {
  if (name.startsWith('.')) return 'hidden or temporary file';
  if (/\.(tmp|part|swp)$|~$|\.tmp-/.test(name)) return 'temporary file';
  if (!isIngestibleName(name)) return 'not a FITS file name';
  return null;
}

export interface AddOptions {
  path?: string;
  fileRe?: string;
  filename?: string[];
  listfile?: string;
  force?: boolean;
  force_md5?: boolean;
  after?: Date;
  /** Only files modified in the last N days. */
  newfiles?: number;
  now?: Date;
  onProgress?: (listed: number) => void;
}

export interface AddResult {
  considered: number;
  skipped: number;
  queued: number;
  alreadyPending: number;
  /** Names given with --filename/--listfile that are not in the store: not queued. */
  missing: string[];
  /** Neither --file-re nor names: every file of the directory was taken. */
  wholeDirectory: boolean;
}

/** --path names a directory the store does not have (a typo must not pass as "0 queued"). */
export class MissingPathError extends Error {
  override name = 'MissingPathError';
}

export async function addToIngestQueue(db: Db, storage: Storage, o: AddOptions): Promise<AddResult> {
  const path = (o.path ?? '').replace(/^\/+|\/+$/g, '');
  const re = fileRegex(o.fileRe, o.now);
  const newerThan =
    o.newfiles !== undefined ? (o.now ?? new Date()).getTime() - o.newfiles * 86_400_000 : null;
  const items: IngestItem[] = [];
  let considered = 0;
  let skipped = 0;
  const take = (filename: string) => {
    considered++;
    if (skipReason(filename) || (re && !re.test(filename))) {
      skipped++;
      return;
    }
    items.push({ filename, path, force: o.force, force_md5: o.force_md5, after: o.after ?? null });
  };

  const named = [...(o.filename ?? [])];
  if (o.listfile) {
    const text = await readFile(o.listfile, 'utf8');
    named.push(
      ...text
        .split(/\r?\n/)
        .map((l) => l.trim())
        .filter((l) => l && !l.startsWith('#')),
    );
  }
  const missing: string[] = [];
  if (named.length) {
    // Explicit names must be there: a name that is not is reported, not queued to fail later.
    for (const n of named) {
      if (await storage.stat(path ? `${path}/${n}` : n)) take(n);
      else missing.push(n);
    }
  } else {
    if (path && !(await directoryExists(storage, path)))
      throw new MissingPathError(`--path ${path}: no such directory in the store`);
    const prefix = path;
    const nameOf = (key: string) => key.slice(prefix ? prefix.length + 1 : 0);
    if (newerThan === null) {
      // Only --newfiles needs a file's mtime: without it, the directory entries are enough.
      for await (const key of storage.listKeys(prefix, { shallow: true })) {
        take(nameOf(key));
        if (considered % 10_000 === 0) o.onProgress?.(considered);
      }
    } else {
      for await (const f of storage.list(prefix, { shallow: true })) {
        if (f.lastmod.getTime() < newerThan) {
          considered++;
          skipped++;
        } else take(nameOf(f.key));
        if (considered % 10_000 === 0) o.onProgress?.(considered);
      }
    }
  }
  const r = await enqueueIngest(db, items);
  return {
    considered,
    skipped,
    queued: r.queued,
    alreadyPending: r.alreadyPending,
    missing,
    wholeDirectory: !named.length && !re,
  };
}

async function directoryExists(storage: Storage, dir: string): Promise<boolean> {
  const local = storage.localPath(dir);
  if (local) return (await stat(local).catch(() => null))?.isDirectory() ?? false;
  // An object store has no directories: one key under the prefix makes it one.
  for await (const _ of storage.listKeys(dir)) return true;
  return false;
}
