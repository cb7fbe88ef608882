import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Reporter, TestModule, Vitest } from 'vitest/node';

// Prints the fault suite's tally at the very end of `npm test` (registered after 'default' in
// vitest.config.ts, so it comes after the usual summary):
//   Fault suite: 9 faults tried, 143 items processed, 0 items lost
// Each fault test appends {fault, processed, lost} as a JSON line to a file in os.tmpdir() (see
// helpers.ts recordFault); the file is per run (vitest.config.ts names it after the main
// process's pid), emptied when the run starts and deleted when it ends.

interface Options {
  file?: string;
}

interface Entry {
  fault: string;
  processed: number;
  lost: number;
}

export default class FaultSummaryReporter implements Reporter {
  private file: string;
  private vitest: Vitest | undefined;

  constructor(options: Options = {}) {
    this.file =
      options.file ?? process.env.FITSSTORE_FAULT_LOG ?? path.join(os.tmpdir(), 'fitsstore-faults.jsonl');
  }

  onInit(vitest: Vitest) {
    this.vitest = vitest;
  }

  onTestRunStart() {
    rmSync(this.file, { force: true });
    // Tallies of runs that were killed before they could print (and delete) theirs.
    for (const n of readdirSync(os.tmpdir())) {
      const pid = /^fitsstore-faults-(\d+)\.jsonl$/.exec(n)?.[1];
      if (pid && !alive(Number(pid))) rmSync(path.join(os.tmpdir(), n), { force: true });
    }
  }

  onTestRunEnd(testModules: ReadonlyArray<TestModule>) {
    const entries = this.read();
    rmSync(this.file, { force: true });
    const faultModules = testModules.filter((m) => /[\\/]test[\\/]faults[\\/]/.test(m.moduleId));
    if (entries.length === 0 && faultModules.length === 0) return; // the fault suite was not part of this run
    const processed = entries.reduce((a, e) => a + e.processed, 0);
    const lost = entries.reduce((a, e) => a + e.lost, 0);
    const failedTests = faultModules.flatMap((m) => [...m.children.allTests('failed')]).length;
    const lines = [
      '',
      `Fault suite: ${entries.length} faults tried, ${processed} items processed, ${lost} items lost`,
      ...entries.filter((e) => e.lost > 0).map((e) => `  lost ${e.lost} of ${e.processed}: ${e.fault}`),
      ...(failedTests ? [`  ${failedTests} fault test(s) failed: see above`] : []),
      '',
    ];
    const text = lines.join('\n');
    if (this.vitest) this.vitest.logger.log(text);
    else process.stdout.write(text + '\n');
  }

  private read(): Entry[] {
    if (!existsSync(this.file)) return [];
    return readFileSync(this.file, 'utf8')
      .split('\n')
      .filter((l) => l.trim())
      .flatMap((l) => {
        try {
          return [JSON.parse(l) as Entry];
        } catch {
          return [];
        }
      });
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}
