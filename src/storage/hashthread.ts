import { Transform } from 'node:stream';
import { Worker } from 'node:worker_threads';

// md5 on a helper thread. Hashing 2 MB takes ~3.5 ms of the main thread's time; on the thread it
// overlaps the next read, the header parsing and the other queue loops' database waits. One
// thread per process serves every stream; each stream is a session keyed by id, and messages on
// one port keep their order, so a session's chunks are hashed in the order they were read.

// Plain CommonJS for `eval: true`: the same text runs under tsx, vitest and the built dist/.
const THREAD_SOURCE = `
const { parentPort } = require('node:worker_threads');
const { createHash } = require('node:crypto');
const { readSync } = require('node:fs');
const sessions = new Map();
const buf = Buffer.allocUnsafe(1 << 20);
parentPort.on('message', (m) => {
  if (m.buf) {
    let h = sessions.get(m.id);
    if (!h) sessions.set(m.id, (h = createHash('md5')));
    h.update(new Uint8Array(m.buf));
    parentPort.postMessage({ id: m.id, ack: m.buf.byteLength });
  } else if (m.fd !== undefined) {
    // A whole local file by descriptor (shared with the main thread), with positional reads into
    // one reused buffer: no copies cross threads, no per-chunk allocation.
    try {
      const h = createHash('md5');
      let size = 0;
      for (;;) {
        const n = readSync(m.fd, buf, 0, buf.length, size);
        if (n === 0) break;
        h.update(n === buf.length ? buf : buf.subarray(0, n));
        size += n;
      }
      parentPort.postMessage({ id: m.id, md5: h.digest('hex'), size });
    } catch (e) {
      parentPort.postMessage({ id: m.id, error: String((e && e.message) || e) });
    }
  } else if (m.end) {
    const h = sessions.get(m.id) ?? createHash('md5');
    sessions.delete(m.id);
    parentPort.postMessage({ id: m.id, md5: h.digest('hex') });
  } else if (m.abort) {
    sessions.delete(m.id);
  }
});
`;

/** Bytes a stream may have in flight to the thread before it waits (memory stays flat). */
const IN_FLIGHT_LIMIT = 8 << 20;

interface Session {
  onAck(bytes: number): void;
  onDigest(md5: string, size?: number): void;
  onDeath(err: Error): void;
}

let thread: Worker | null = null;
let nextId = 1;
const sessions = new Map<number, Session>();

function getThread(): Worker {
  if (thread) return thread;
  const w = new Worker(THREAD_SOURCE, { eval: true });
  w.unref(); // referenced only while some stream is hashing (see open/close below)
  w.on('message', (m: { id: number; ack?: number; md5?: string; size?: number; error?: string }) => {
    const s = sessions.get(m.id);
    if (!s) return;
    if (m.ack !== undefined) s.onAck(m.ack);
    else if (m.md5 !== undefined) s.onDigest(m.md5, m.size);
    else if (m.error !== undefined) s.onDeath(new Error(m.error));
  });
  const die = (err: Error) => {
    if (thread !== w) return;
    thread = null;
    for (const s of [...sessions.values()]) s.onDeath(err);
  };
  w.on('error', die);
  w.on('exit', (code) => die(new Error(`md5 thread exited (code ${code})`)));
  thread = w;
  return w;
}

function open(id: number, s: Session): Worker {
  const w = getThread();
  if (sessions.size === 0) w.ref();
  sessions.set(id, s);
  return w;
}

function close(id: number, w: Worker) {
  sessions.delete(id);
  if (sessions.size === 0) w.unref();
}

export type ThreadHashingStream = Transform & { result(): Promise<{ md5: string; size: number }> };

/**
 * A pass-through that counts bytes and has them hashed on the md5 thread. `result()` settles once
 * the stream has ended and the thread has hashed every byte.
 */
export function threadHashingStream(): ThreadHashingStream {
  const id = nextId++;
  let size = 0;
  let inFlight = 0;
  let waiting: (() => void) | null = null;
  let settled = false;
  let flushed = false;
  let resolveResult!: (v: { md5: string; size: number }) => void;
  let rejectResult!: (e: Error) => void;
  const result = new Promise<{ md5: string; size: number }>((res, rej) => {
    resolveResult = res;
    rejectResult = rej;
  });
  result.catch(() => {}); // a caller that never asks must not see an unhandled rejection
  const settle = (err: Error | null, md5?: string) => {
    if (settled) return;
    settled = true;
    close(id, w);
    if (err) rejectResult(err);
    else resolveResult({ md5: md5!, size });
  };
  const w = open(id, {
    onAck(bytes) {
      inFlight -= bytes;
      if (waiting && inFlight <= IN_FLIGHT_LIMIT) {
        const go = waiting;
        waiting = null;
        go();
      }
    },
    onDigest: (md5) => settle(null, md5),
    onDeath(err) {
      settle(err);
      t.destroy(err);
    },
  });
  const t = new Transform({
    transform(chunk: Buffer, _enc, cb) {
      size += chunk.length;
      inFlight += chunk.length;
      // One copy into a buffer of its own, moved (not cloned) to the thread; the chunk itself
      // goes on downstream untouched.
      const buf = (chunk.buffer as ArrayBuffer).slice(chunk.byteOffset, chunk.byteOffset + chunk.byteLength);
      w.postMessage({ id, buf }, [buf]);
      this.push(chunk);
      if (inFlight > IN_FLIGHT_LIMIT) waiting = () => cb();
      else cb();
    },
    flush(cb) {
      flushed = true;
      w.postMessage({ id, end: true });
      cb();
    },
    destroy(err, cb) {
      // autoDestroy after a normal end is not an abort: the digest is on its way.
      if (!settled && (err || !flushed)) {
        w.postMessage({ id, abort: true });
        settle(err ?? new Error('hashing stream destroyed before its end'));
      }
      cb(err);
    },
  });
  return Object.assign(t, { result: () => result });
}

/**
 * md5 and size of an open local file, read from its start on the md5 thread through the same
 * descriptor (so the very file the caller opened, even if renamed meanwhile). The caller keeps the
 * descriptor open until this settles.
 */
export function hashFd(fd: number): Promise<{ md5: string; size: number }> {
  const id = nextId++;
  return new Promise((resolve, reject) => {
    const w = open(id, {
      onAck() {},
      onDigest(md5, size) {
        close(id, w);
        resolve({ md5, size: size ?? 0 });
      },
      onDeath(err) {
        close(id, w);
        reject(err);
      },
    });
    w.postMessage({ id, fd });
  });
}
