import { watch, type FSWatcher } from 'node:fs';
import { statfs } from 'node:fs/promises';
import { Waker } from '../../daemon/sleep.js';
import type { Logger } from '../../log/logger.js';
import type { DhsCopier, PassResult } from './copyfromdhs.js';

// How copy-from-dhs learns that something changed in the DHS directory. With inotify (fs.watch)
// a write or close wakes the copier at once; a full scan every dhs.poll_seconds stays as the
// safety net (a lost event, an overflowed inotify queue) and is the only mode where events never
// arrive: NFS, which is what the DHS disk is at the telescope, delivers no inotify events for
// writes made by other hosts. `auto` watches unless the directory is on a network file system.

export type DhsWatchMode = 'auto' | 'events' | 'poll';

/** statfs f_type values of file systems whose remote writes raise no local inotify event. */
const NETWORK_FS: Record<number, string> = {
  0x6969: 'nfs',
  0xff534d42: 'cifs',
  0xfe534d42: 'smb2',
  0x517b: 'smb',
  0x65735546: 'fuse',
  0x564c: 'ncp',
  0x73757245: 'coda',
  0x5346414f: 'afs',
  0x6b414653: 'afs',
  0x01161970: 'gfs2',
  0x7461636f: 'ocfs2',
  0x47504653: 'gpfs',
  0x0bd00bd0: 'lustre',
  0x00c36400: 'ceph',
};

/** The network file system `dir` lives on, or null for a local one (or when it cannot be told). */
export async function networkFsOf(dir: string): Promise<string | null> {
  try {
    const s = await statfs(dir);
    return NETWORK_FS[Number(s.type) >>> 0] ?? null;
  } catch {
    return null;
  }
}

/** Events coalesced for this long: a file written in chunks raises one event per write. */
const SETTLE_MS = 50;

export class DhsWatcher {
  private waker = new Waker();
  private watcher: FSWatcher | null = null;
  private timer: NodeJS.Timeout | null = null;
  /** 'events' once fs.watch is running; 'poll' otherwise. */
  mode: 'events' | 'poll' = 'poll';
  /** Why it polls, for the log. */
  reason = '';

  constructor(
    private dir: string,
    private log: Logger,
  ) {}

  async start(wanted: DhsWatchMode): Promise<this> {
    if (wanted === 'poll') {
      this.reason = 'dhs.watch is poll';
      return this;
    }
    if (wanted === 'auto') {
      const fs = await networkFsOf(this.dir);
      if (fs) {
        this.reason = `${this.dir} is on ${fs}, where writes by other hosts raise no events`;
        return this;
      }
    }
    try {
      this.watcher = watch(this.dir, { persistent: false }, (_event, name) => {
        if (name && String(name).startsWith('.')) return;
        this.poke();
      });
      this.watcher.on('error', (e) => {
        // The directory went away or the watch broke: the periodic scan carries on alone.
        this.log.warn({ err: e.message }, `watching ${this.dir} failed; scanning every poll only`);
        this.stopWatching();
        this.mode = 'poll';
        this.reason = `watch failed: ${e.message}`;
      });
      this.mode = 'events';
    } catch (e) {
      this.reason = `cannot watch ${this.dir}: ${(e as Error).message}`;
      this.log.warn(`${this.reason}; scanning every poll only`);
    }
    return this;
  }

  /** Something changed in the directory (an event, or a test saying so). */
  poke(): void {
    if (this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      this.waker.wake();
    }, SETTLE_MS);
  }

  /** Sleeps up to `ms`, ending early on an event or abort. */
  wait(ms: number, signal?: AbortSignal): Promise<void> {
    return this.waker.sleep(ms, signal);
  }

  private stopWatching() {
    this.watcher?.close();
    this.watcher = null;
  }

  close(): void {
    this.stopWatching();
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.waker.wake();
  }
}

export interface DhsLoopOptions {
  copier: DhsCopier;
  watcher: DhsWatcher;
  pollSeconds: number;
  signal: AbortSignal;
  log: Logger;
  /** Stop once a pass after the first finds nothing waiting (--once). */
  once?: boolean;
  onPass?: (r: PassResult) => void;
}

/**
 * The copy-from-dhs loop: a pass, then sleep until an event, until the earliest waiting file's
 * settle time is over, or until the next safety-net scan, whichever comes first.
 */
export async function runDhsLoop(o: DhsLoopOptions): Promise<void> {
  let passes = 0;
  while (!o.signal.aborted) {
    let r: PassResult | null = null;
    try {
      r = await o.copier.pass();
      passes++;
      o.onPass?.(r);
      if (o.once && passes > 1 && r.waiting.length === 0) break;
    } catch (e) {
      // An NFS hiccup must not kill the daemon: log and try again.
      o.log.error({ err: (e as Error).message }, 'DHS pass failed; retrying');
    }
    // --once: the second pass follows at once when nothing waits to settle.
    const idleMs = o.once ? 0 : o.pollSeconds * 1000;
    const dueMs = o.copier.nextCheckMs();
    await o.watcher.wait(dueMs === null ? idleMs : Math.min(o.pollSeconds * 1000, dueMs), o.signal);
  }
}
