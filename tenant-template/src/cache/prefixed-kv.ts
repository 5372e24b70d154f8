/** What the read cache asks of a KV namespace: the three calls `cachedGet` and `forgetCached` make. */
export interface CacheKv {
  get<T>(key: string, type: "json"): Promise<T | null>;
  put(key: string, value: string, options?: KVNamespacePutOptions): Promise<void>;
  delete(key: string): Promise<void>;
}

/**
 * The tenant's view of its cache namespace: every key under `prefix`. In the shared namespace the
 * prefix is the tenant's own (`t/<id>/<database id>/`, contracts/cache-prefix.ts); in a dedicated
 * one it is "" and the namespace is returned as it is. This is the one place the prefix is applied,
 * so the cache code above it is the same in both modes and can only name keys under its prefix.
 *
 * @example
 *   const kv = prefixedKv(env.CACHE, "t/acme/0f2a-42/");
 *   await kv.put("doc/d2/products/p1/1/1", "{}"); // stored as "t/acme/0f2a-42/doc/d2/products/p1/1/1"
 */
export function prefixedKv(kv: CacheKv, prefix: string): CacheKv {
  if (prefix === "") return kv;
  return {
    get: <T>(key: string, type: "json") => kv.get<T>(`${prefix}${key}`, type),
    put: (key, value, options) => kv.put(`${prefix}${key}`, value, options),
    delete: (key) => kv.delete(`${prefix}${key}`),
  };
}
