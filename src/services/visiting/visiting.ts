// copy-from-visiting-instrument: bring files of the visiting instruments ('Alopeke, Zorro, IGRINS,
// MAROON-X) from their staging areas into the store as `<instrument>/<YYYYMMDD>/<name>`, repairing
// on the way the header keywords their own data systems get wrong or leave out, and queue them
// for ingest with that path (FitsStorage's copy_from_visiting_instrument + header_fixer2).
//
// Repairs only fill gaps and normalise spellings; a value the instrument wrote correctly is never
// replaced. A repaired file gets HISTORY 'Corrected metadata: <instrument> fixes', as the archive's
// copies of these files carry. The copy goes through rewriteHeader (temp file, verify that it
// parses and that the data bytes are unchanged, rename), and a compressed source is stored as
// .bz2 again, as the runbook describes.
//
// Idempotent: a file already in the store (or present in the database under its name) is not
// copied again; one copied but never queued (a crash between the two) is queued on the next run.

import { mkdir, readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import type { Queryable } from '../../db/pool.js';
import {
  editHeader,
  headerLength,
  type CardChange,
  type EditChange,
  type HeaderEdit,
} from '../../fits/edit.js';
import { parseHeader, type FitsHeader } from '../../fits/header.js';
import { openFitsStream } from '../../fits/streams.js';
import type { WritableValue } from '../../fits/write.js';
import { trimBz2 } from '../../gemini/filename.js';
import { isValidProgramId } from '../../gemini/progid.js';
import type { Logger } from '../../log/logger.js';
import type { Storage } from '../../storage/types.js';
import { joinKey } from '../../storage/types.js';
import { rewriteHeader } from '../headers/headerrewrite.js';
import { enqueueIngest } from '../ingest/ingestqueue.js';

export type VisitingInstrument = 'alopeke' | 'zorro' | 'igrins' | 'maroonx';
export const VISITING_INSTRUMENTS: readonly VisitingInstrument[] = ['alopeke', 'zorro', 'igrins', 'maroonx'];

interface Rules {
  /** INSTRUME as the archive knows it. */
  instrume: string;
  telescope: 'Gemini-North' | 'Gemini-South';
  /** Names taken from the staging area; group 1 is the YYYYMMDD of the store directory. */
  name: RegExp;
  /** Where the program id is written when GEMPRGID is not. */
  programKeywords: string[];
  /** OBSID may be a bare observation number (IGRINS). */
  numericObsid?: boolean;
}

const RULES: Readonly<Record<VisitingInstrument, Rules>> = {
  // Speckle cameras: N20190313A0002r.fits.bz2 (b = blue, r = red camera), in date directories.
  alopeke: {
    instrume: 'Alopeke',
    telescope: 'Gemini-North',
    name: /^N(\d{8})A\d{4}[br]\.fits(\.bz2|\.gz)?$/,
    programKeywords: ['PROGID'],
  },
  zorro: {
    instrume: 'Zorro',
    telescope: 'Gemini-South',
    name: /^S(\d{8})Z\d{4}[br]\.fits(\.bz2|\.gz)?$/,
    programKeywords: ['PROGID'],
  },
  // SDCH_20200131_0010.fits: H, K, or S (slit-viewing camera). Early files wrote GEMPRID.
  igrins: {
    instrume: 'IGRINS',
    telescope: 'Gemini-South',
    name: /^SDC[HKS]_(\d{8})_\d{4}\.fits(\.bz2|\.gz)?$/,
    programKeywords: ['PROGID', 'GEMPRID'],
    numericObsid: true,
  },
  // MAROON-X files as the instrument team names them for the archive: N20250101M0624[br].fits.
  maroonx: {
    instrume: 'MAROON-X',
    telescope: 'Gemini-North',
    name: /^N(\d{8})M\d{4}[br]?\.fits(\.bz2|\.gz)?$/,
    programKeywords: ['MAROONX TELESCOPE PROGRAMID'],
  },
};

const iso = (yyyymmdd: string) => `${yyyymmdd.slice(0, 4)}-${yyyymmdd.slice(4, 6)}-${yyyymmdd.slice(6, 8)}`;

/** A Unix time (seconds) written as a number or a numeric string, else undefined. */
function unixSeconds(v: unknown): number | undefined {
  const n =
    typeof v === 'number' ? v : typeof v === 'string' && /^\d{9,}(\.\d*)?$/.test(v.trim()) ? Number(v) : NaN;
  return Number.isFinite(n) && n > 946_684_800 ? n : undefined; // after 2000-01-01
}

function canonicalTelescope(v: unknown): string | undefined {
  const t = typeof v === 'string' ? v.toLowerCase().replace(/[-_ ]/g, '') : '';
  return t === 'gemininorth' ? 'Gemini-North' : t === 'geminisouth' ? 'Gemini-South' : undefined;
}

/**
 * The repairs one file's primary header needs (empty when none). `name` is the staging name; its
 * date stands in for a missing DATE-OBS.
 */
export function repairEdit(inst: VisitingInstrument, h: FitsHeader, name: string): HeaderEdit {
  const r = RULES[inst];
  const set: CardChange[] = [];
  const put = (keyword: string, value: WritableValue, comment?: string) =>
    set.push({ keyword, value, comment });
  const str = (k: string) => {
    const v = h.get(k);
    return typeof v === 'string' && v.trim() !== '' ? v.trim() : undefined;
  };

  if (str('INSTRUME')?.toUpperCase() !== r.instrume.toUpperCase())
    put('INSTRUME', r.instrume, 'Instrument used to acquire data');
  const tel = canonicalTelescope(h.get('TELESCOP'));
  if (tel === undefined) put('TELESCOP', r.telescope, 'Name of telescope (Gemini-North|Gemini-South)');
  else if (tel !== h.get('TELESCOP')) put('TELESCOP', tel);
  if (!str('OBSERVAT') || canonicalTelescope(h.get('OBSERVAT')) === undefined)
    put('OBSERVAT', tel ?? r.telescope, 'Name of telescope (Gemini-North|Gemini-South)');

  // Program, observation and data label: what the archive searches by.
  let prog = str('GEMPRGID')?.toUpperCase();
  if (!prog) {
    const found = r.programKeywords.map((k) => str(k)?.toUpperCase()).find((p) => p && isValidProgramId(p));
    if (found) {
      prog = found;
      put('GEMPRGID', prog, 'Gemini programme ID');
    }
  }
  let obsid = str('OBSID')?.toUpperCase();
  const rawObsid = h.get('OBSID');
  if (prog) {
    if (r.numericObsid && (typeof rawObsid === 'number' || /^\d+$/.test(obsid ?? '')))
      obsid = `${prog}-${Number(rawObsid)}`;
    else if (!obsid || obsid === prog) obsid = `${prog}-0`;
    if (obsid !== h.get('OBSID')) put('OBSID', obsid, 'Observation ID');
  }
  if (obsid && !str('DATALAB')) put('DATALAB', `${obsid}-0`, 'Data label');

  // Observation type in capitals (Zorro wrote 'object'); OBJECT under its proper keyword.
  const obstype = str('OBSTYPE');
  if (obstype && obstype !== obstype.toUpperCase()) put('OBSTYPE', obstype.toUpperCase());
  const objectCard = h.card('OBJECT');
  if (
    objectCard &&
    objectCard.raw.slice(0, 8).trimEnd() !== 'OBJECT' &&
    !objectCard.raw.startsWith('HIERARCH')
  ) {
    put('OBJECT', (objectCard.value ?? '') as WritableValue, objectCard.comment);
  }
  // WCS reference values written as strings cannot be used as numbers.
  for (const k of ['CRVAL1', 'CRVAL2']) {
    const v = h.get(k);
    if (typeof v === 'string' && Number.isFinite(Number(v)) && v.trim() !== '') put(k, Number(v));
  }

  // When: DATE-OBS, and a UT time of day where the instrument only wrote a Unix time or OBSTIME.
  const dateOf = /(\d{8})/.exec(name)?.[1];
  const obstime = h.get('OBSTIME');
  const unix = unixSeconds(obstime) ?? unixSeconds(h.get('EXPSTART'));
  let dateObs = str('DATE-OBS')?.slice(0, 10);
  if (!dateObs) {
    dateObs =
      unix !== undefined
        ? new Date(unix * 1000).toISOString().slice(0, 10)
        : dateOf
          ? iso(dateOf)
          : undefined;
    if (dateObs) put('DATE-OBS', dateObs, 'UTC Date of observation (YYYY-MM-DD)');
  }
  const hasTime = ['UT', 'TIME-OBS'].some((k) => str(k)) || /T\d\d:\d\d/.test(str('DATE-OBS') ?? '');
  if (!hasTime) {
    const t =
      typeof obstime === 'string' && /^\d\d:\d\d:\d\d(\.\d+)?$/.test(obstime.trim())
        ? obstime.trim()
        : unix !== undefined
          ? new Date(unix * 1000).toISOString().slice(11, 23)
          : undefined;
    if (t) put('UT', t, 'UT at observation start');
  }

  // Proprietary period: one year from the observation, as the archive does for these files.
  if (!str('RELEASE') && dateObs && /^\d{4}-\d\d-\d\d$/.test(dateObs)) {
    const release = new Date(Date.parse(`${dateObs}T00:00:00Z`) + 365 * 86_400_000)
      .toISOString()
      .slice(0, 10);
    put('RELEASE', release, 'End of proprietary period YYYY-MM-DD');
  }
  if (!str('ORIGNAME')) put('ORIGNAME', trimCompression(name), 'Original filename prior to processing');

  return set.length ? { set, history: [`Corrected metadata: ${r.instrume} fixes`] } : {};
}

function trimCompression(name: string): string {
  return name.replace(/\.(bz2|gz)$/, '');
}

/** The store name of a staging file: compressed sources are kept as .bz2. */
function storeName(name: string): string {
  const plain = trimCompression(name);
  return plain === name ? name : `${plain}.bz2`;
}

/** The primary header of a (possibly compressed) file, reading no further than its END card. */
async function readPrimaryHeader(file: string): Promise<Buffer> {
  const stream = openFitsStream(file);
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      chunks.push(chunk);
      size += chunk.length;
      const buf = Buffer.concat(chunks, size);
      const len = headerLength(buf);
      if (len !== null) return buf.subarray(0, len);
      if (size > 2880 * 2000) break;
    }
  } finally {
    stream.destroy();
  }
  throw new Error(`${file}: not a FITS file: no END card in the primary header`);
}

