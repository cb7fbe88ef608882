// A sliding-window counter of failed attempts per key, in memory: one server process answers
// logins, and a restart forgetting the counts costs an attacker's guessing nothing worth the
// complexity of storing them. Keys are bounded (oldest forgotten first) so a flood of invented
// usernames cannot grow memory without limit.

export interface LimitState {
  allowed: boolean;
  /** Seconds until one more attempt would be allowed (0 when allowed). */
  retryAfter: number;
}

export class SlidingWindowLimiter {
  private readonly hits = new Map<string, number[]>();

  constructor(
    readonly limit: number,
    readonly windowMs: number,
    private readonly maxKeys = 10_000,
    private readonly now: () => number = Date.now,
  ) {}

  private recent(key: string): number[] {
    const list = this.hits.get(key);
    if (!list) return [];
    const since = this.now() - this.windowMs;
    while (list.length && list[0] <= since) list.shift();
    if (list.length === 0) this.hits.delete(key);
    return list;
  }

  check(key: string): LimitState {
    const list = this.recent(key);
    if (list.length < this.limit) return { allowed: true, retryAfter: 0 };
    // The window slides: the oldest counted failure leaving it frees one attempt.
    const freeAt = list[list.length - this.limit] + this.windowMs;
    return { allowed: false, retryAfter: Math.max(1, Math.ceil((freeAt - this.now()) / 1000)) };
  }

  hit(key: string): void {
    const list = this.recent(key);
    if (list.length === 0) {
      if (this.hits.size >= this.maxKeys) this.hits.delete(this.hits.keys().next().value!);
      this.hits.set(key, list);
    }
    list.push(this.now());
  }

  reset(key: string): void {
    this.hits.delete(key);
  }
}

/**
 * Login throttling: per IP and username (guessing one account's password), and per IP alone at
 * a higher limit (trying one password on many accounts).
 */
export class LoginLimiter {
  readonly perAccount: SlidingWindowLimiter;
  readonly perIp: SlidingWindowLimiter;

  constructor(o: { perAccount?: number; perIp?: number; windowMs?: number; now?: () => number } = {}) {
    const windowMs = o.windowMs ?? 15 * 60_000;
    this.perAccount = new SlidingWindowLimiter(o.perAccount ?? 5, windowMs, 10_000, o.now);
    this.perIp = new SlidingWindowLimiter(o.perIp ?? 30, windowMs, 10_000, o.now);
  }

  private static key(ip: string, username: string) {
    return `${ip}\u0000${username.toLowerCase()}`;
  }

  check(ip: string, username: string): LimitState {
    const a = this.perAccount.check(LoginLimiter.key(ip, username));
    const b = this.perIp.check(ip);
    return a.allowed && b.allowed ? a : { allowed: false, retryAfter: Math.max(a.retryAfter, b.retryAfter) };
  }

  failed(ip: string, username: string): void {
    this.perAccount.hit(LoginLimiter.key(ip, username));
    this.perIp.hit(ip);
  }

  succeeded(ip: string, username: string): void {
    this.perAccount.reset(LoginLimiter.key(ip, username));
  }
}
