import type { BodyOf, Collection } from "../store/define-collection.ts";
import { documentRepository } from "../store/document-repository.ts";
import type { StoreQueryable } from "../store/store-db.ts";
import type { StoredDocument } from "../store/store-result.ts";
import { cacheKey } from "./cache-key.ts";
import { DEFAULT_TTL_SECONDS, MIN_TTL_SECONDS, type ReadCacheConfig } from "./read-cache-config.ts";

/** What the probe reads: which version is current, and which incarnation of the id it belongs to. */
interface Probe {
  _version: number;
  created_at: string;
  updated_at: string;
}

/** A KV entry: the whole document at one version (the body as stored, not re-serialised). */
interface CachedEntry {
  id: string;
  version: number;
  createdAt: string;
  updatedAt: string;
  body: unknown;
}

/**
 * Reads a document like `documentRepository(session, collection).get(id)`, answering the body
 * from KV when it can. It can never return a stale document:
 *
 * 1. A tiny indexed probe, `SELECT _version, created_at, updated_at FROM <table> WHERE id = ?`, runs
 *    in the request's own D1 session, so it honours the request's bookmark: the version it sees is
 *    at least as new as anything this client wrote or read before (read-your-writes).
 * 2. The KV key names that exact version (`cacheKey`). Entries are immutable facts about one
 *    version, so KV's eventual consistency can only cost a miss, never serve an old version: an
 *    entry for version N is only ever read when D1 says N is current.
 * 3. The entry must also carry the probe's timestamps: should an id be deleted and created again
 *    (its versions restart at 1), the old incarnation's entries do not match and are ignored.
 * 4. Miss: read D1, answer, and put the entry (via `waitUntil` when given) with an expiry that only
 *    bounds storage. KV failing (get or put) falls back to D1; a cache problem is never an error.
 *
 * CACHE_MODE "off" (or no KV) is a plain D1 read that never touches KV.
 *
 * @example
 *   const stats = newReadCacheStats();
 *   const doc = await cachedGet(c.var.session, products, id, readCacheConfig(c.env, c.executionCtx, stats));
 *   if (doc === null) throw new ApiError(404, "not_found", "No such product.");
 *   c.header("etag", `"${doc.version}"`);
 */
export async function cachedGet<C extends Collection>(
  session: StoreQueryable,
  collection: C,
  id: string,
  config: ReadCacheConfig,
): Promise<StoredDocument<BodyOf<C>> | null> {
  const { kv, stats } = config;
  if (config.mode !== "on" || kv === undefined) {
    if (stats) stats.bypassed += 1;
    return documentRepository(session, collection).get(id);
  }

  // The table name comes from the collection's declaration (checked by defineCollection), never from input.
  const probe = await session
    .prepare(`SELECT _version, created_at, updated_at FROM ${collection.name} WHERE id = ?`)
    .bind(id)
    .first<Probe>();
  if (probe === null) {
    if (stats) stats.absent += 1;
    return null;
  }

  const key = cacheKey(collection.name, id, probe._version);
  let cached: CachedEntry | null = null;
  try {
    cached = await kv.get<CachedEntry>(key, "json");
  } catch {
    // A failing KV (or an unreadable entry) is a miss: D1 is the source of truth.
    if (stats) stats.kvErrors += 1;
  }
  if (cached !== null) {
    if (
      cached.id === id &&
      cached.version === probe._version &&
      cached.createdAt === probe.created_at &&
      cached.updatedAt === probe.updated_at
    ) {
      if (stats) stats.hits += 1;
      return {
        id,
        body: cached.body as BodyOf<C>,
        version: cached.version,
        createdAt: cached.createdAt,
        updatedAt: cached.updatedAt,
      };
    }
    if (stats) stats.rejected += 1;
  }

  if (stats) stats.misses += 1;
  const document = await documentRepository(session, collection).get(id);
  // Deleted since the probe: nothing to cache. Updated since the probe: the newer row is just as
  // immutable under its own version's key, so it is cached (and answered) under that key.
  if (document === null) return null;
  const entry: CachedEntry = {
    id,
    version: document.version,
    createdAt: document.createdAt,
    updatedAt: document.updatedAt,
    body: document.body,
  };
  const ttl = Math.max(config.ttlSeconds ?? DEFAULT_TTL_SECONDS, MIN_TTL_SECONDS);
  // An async wrapper, so a binding that throws synchronously is handled like one that rejects.
  const put = (async () =>
    kv.put(cacheKey(collection.name, id, document.version), JSON.stringify(entry), { expirationTtl: ttl }))().catch(
    () => {
      if (stats) stats.kvErrors += 1;
    },
  );
  await settle(put, config);
  return document;
}

/**
 * Hands a cache side effect to `waitUntil` (so the response does not wait for it), or awaits it
 * when there is none. Either way it never throws: `promise` has its failure handled already.
 */
export async function settle(promise: Promise<unknown>, config: Pick<ReadCacheConfig, "waitUntil">): Promise<void> {
  if (config.waitUntil) {
    try {
      config.waitUntil(promise);
      return;
    } catch {
      // No execution context to extend (e.g. called outside a request): wait for it instead.
    }
  }
  await promise;
}