export interface CopyOptions {
  instrument: VisitingInstrument;
  /** The staging area. */
  source: string;
  dryrun?: boolean;
  /** A file modified more recently than this may still be being written: left for the next run. */
  minAgeSeconds?: number;
  now?: Date;
}

export interface CopyDeps {
  db: Queryable;
  storage: Storage;
  log: Logger;
}

export interface CopyResult {
  copied: Array<{ source: string; key: string; changes: EditChange[] }>;
  /** Dry run: what would be copied. */
  wouldCopy: Array<{ source: string; key: string; changes: EditChange[] }>;
  /** Already in the store but not yet known to ingest: queued again. */
  requeued: string[];
  skipped: Array<{ source: string; reason: string }>;
  errors: Array<{ source: string; error: string }>;
}

/** Staging files of an instrument: in the staging directory or in its YYYYMMDD subdirectories. */
async function stagingFiles(source: string, re: RegExp): Promise<string[]> {
  const out: string[] = [];
  const walk = async (dir: string, depth: number) => {
    let entries;
    try {
      entries = await readdir(dir, { withFileTypes: true });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT' && depth > 0) return;
      throw e;
    }
    for (const ent of entries) {
      if (ent.name.startsWith('.') || ent.name.includes('tmp')) continue;
      const full = path.join(dir, ent.name);
      if (ent.isDirectory() && depth === 0) await walk(full, 1);
      else if (ent.isFile() && re.test(ent.name)) out.push(full);
    }
  };
  await walk(source, 0);
  return out.sort();
}

