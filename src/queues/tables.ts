// The four queues: a fixed, typed list, so table names never come from input.

export type QueueName = 'ingest' | 'export' | 'preview' | 'calcache';

export interface QueueTable {
  name: QueueName;
  table: 'ingestqueue' | 'exportqueue' | 'previewqueue' | 'calcachequeue';
  /** The value stored in queue_error.queue. */
  errorName: 'INGEST' | 'EXPORT' | 'PREVIEW' | 'CALCACHE';
  /** Columns that identify one item: one pending row per key. */
  key: string[];
  /** Every insertable column except sortkey/after, with its PostgreSQL type (for unnest casts). */
  columns: Record<string, string>;
  /** NOTIFY channel woken on enqueue. */
  channel: string;
}

export const QUEUES: Record<QueueName, QueueTable> = {
  ingest: {
    name: 'ingest',
    table: 'ingestqueue',
    errorName: 'INGEST',
    key: ['filename', 'path'],
    columns: { filename: 'text', path: 'text', force: 'boolean', force_md5: 'boolean', verified: 'boolean' },
    channel: 'fitsstore_ingestqueue',
  },
  export: {
    name: 'export',
    table: 'exportqueue',
    errorName: 'EXPORT',
    key: ['filename', 'path', 'destination'],
    columns: { filename: 'text', path: 'text', destination: 'text' },
    channel: 'fitsstore_exportqueue',
  },
  preview: {
    name: 'preview',
    table: 'previewqueue',
    errorName: 'PREVIEW',
    key: ['diskfile_id'],
    columns: { diskfile_id: 'bigint', filename: 'text', force: 'boolean' },
    channel: 'fitsstore_previewqueue',
  },
  calcache: {
    name: 'calcache',
    table: 'calcachequeue',
    errorName: 'CALCACHE',
    key: ['obs_hid'],
    columns: { obs_hid: 'bigint', filename: 'text' },
    channel: 'fitsstore_calcachequeue',
  },
};

export function queueByName(name: string): QueueTable {
  const q = (QUEUES as Record<string, QueueTable>)[name.toLowerCase().replace(/queue$/, '')];
  if (!q) throw new Error(`unknown queue "${name}": expected one of ${Object.keys(QUEUES).join(', ')}`);
  return q;
}

/** Defaults for the non-key columns, so callers may omit them. */
export const COLUMN_DEFAULTS: Record<string, unknown> = {
  path: '',
  force: false,
  force_md5: false,
  verified: false,
  filename: null,
};
