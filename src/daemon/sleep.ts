/** A delay that ends early on abort or wake(), so NOTIFY and shutdown take effect at once. */
export class Waker {
  private wakers = new Set<() => void>();
  /** A wake that found nobody asleep (NOTIFY between an empty claim and the sleep) is kept. */
  private pending = false;

  wake(): void {
    if (this.wakers.size === 0) this.pending = true;
    for (const w of this.wakers) w();
    this.wakers.clear();
  }

  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    if (signal?.aborted) return Promise.resolve();
    if (this.pending) {
      this.pending = false;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(t);
        signal?.removeEventListener('abort', done);
        this.wakers.delete(done);
        resolve();
      };
      const t = setTimeout(done, ms);
      signal?.addEventListener('abort', done, { once: true });
      this.wakers.add(done);
    });
  }
}

export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Waker().sleep(ms, signal);
}

/** ±20% jitter so many workers do not stampede on periodic work. */
export function jitter(ms: number): number {
  return ms * (0.8 + Math.random() * 0.4);
}
