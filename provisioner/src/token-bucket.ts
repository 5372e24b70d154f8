/**
 * A token bucket that hands out permits in arrival order. One instance per account is shared by
 * every API call the provisioner makes, so a fleet command cannot trip Cloudflare's
 * rate limit (1,200 requests per 5 minutes per user; exceeding it blocks ALL that user's calls for
 * 5 minutes).
 */

export interface TokenBucketOptions {
  /** Most permits that can be taken back to back (the burst). */
  capacity: number;
  /** Permits added per second. */
  refillPerSecond: number;
  /** Clock in milliseconds; injectable for tests. */
  now?: () => number;
  /** Sleep; injectable for tests. */
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
}

/**
 * A bucket that never lets more than `requests` calls through in any `windowSeconds`. A full
 * bucket plus one window of refill must stay within the limit, or a burst at start followed by a
 * steady stream would exceed it inside one window: the burst is a twelfth of the limit and the
 * refill covers the rest.
 *
 * @example
 *   rateLimitFor(1200, 300) // { capacity: 100, refillPerSecond: 3.67 }: 100 + 300 x 3.67 = 1,200
 */
export function rateLimitFor(
  requests: number,
  windowSeconds: number,
): Pick<TokenBucketOptions, "capacity" | "refillPerSecond"> {
  if (!(requests >= 1) || !(windowSeconds > 0))
    throw new RangeError("rateLimitFor: requests >= 1 and windowSeconds > 0");
  const capacity = Math.max(1, Math.floor(requests / 12));
  return { capacity, refillPerSecond: Math.max(requests - capacity, 1) / windowSeconds };
}

/**
 * The provisioner's default budget: 1,000 requests per 5 minutes. Cloudflare's limit is 1,200 per
 * 5 minutes per user, and it counts the dashboard and every other process of that user too
 * (exceeding it blocks all of that user's calls for 5 minutes), so the default leaves a sixth of it
 * to them. `WFP_API_RATE_LIMIT` sets another.
 */
export const CLOUDFLARE_RATE_LIMIT: Readonly<Pick<TokenBucketOptions, "capacity" | "refillPerSecond">> = rateLimitFor(
  1000,
  300,
);

/**
 * Sleep that stops early (rejecting with the signal's reason) when the signal aborts.
 *
 * @example
 *   await abortableSleep(500, controller.signal);
 */
export function abortableSleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason);
      return;
    }
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}

/**
 * First-come, first-served permits at a fixed rate with a bounded burst.
 *
 * @example
 *   const bucket = new TokenBucket(rateLimitFor(1200, 300));
 *   await bucket.take();
 */
export class TokenBucket {
  readonly capacity: number;
  readonly refillPerSecond: number;
  private tokens: number;
  private lastRefill: number;
  /** Waiters are chained so permits go out first come, first served. */
  private tail: Promise<void> = Promise.resolve();
  private readonly now: () => number;
  private readonly sleep: (ms: number, signal?: AbortSignal) => Promise<void>;

  /**
   * @example
   *   const bucket = new TokenBucket(CLOUDFLARE_RATE_LIMIT);
   *   await bucket.take(); // then make one API call
   */
  constructor(options: TokenBucketOptions) {
    if (!(options.capacity >= 1) || !(options.refillPerSecond > 0)) {
      throw new RangeError("TokenBucket: capacity must be >= 1 and refillPerSecond > 0");
    }
    this.capacity = options.capacity;
    this.refillPerSecond = options.refillPerSecond;
    this.now = options.now ?? Date.now;
    this.sleep = options.sleep ?? abortableSleep;
    this.tokens = options.capacity;
    this.lastRefill = this.now();
  }

  /** Permits available right now (fractional while refilling). */
  available(): number {
    this.refill();
    return this.tokens;
  }

  /**
   * Wait for one permit. Rejects if the signal aborts while waiting (the permit is not taken).
   *
   * @example
   *   await bucket.take(request.signal);
   */
  take(signal?: AbortSignal): Promise<void> {
    const turn = this.tail.then(() => this.acquire(signal));
    // A failed waiter must not block the ones behind it.
    this.tail = turn.catch(() => undefined);
    return turn;
  }

  private async acquire(signal?: AbortSignal): Promise<void> {
    for (;;) {
      if (signal?.aborted) throw signal.reason;
      this.refill();
      if (this.tokens >= 1) {
        this.tokens -= 1;
        return;
      }
      const waitMs = Math.ceil(((1 - this.tokens) / this.refillPerSecond) * 1000);
      await this.sleep(waitMs, signal);
    }
  }

  private refill(): void {
    const now = this.now();
    const elapsed = Math.max(0, now - this.lastRefill);
    this.tokens = Math.min(this.capacity, this.tokens + (elapsed / 1000) * this.refillPerSecond);
    this.lastRefill = now;
  }
}
