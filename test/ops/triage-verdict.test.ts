import { describe, expect, it } from 'vitest';
import { workerCell } from '../../src/cli/commands/triage.js';
import type { DiskfileInfo, ExportState } from '../../src/ops/triage.js';
import { verdict, type Facts } from '../../src/ops/triage-verdict.js';
import type { QueueItem } from '../../src/queues/items.js';

// Every combination of facts the support notes walk through (DHS → store → database → queues →
// export destinations), including "missing everywhere": each verdict must follow from the facts
// and name them, and any wrong fact must be a problem (triage exits 1 on problems).

const NAME = 'N20250301S0007.fits';
const DEST = 'http://archive.example';
const t0 = new Date('2025-03-01T12:00:00Z');

function facts(o: Partial<Facts> = {}): Facts {
  return {
    filename: NAME,
    names: [NAME, `${NAME}.bz2`],
    role: 'summit',
    dhs: { dir: '/dhs', found: null },
    store: { found: [], searchedTree: true },
    diskfiles: [],
    header: null,
    queues: [],
    errors: [],
    exports: [],
    preview: [],
    calcache: null,
    liveWorkers: {},
    ...o,
  };
}
const inDhs = { dir: '/dhs', found: { key: NAME, size: 8640, lastmod: t0 } };
const inStore = { found: [{ key: NAME, size: 8640, lastmod: t0 }], searchedTree: false };
function df(o: Partial<DiskfileInfo> = {}): DiskfileInfo {
  return {
    id: 11,
    filename: NAME,
    path: '',
    present: true,
    canonical: true,
    file_size: 8640,
    file_md5: 'f',
    data_md5: 'd',
    lastmod: t0,
    entrytime: t0,
    ...o,
  };
}
const header = { id: 21, engineering: false };
function row(queue: string, state: QueueItem['state'], o: Partial<QueueItem & { holder?: string }> = {}) {
  return {
    queue,
    id: 1,
    key: NAME,
    filename: NAME,
    path: '',
    state,
    added: t0,
    after: null,
    attempts: 0,
    worker: null,
    heartbeat_at: null,
    error: state === 'failed' ? 'boom: it broke' : null,
    ...o,
  };
}
const dest = (state: ExportState['state'], detail: string = state): ExportState => ({
  destination: DEST,
  state,
  detail,
});
const ingested = { store: inStore, diskfiles: [df()], header, liveWorkers: { ingest: 2, export: 1 } };

