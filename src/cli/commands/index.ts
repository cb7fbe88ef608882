import type { Command } from 'commander';
import * as addToCalcacheQueue from './add-to-calcache-queue.js';
import * as addToIngestQueue from './add-to-ingest-queue.js';
import * as addToPreviewQueue from './add-to-preview-queue.js';
import * as copyFromDhs from './copy-from-dhs.js';
import * as copyFromVisitingInstrument from './copy-from-visiting-instrument.js';
import * as db from './db.js';
import * as fitsheader from './fitsheader.js';
import * as headerUpdates from './header-updates.js';
import * as ingestUploaded from './ingest-uploaded.js';
import * as notification from './notification.js';
import { registerOps } from './ops-index.js';
import * as params from './params.js';
import * as photstandards from './photstandards.js';
import * as queue from './queue.js';
import * as serviceQueue from './service-queue.js';
import * as units from './units.js';
import * as up from './up.js';
import * as user from './user.js';
import * as youGotDataEmail from './you-got-data-email.js';

// One line per command module; each exports register(program).
export function registerCommands(program: Command): void {
  copyFromDhs.register(program);
  addToIngestQueue.register(program);
  addToPreviewQueue.register(program);
  addToCalcacheQueue.register(program);
  serviceQueue.register(program);
  registerOps(program, { queue: queue.register(program), db: db.register(program) });
  params.register(program);
  up.register(program);
  fitsheader.register(program);
  notification.register(program);
  youGotDataEmail.register(program);
  headerUpdates.register(program);
  copyFromVisitingInstrument.register(program);
  ingestUploaded.register(program);
  user.register(program);
  photstandards.register(program);
  units.register(program);
}