/** Whether the archive already has a present file of this name, wherever it came from. */
async function presentInDatabase(db: Queryable, name: string): Promise<boolean> {
  const r = await db.query(
    `SELECT 1 FROM diskfile df JOIN file f ON f.id = df.file_id WHERE df.present AND f.name = $1::text LIMIT 1`,
    [trimBz2(name)],
  );
  return r.rows.length > 0;
}

/** One pass over an instrument's staging area; see the module comment. */
export async function copyFromVisitingInstrument(deps: CopyDeps, opts: CopyOptions): Promise<CopyResult> {
  const rules = RULES[opts.instrument];
  const result: CopyResult = { copied: [], wouldCopy: [], requeued: [], skipped: [], errors: [] };
  const now = (opts.now ?? new Date()).getTime();
  const minAge = (opts.minAgeSeconds ?? 5) * 1000;
  for (const src of await stagingFiles(opts.source, rules.name)) {
    const name = path.basename(src);
    const date = rules.name.exec(name)![1];
    const dir = `${opts.instrument}/${date}`;
    const outName = storeName(name);
    const key = joinKey(dir, outName);
    try {
      const dest = deps.storage.localPath(key);
      if (!dest) throw new Error('copy-from-visiting-instrument needs a local-disk store');
      if (await presentInDatabase(deps.db, outName)) {
        result.skipped.push({ source: src, reason: 'already present in the database' });
        continue;
      }
      if (await deps.storage.stat(key)) {
        // Copied by an earlier run that did not get to queue it (or ingest has not run yet).
        if (!opts.dryrun) await enqueueIngest(deps.db, [{ filename: outName, path: dir }]);
        result.requeued.push(key);
        continue;
      }
      const st = await stat(src);
      if (now - st.mtimeMs < minAge) {
        result.skipped.push({ source: src, reason: 'modified in the last seconds; next run' });
        continue;
      }
      if (opts.dryrun) {
        const header = await readPrimaryHeader(src);
        const { changes } = editHeader(header, repairEdit(opts.instrument, parseHeader(header).header, name));
        result.wouldCopy.push({ source: src, key, changes });
        deps.log.info({ changes: changes.map((c) => c.keyword) }, `dry run: would copy ${src} to ${key}`);
        continue;
      }
      await mkdir(path.dirname(dest), { recursive: true });
      const done = await rewriteHeader(src, (h) => repairEdit(opts.instrument, h, name), {
        dest,
        always: true,
      });
      await enqueueIngest(deps.db, [{ filename: outName, path: dir }]);
      result.copied.push({ source: src, key, changes: done.changes });
      deps.log.info(
        { changes: done.changes.map((c) => c.keyword) },
        `copied ${src} to ${key} and queued it for ingest`,
      );
    } catch (e) {
      const error = e instanceof Error ? e.message : String(e);
      result.errors.push({ source: src, error });
      deps.log.error({ err: error }, `could not copy ${src}`);
    }
  }
  return result;
}
