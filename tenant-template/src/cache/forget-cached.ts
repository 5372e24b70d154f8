import type { Collection } from "../store/define-collection.ts";
import { cacheKey } from "./cache-key.ts";
import { settle } from "./cached-get.ts";
import type { ReadCacheConfig } from "./read-cache-config.ts";

/**
 * Deletes the cache entries of versions a write has just replaced. Hygiene only: correctness
 * never depends on it (readers only ask for the current version's key), so it is best-effort,
 * runs after the response via `waitUntil`, and a KV failure is counted, never thrown.
 * After an update to version N pass `[N - 1]`; after deleting version N pass `[N]`.
 *
 * @example
 *   const updated = await repo.update(id, body, { expectedVersion: 3 });
 *   if (updated.ok) await forgetCached(products, id, [3], readCacheConfig(c.env, c.executionCtx));
 */
export async function forgetCached(
  collection: Collection,
  id: string,
  versions: readonly number[],
  config: ReadCacheConfig,
): Promise<void> {
  const { kv, stats } = config;
  if (config.mode !== "on" || kv === undefined || versions.length === 0) return;
  const deletes = Promise.all(
    versions.map((version) =>
      // Async wrapper: a synchronous throw is handled like a rejection.
      (async () => kv.delete(cacheKey(collection.name, id, version)))().catch(() => {
        if (stats) stats.kvErrors += 1;
      }),
    ),
  );
  await settle(deletes, config);
}
