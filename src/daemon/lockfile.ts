import { closeSync, mkdirSync, openSync, readFileSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import path from 'node:path';

export class LockHeldError extends Error {
  override name = 'LockHeldError';
  constructor(
    readonly file: string,
    readonly pid: number,
  ) {
    super(`another instance is already running (pid ${pid}, lock file ${file}); refusing to start`);
  }
}

export function pidAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function readPid(file: string): number | null {
  try {
    const n = parseInt(readFileSync(file, 'utf8').trim(), 10);
    return Number.isFinite(n) ? n : null;
  } catch {
    return null;
  }
}

/**
 * PID lock created atomically (O_EXCL), never check-then-create. A lock left by a dead process is
 * taken over: the stale file is renamed aside first so two starters cannot both take it.
 */
export function acquireLock(file: string): { release(): void } {
  mkdirSync(path.dirname(file), { recursive: true });
  for (let attempt = 0; attempt < 5; attempt++) {
    try {
      const fd = openSync(file, 'wx', 0o644);
      writeSync(fd, `${process.pid}\n`);
      closeSync(fd);
      let released = false;
      const release = () => {
        if (released) return;
        released = true;
        if (readPid(file) === process.pid) {
          try {
            unlinkSync(file);
          } catch {
            /* already gone */
          }
        }
      };
      process.once('exit', release);
      return { release };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      const pid = readPid(file);
      if (pid !== null && pidAlive(pid) && pid !== process.pid) throw new LockHeldError(file, pid);
      if (pid === null) {
        // Written a moment ago by a starter that has not put its pid in yet: give it a moment.
        Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 50);
        if (readPid(file) === null && attempt < 4) continue;
      }
      const aside = `${file}.stale.${process.pid}`;
      try {
        renameSync(file, aside);
        unlinkSync(aside);
      } catch {
        /* someone else moved it first; retry */
      }
    }
  }
  throw new Error(`could not acquire lock file ${file}`);
}

export function lockPath(lockDir: string, command: string, name?: string): string {
  return path.join(lockDir, `${command}${name ? '-' + name : ''}.lock`);
}
