import { isCachePrefixOf } from "../../../contracts/cache-prefix.ts";
import { type CacheKv, prefixedKv } from "./prefixed-kv.ts";
import type { ReadCacheStats } from "./read-cache-stats.ts";

/** How reads use the tenant's KV cache (see docs/read-cache.md). */
export interface ReadCacheConfig {
  /**
   * The tenant's cache (`CACHE`, every key under `CACHE_PREFIX`: see prefixedKv); undefined means
   * no cache.
   */
  kv: CacheKv | undefined;
  /** `CACHE_MODE` as the provisioner sets it from the residency: "off" never touches KV. */
  mode: "on" | "off";
  /** The request's `ctx.waitUntil`, so cache puts and deletes do not delay the response. */
  waitUntil?: (promise: Promise<unknown>) => void;
  /** Lifetime of an entry; entries are never wrong, so this only bounds storage. Default one day. */
  ttlSeconds?: number;
  /** Counts hits, misses and KV errors (tests, the benchmark, logs). */
  stats?: ReadCacheStats;
}

/** KV's smallest `expirationTtl`. */
export const MIN_TTL_SECONDS = 60;
export const DEFAULT_TTL_SECONDS = 24 * 60 * 60;

/**
 * The cache configuration of a tenant request from its bindings: on only when `CACHE_MODE` is
 * exactly "on", a KV namespace is bound and `CACHE_PREFIX` is "" (a dedicated namespace) or this
 * tenant's own prefix in the shared namespace (anything else is off: the safe reading of a
 * misconfiguration is "no cache", never "cache where the residency forbids it" nor "cache under
 * another tenant's keys"). The KV it gives applies the prefix to every key.
 *
 * @example
 *   const cache = readCacheConfig(c.env, c.executionCtx);
 *   const doc = await cachedGet(c.var.session, products, id, cache);
 */
export function readCacheConfig(
  env: {
    CACHE?: KVNamespace | undefined;
    CACHE_MODE?: string | undefined;
    CACHE_PREFIX?: string | undefined;
    TENANT_ID?: string | undefined;
  },
  ctx?: { waitUntil(promise: Promise<unknown>): void },
  stats?: ReadCacheStats,
): ReadCacheConfig {
  const prefix = env.CACHE_PREFIX ?? "";
  const on =
    env.CACHE_MODE === "on" &&
    env.CACHE !== undefined &&
    (prefix === "" || isCachePrefixOf(prefix, env.TENANT_ID ?? ""));
  return {
    kv: on ? prefixedKv(env.CACHE!, prefix) : undefined,
    mode: on ? "on" : "off",
    ...(ctx === undefined ? {} : { waitUntil: (promise: Promise<unknown>) => ctx.waitUntil(promise) }),
    ...(stats === undefined ? {} : { stats }),
  };
}
