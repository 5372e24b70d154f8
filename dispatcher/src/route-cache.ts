import type { RouteRecord } from "../../contracts/route-record.ts";

/** What a host resolved to: a route, no route, or a record the dispatcher refuses to trust. */
export type RouteLookup =
  | { readonly kind: "route"; readonly record: RouteRecord }
  | { readonly kind: "unknown" }
  | { readonly kind: "invalid" };

export const UNKNOWN_ROUTE: RouteLookup = Object.freeze({ kind: "unknown" });
export const INVALID_ROUTE: RouteLookup = Object.freeze({ kind: "invalid" });

export interface RouteCacheOptions {
  /** How long a found route is reused. This bounds how late a suspension or re-route applies. */
  positiveTtlMs?: number;
  /** How long "no such host" (or an invalid record) is reused: short, so a new tenant goes live fast. */
  negativeTtlMs?: number;
  /** Entries kept per isolate; the oldest insertion is dropped first. */
  maxEntries?: number;
  /** Clock, for tests. */
  now?: () => number;
}

interface Entry {
  lookup: RouteLookup;
  expiresAt: number;
}

/**
 * A small per-isolate cache of host -> route lookups in front of the routing store (KV).
 *
 * Why it is safe: the routing store is the only authority and every entry expires, so a change
 * there (a suspension, a moved host, a deleted tenant) is obeyed by every isolate at most
 * `positiveTtlMs` after KV itself serves the new value. KV reads are eventually consistent
 * (a write can take up to about a minute to reach every location), so the cache adds seconds to a
 * delay that already exists, never an unbounded one.
 *
 * Concurrent misses for one host are deliberately not coalesced into one KV read: the Workers
 * runtime ties I/O to the request that started it, so a second request awaiting the first one's
 * read would warn, and would fail if the first request were cancelled mid-read.
 *
 * @example
 *   const cache = new RouteCache({ positiveTtlMs: 10_000, negativeTtlMs: 2_000 });
 *   const lookup = cache.get(host) ?? (await cache.load(host, readFromKv));
 */
export class RouteCache {
  readonly #entries = new Map<string, Entry>();
  readonly #positiveTtlMs: number;
  readonly #negativeTtlMs: number;
  readonly #maxEntries: number;
  readonly #now: () => number;

  constructor({
    positiveTtlMs = 10_000,
    negativeTtlMs = 2_000,
    maxEntries = 1_000,
    now = Date.now,
  }: RouteCacheOptions = {}) {
    this.#positiveTtlMs = positiveTtlMs;
    this.#negativeTtlMs = negativeTtlMs;
    this.#maxEntries = maxEntries;
    this.#now = now;
  }

  /**
   * The cached lookup for `host`, or `undefined` when absent or expired. Synchronous on purpose:
   * a hit costs no await.
   */
  get(host: string): RouteLookup | undefined {
    const entry = this.#entries.get(host);
    if (entry === undefined) return undefined;
    if (entry.expiresAt <= this.#now()) {
      this.#entries.delete(host);
      return undefined;
    }
    return entry.lookup;
  }

  /**
   * Resolves `host` with `loader` and caches the answer. A loader that throws (the store is
   * unreachable) caches nothing, so the next request tries again.
   */
  async load(host: string, loader: (host: string) => Promise<RouteLookup>): Promise<RouteLookup> {
    const lookup = await loader(host);
    this.#remember(host, lookup);
    return lookup;
  }

  get size(): number {
    return this.#entries.size;
  }

  #remember(host: string, lookup: RouteLookup): void {
    const ttl = lookup.kind === "route" ? this.#positiveTtlMs : this.#negativeTtlMs;
    if (ttl <= 0) return;
    this.#entries.delete(host);
    // Map keeps insertion order, so the first key is the oldest entry: a cheap bound without an LRU.
    while (this.#entries.size >= this.#maxEntries) {
      const oldest = this.#entries.keys().next();
      if (oldest.done === true) break;
      this.#entries.delete(oldest.value);
    }
    this.#entries.set(host, { lookup, expiresAt: this.#now() + ttl });
  }
}
