import type { Collection } from "../store/define-collection.ts";
import { cacheKey } from "./cache-key.ts";
import { settle, type CachedDocument } from "./cached-get.ts";
import type { ReadCacheConfig } from "./read-cache-config.ts";

/**
 * Deletes the cache entry of the version a write has just replaced: pass the document as
 * `cachedGet` read it before the update or delete. Hygiene only: correctness never depends on it
 * (readers only ask for the current row's and version's key), so it is best-effort, runs after the
 * response via `waitUntil`, and a KV failure is counted, never thrown.
 *
 * @example
 *   const current = await cachedGet(session, products, id, cache);
 *   const updated = await repo.update(id, body, { expectedVersion: current.version });
 *   if (updated.ok) await forgetCached(products, current, cache);
 */
export async function forgetCached(
  collection: Collection,
  replaced: Pick<CachedDocument<unknown>, "id" | "incarnation" | "version">,
  config: ReadCacheConfig,
): Promise<void> {
  const { kv, stats } = config;
  if (config.mode !== "on" || kv === undefined) return;
  const key = cacheKey(collection.name, replaced.id, replaced.incarnation, replaced.version);
  // Async wrapper: a synchronous throw is handled like a rejection.
  const deleted = (async () => kv.delete(key))().catch(() => {
    if (stats) stats.kvErrors += 1;
  });
  await settle(deleted, config);
}
