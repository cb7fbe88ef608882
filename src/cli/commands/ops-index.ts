import type { Command } from 'commander';
import * as check from './check.js';
import { registerDbOps } from './db-ops.js';
import * as doctor from './doctor.js';
import { registerQueueOps } from './queue-ops.js';
import * as triage from './triage.js';

/** The operator toolkit: triage, check, doctor, and the queue and db verbs on the existing commands. */
export function registerOps(program: Command, hooks: { queue: Command; db: Command }): void {
  triage.register(program);
  check.register(program);
  doctor.register(program);
  registerQueueOps(hooks.queue);
  registerDbOps(hooks.db);
}