const CASES: [string, Partial<Facts>, 'OK' | 'PROBLEM', RegExp][] = [
  [
    'missing everywhere',
    {},
    'PROBLEM',
    /not found anywhere: not in the DHS directory \(\/dhs\), the store \(whole tree searched\), or the database/,
  ],
  [
    'only on the DHS',
    { dhs: inDhs },
    'PROBLEM',
    /in the DHS directory \(\/dhs\) but not copied into the store/,
  ],
  [
    'in the store, never ingested, not queued (older than twentyday)',
    { store: inStore },
    'PROBLEM',
    /never ingested and is not queued[\s\S]*FIX: fitsstore add-to-ingest-queue --filename=N20250301S0007.fits$/m,
  ],
  [
    'in the store, queued, workers alive',
    { store: inStore, queues: [row('ingest', 'pending')], liveWorkers: { ingest: 1 } },
    'OK',
    /^OK: not ingested yet \(waiting in the ingest queue; the workers are alive\)/,
  ],
  [
    'in the store, queued, no ingest worker',
    { store: inStore, queues: [row('ingest', 'pending')] },
    'PROBLEM',
    /no ingest worker is alive\nFIX: sudo systemctl start fits-service_ingest_queue1/,
  ],
  [
    'ingest failed',
    { store: inStore, queues: [row('ingest', 'failed')] },
    'PROBLEM',
    /ingest failed: boom: it broke\nFIX: fitsstore queue retry --queue ingest/,
  ],
  [
    'ingest in progress under a dead worker',
    {
      store: inStore,
      queues: [
        row('ingest', 'in_progress', {
          worker: 'siq1@h:1#0',
          holder: 'DEAD: process 1 on this host is gone',
        }),
      ],
    },
    'PROBLEM',
    /held by a dead worker[\s\S]*FIX: fitsstore queue release --queue ingest/,
  ],
  [
    'stuck failed duplicate next to a pending row',
    {
      store: inStore,
      queues: [row('ingest', 'failed'), row('ingest', 'pending', { id: 2 })],
      liveWorkers: { ingest: 1 },
    },
    'PROBLEM',
    /duplicate[\s\S]*FIX: fitsstore queue dedupe --queue ingest/,
  ],
  [
    'database says present, store lost it',
    { diskfiles: [df()], header },
    'PROBLEM',
    /says N20250301S0007.fits is present, but it is not in the store\nFIX: fitsstore check --fix/,
  ],
  [
    'changed on disk since its ingest, not queued',
    {
      ...ingested,
      store: {
        found: [{ key: NAME, size: 11520, lastmod: new Date(t0.getTime() + 60_000) }],
        searchedTree: false,
      },
    },
    'PROBLEM',
    /changed on disk since its last ingest \(size 8640 → 11520\)/,
  ],
  ['ingested, header row missing', { ...ingested, header: null }, 'PROBLEM', /no header row\nFIX: .*--force/],
  [
    'healthy, engineering data',
    { ...ingested, header: { id: 21, engineering: true }, exports: [dest('present')] },
    'OK',
    /^OK: ingested as diskfile 11, header 21; at 1\/1 destinations \(engineering data/,
  ],
  [
    'cleared for space, the archive has it (asked live)',
    { diskfiles: [df({ present: false })], exports: [dest('present')] },
    'OK',
    /^OK: ingested; no longer in the store; at 1\/1 destinations \(cleared from the store for space; http:\/\/archive.example serves it \(asked live\)\)/,
  ],
  [
    'cleared for space, no archive configured to ask',
    { diskfiles: [df({ present: false })] },
    'PROBLEM',
    /marked not present and the file is not in the store, and no export destination is configured/,
  ],
  [
    'cleared for space, the archive does not have it',
    { diskfiles: [df({ present: false })], exports: [dest('absent')] },
    'PROBLEM',
    /and no export destination has it \(http:\/\/archive.example: absent\)/,
  ],
  [
    'cleared for space, the archive cannot be asked',
    { diskfiles: [df({ present: false })], exports: [dest('unreachable', 'ECONNREFUSED')] },
    'PROBLEM',
    /no export destination has it \(http:\/\/archive.example: unreachable\)/,
  ],
  [
    'archive role lost its file',
    { role: 'archive', diskfiles: [df({ present: false })] },
    'PROBLEM',
    /this archive no longer has it/,
  ],
  [
    'not at the destination, not queued for export',
    { ...ingested, exports: [dest('absent')] },
    'PROBLEM',
    /not at http:\/\/archive.example .* and not queued for export\nFIX: .*--force/,
  ],
  [
    'not at the destination, export queued',
    { ...ingested, exports: [dest('absent')], queues: [row('export', 'pending', { destination: DEST })] },
    'OK',
    /^OK: .*at 0\/1 destinations \(export to http:\/\/archive.example is queued \(pending\)\)/,
  ],
  [
    'export failed',
    { ...ingested, exports: [dest('absent')], queues: [row('export', 'failed', { destination: DEST })] },
    'PROBLEM',
    /export failed for http:\/\/archive.example: boom[\s\S]*FIX: fitsstore queue retry --queue export/,
  ],
  [
    'export waiting, no export worker',
    {
      ...ingested,
      liveWorkers: { ingest: 1 },
      exports: [dest('absent')],
      queues: [row('export', 'pending', { destination: DEST })],
    },
    'PROBLEM',
    /no export worker is alive\nFIX: sudo systemctl start fits-service_export_queue1/,
  ],
  [
    'destination unreachable',
    { ...ingested, exports: [dest('unreachable', 'connect ECONNREFUSED')] },
    'PROBLEM',
    /export destination http:\/\/archive.example is unreachable: connect ECONNREFUSED/,
  ],
  [
    'destination has other data',
    { ...ingested, exports: [dest('md5-differs', 'destination has data_md5 x, ours is d')] },
    'PROBLEM',
    /not at http:\/\/archive.example \(destination has data_md5 x, ours is d\) and not queued/,
  ],
  [
    'archive: no preview and none queued',
    { ...ingested, role: 'archive' },
    'PROBLEM',
    /no preview and none queued/,
  ],
  [
    'healthy, exported',
    { ...ingested, exports: [dest('present')] },
    'OK',
    /^OK: ingested as diskfile 11, header 21; at 1\/1 destinations$/m,
  ],
];

describe('triage verdicts, one per combination of facts', () => {
  it.each(CASES)('%s → %s', (_name, f, kind, re) => {
    const v = verdict(facts(f), { dir: '', name: NAME });
    expect(v.line.startsWith(kind)).toBe(true);
    expect(v.problems.length > 0).toBe(kind === 'PROBLEM');
    expect(v.line).toMatch(re);
    // Says what it checked: every source, destinations asked live.
    const sources = v.facts.map((x) => x.source);
    expect(sources.slice(0, 7)).toEqual([
      'DHS',
      'store',
      'database',
      'queue ingest',
      'queue export',
      'queue preview',
      'queue calcache',
    ]);
    for (const e of f.exports ?? []) expect(sources).toContain(`export ${e.destination} (live)`);
    expect(v.line).toMatch(
      new RegExp(`\\nchecked: ${sources.map((s) => s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')).join(', ')}$`),
    );
  });

  it('the worker column never says "(undefined)": a failed row keeps its last worker without a holder', () => {
    expect(workerCell({ worker: 'seq1@h:1#0' })).toBe('seq1@h:1#0 (last)');
    expect(workerCell({ worker: 'seq1@h:1#0', holder: 'alive: heartbeat 1 s ago' })).toBe(
      'seq1@h:1#0 (alive: heartbeat 1 s ago)',
    );
    expect(workerCell({ worker: null })).toBe('');
  });
});
