/** One limit to check: a counter key and how many requests it may count per window. */
export interface RateLimitCheck {
  key: string;
  limit: number;
}

/** What the client is told, as `X-RateLimit-Limit`, `-Remaining`, `-Reset` (and `Retry-After` on 429). */
export interface RateDecision {
  allowed: boolean;
  limit: number;
  remaining: number;
  /** Whole seconds until the window that decided ends (at least 1). */
  resetSeconds: number;
}

export interface RateLimiterOptions {
  /** Window length: the limits are "per minute". */
  windowMs?: number;
  /** Counters kept per isolate; past it the oldest window is dropped (its client starts afresh). */
  maxEntries?: number;
  /** Clock, for tests. */
  now?: () => number;
}

interface Window {
  start: number;
  count: number;
}

/**
 * Fixed-window request counters, per isolate: a window opens at a key's first request and
 * counts up to `limit` requests for `windowMs`; then the next request opens a new window.
 *
 * Why in the isolate: Cloudflare's own rate limiting binding is per location and exposes no
 * remaining count, and an exact global count would need a Durable Object round trip on every
 * request, which the dispatcher's latency budget rules out. So the limit is enforced per isolate
 * (Cloudflare runs several per location under load): a client spread over many isolates can get
 * more than the limit in total, never less. A fixed window also lets up to twice the limit through
 * around a window's end. Both are documented in docs/security.md.
 *
 * Memory is bounded by `maxEntries`: a Map in insertion order, with every newly opened window
 * moved to the end, so the first entry is the one that opened longest ago (a cheap LRU).
 *
 * @example
 *   const limiter = new RateLimiter({ windowMs: 60_000 });
 *   const decision = limiter.take([{ key: "acme", limit: 6000 }, { key: "acme\u0000ci", limit: 3000 }]);
 *   if (!decision.allowed) // 429, Retry-After: decision.resetSeconds
 */
export class RateLimiter {
  readonly #windows = new Map<string, Window>();
  readonly #windowMs: number;
  readonly #maxEntries: number;
  readonly #now: () => number;

  constructor({ windowMs = 60_000, maxEntries = 10_000, now = Date.now }: RateLimiterOptions = {}) {
    this.#windowMs = windowMs;
    this.#maxEntries = maxEntries;
    this.#now = now;
  }

  /**
   * Counts one request against every check, or against none when any of them is exhausted (a
   * refused request costs nothing, so one exhausted key does not eat into its tenant's limit).
   * The decision reported is the exhausted check's, or else the one with the fewest requests left.
   */
  take(checks: readonly RateLimitCheck[]): RateDecision {
    const now = this.#now();
    const windows: Window[] = [];
    let tightest: RateDecision | undefined;
    for (const { key, limit } of checks) {
      const window = this.#current(key, now);
      windows.push(window);
      const resetSeconds = Math.max(1, Math.ceil((window.start + this.#windowMs - now) / 1000));
      if (window.count >= limit) return { allowed: false, limit, remaining: 0, resetSeconds };
      const remaining = limit - window.count - 1;
      if (tightest === undefined || remaining < tightest.remaining)
        tightest = { allowed: true, limit, remaining, resetSeconds };
    }
    for (const window of windows) window.count += 1;
    return tightest ?? { allowed: true, limit: 0, remaining: 0, resetSeconds: 1 };
  }

  get size(): number {
    return this.#windows.size;
  }

  #current(key: string, now: number): Window {
    const existing = this.#windows.get(key);
    if (existing !== undefined && now - existing.start < this.#windowMs) return existing;
    if (existing !== undefined) this.#windows.delete(key);
    while (this.#windows.size >= this.#maxEntries) {
      const oldest = this.#windows.keys().next();
      if (oldest.done === true) break;
      this.#windows.delete(oldest.value);
    }
    const window = { start: now, count: 0 };
    this.#windows.set(key, window);
    return window;
  }
}
