export interface AuthFailureOptions {
  /** Failures within `windowMs` that block the client. */
  threshold?: number;
  windowMs?: number;
  /** The first block's length; each further block doubles it, up to `maxBlockMs`. */
  baseBlockMs?: number;
  maxBlockMs?: number;
  /** A client blocked this long ago or longer starts again from the first block's length. */
  forgetAfterMs?: number;
  /** Clients tracked per isolate; past it the least recently failing is forgotten. */
  maxEntries?: number;
  now?: () => number;
}

interface ClientState {
  windowStart: number;
  failures: number;
  blockedUntil: number;
  /** Blocks so far: the next lasts baseBlockMs * 2^strikes. */
  strikes: number;
}

/**
 * Slows down repeated authentication failures: counts a tenant's 401 answers to requests that
 * carried credentials, per client (the caller passes `tenantId + client address` as the key and
 * leaves out 401s to requests without an Authorization header) and, after `threshold` of them within
 * `windowMs`, blocks that client for a while that doubles with every further block.
 *
 * A success resets nothing: an attacker holding one valid key cannot wash out the failures of
 * its guesses, and one client's success never touches another client's count. Per isolate and
 * bounded in memory, like {@link RateLimiter}.
 *
 * @example
 *   const failures = new AuthFailureTracker();
 *   if (failures.blockedForMs(key) > 0) // 429 too_many_auth_failures
 *   if (response.status === 401) failures.recordFailure(key);
 */
export class AuthFailureTracker {
  readonly #clients = new Map<string, ClientState>();
  readonly #threshold: number;
  readonly #windowMs: number;
  readonly #baseBlockMs: number;
  readonly #maxBlockMs: number;
  readonly #forgetAfterMs: number;
  readonly #maxEntries: number;
  readonly #now: () => number;

  constructor({
    threshold = 10,
    windowMs = 60_000,
    baseBlockMs = 30_000,
    maxBlockMs = 15 * 60_000,
    forgetAfterMs = 60 * 60_000,
    maxEntries = 10_000,
    now = Date.now,
  }: AuthFailureOptions = {}) {
    this.#threshold = threshold;
    this.#windowMs = windowMs;
    this.#baseBlockMs = baseBlockMs;
    this.#maxBlockMs = maxBlockMs;
    this.#forgetAfterMs = forgetAfterMs;
    this.#maxEntries = maxEntries;
    this.#now = now;
  }

  /** How long `key` is still blocked, in ms (0: not blocked). A Map miss on the common path. */
  blockedForMs(key: string): number {
    const state = this.#clients.get(key);
    if (state === undefined) return 0;
    return Math.max(0, state.blockedUntil - this.#now());
  }

  /** Counts one authentication failure of `key`; returns the block it started, in ms (0: none). */
  recordFailure(key: string): number {
    const now = this.#now();
    let state = this.#clients.get(key);
    if (state !== undefined) this.#clients.delete(key);
    else {
      while (this.#clients.size >= this.#maxEntries) {
        const oldest = this.#clients.keys().next();
        if (oldest.done === true) break;
        this.#clients.delete(oldest.value);
      }
      state = { windowStart: now, failures: 0, blockedUntil: 0, strikes: 0 };
    }
    // Re-inserted at the end: the Map's first entry is the client that failed longest ago.
    this.#clients.set(key, state);
    if (state.strikes > 0 && now - state.blockedUntil >= this.#forgetAfterMs) state.strikes = 0;
    if (now - state.windowStart >= this.#windowMs) {
      state.windowStart = now;
      state.failures = 0;
    }
    state.failures += 1;
    if (state.failures < this.#threshold) return 0;
    const blockMs = Math.min(this.#maxBlockMs, this.#baseBlockMs * 2 ** state.strikes);
    state.strikes += 1;
    state.blockedUntil = now + blockMs;
    state.failures = 0;
    state.windowStart = now;
    return blockMs;
  }

  get size(): number {
    return this.#clients.size;
  }
}
