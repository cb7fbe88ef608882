// The one way tests wait for something to happen: poll a condition until it holds, with a
// deadline far beyond what a quiet machine needs. Never a fixed sleep: a sleep long enough on a
// loaded machine is wasted on a quiet one, and one short enough on a quiet machine fails on a
// loaded one (the suite runs under `stress -c 2` without failures because of this).

export interface WaitOptions {
  /** What is awaited, for the failure message ("the row to be released"). */
  what: string | (() => string);
  /** Give up after this many milliseconds (default 30 s). */
  timeout?: number;
  /** Pause between checks (default 100 ms). */
  interval?: number;
}

/**
 * Polls `check` until it returns a truthy value, and returns that value. A check that throws
 * counts as "not yet" (a database being restarted answers with errors for a while); the last
 * error is part of the timeout message.
 */
export async function waitFor<T>(check: () => T | Promise<T>, o: WaitOptions): Promise<NonNullable<T>> {
  const timeout = o.timeout ?? 30_000;
  const start = Date.now();
  let last: unknown;
  for (;;) {
    try {
      const v = await check();
      if (v) return v as NonNullable<T>;
      last = undefined;
    } catch (e) {
      last = e;
    }
    if (Date.now() - start > timeout) {
      const what = typeof o.what === 'function' ? o.what() : o.what;
      const why = last ? ` (last error: ${(last as Error).message})` : '';
      throw new Error(`timed out after ${timeout} ms waiting for ${what}${why}`);
    }
    await new Promise((r) => setTimeout(r, o.interval ?? 100));
  }
}
