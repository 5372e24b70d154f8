/**
 * What the read cache did, counted per caller-owned object (one per request, per test or per
 * benchmark run): no global state, so concurrent requests never mix their counts.
 */
export interface ReadCacheStats {
  /** Answered from KV (the D1 probe still ran). */
  hits: number;
  /** KV had no usable entry for the current version: read from D1 (and put). */
  misses: number;
  /** The probe found no document: null without touching KV. */
  absent: number;
  /** CACHE_MODE "off" or no KV binding: plain D1 read, KV never touched. */
  bypassed: number;
  /** A KV get, put or delete failed; the read fell back to D1 (or the put was skipped). */
  kvErrors: number;
  /** An entry was found under the current version's key but did not describe that version (treated as a miss). */
  rejected: number;
}

/**
 * A zeroed stats object to pass as `ReadCacheConfig.stats`.
 *
 * @example
 *   const stats = newReadCacheStats();
 *   await cachedGet(session, products, id, { ...config, stats });
 *   console.log(stats.hits, stats.misses);
 */
export function newReadCacheStats(): ReadCacheStats {
  return { hits: 0, misses: 0, absent: 0, bypassed: 0, kvErrors: 0, rejected: 0 };
}
