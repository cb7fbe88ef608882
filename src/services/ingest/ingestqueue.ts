import type { Queryable } from '../../db/pool.js';
import * as engine from '../../queues/engine.js';
import { QUEUES } from '../../queues/tables.js';
import { sortkey } from '../../gemini/sortkey.js';

// Adding files to the ingest queue, from every source (copy-from-dhs, cron, uploads, header updates).

export interface IngestItem {
  filename: string;
  path?: string;
  force?: boolean;
  force_md5?: boolean;
  /** The queuing writer put the file into the store complete and md5-checked: no age deferral. */
  verified?: boolean;
  after?: Date | null;
}

export function enqueueIngest(db: Queryable, items: IngestItem[]): Promise<engine.EnqueueResult> {
  return engine.enqueue(
    db,
    QUEUES.ingest,
    items.map((i) => ({
      filename: i.filename,
      path: i.path ?? '',
      force: i.force ?? false,
      force_md5: i.force_md5 ?? false,
      verified: i.verified ?? false,
      after: i.after ?? null,
      sortkey: sortkey(i.filename),
    })),
  );
}
