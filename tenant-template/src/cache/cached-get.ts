import type { BodyOf, Collection } from "../store/define-collection.ts";
import type { StoreQueryable } from "../store/store-db.ts";
import type { StoredDocument } from "../store/store-result.ts";
import { cacheKey } from "./cache-key.ts";
import { DEFAULT_TTL_SECONDS, MIN_TTL_SECONDS, type ReadCacheConfig } from "./read-cache-config.ts";

/** A document as `cachedGet` read it: the stored document and the incarnation of its row. */
export interface CachedDocument<Body> extends StoredDocument<Body> {
  /**
   * The row's `_incarnation` (migration 0007): a number no earlier row of the id (or of any
   * collection) had. Not part of the API's answers; `forgetCached` needs it to name the entry.
   */
  incarnation: number;
}

/**
 * Which row of the id and which version of it is current: all the probe reads, and what an entry
 * must match to be answered. One list for the probe and the row read, so they cannot disagree.
 */
const ROW_FACTS = "_incarnation AS incarnation, _version AS version, created_at AS createdAt, updated_at AS updatedAt";

type RowFacts = Omit<CachedDocument<unknown>, "id" | "body">;

/** A KV entry: the whole document at one version of one incarnation (the body as stored, not re-serialised). */
interface CachedEntry extends RowFacts {
  id: string;
  body: unknown;
}

/**
 * Reads a document like `documentRepository(session, collection).get(id)` (plus its row's
 * incarnation), answering the body from KV when it can. It can never return a stale document:
 *
 * 1. A tiny indexed probe reads the current row's incarnation, version and timestamps (no body) in
 *    the request's own D1 session, so it honours the request's bookmark: what it sees is at least
 *    as new as anything this client wrote or read before (read-your-writes).
 * 2. The KV key names that exact incarnation and version (`cacheKey`). Entries are immutable facts
 *    about one version of one row, so KV's eventual consistency can only cost a miss, never serve
 *    an old body: an entry is only ever read when D1 says its row and version are current. An id
 *    deleted and inserted again is a new incarnation (the store's insert trigger numbers every
 *    row), so the earlier row's entries sit under keys nobody asks for, whatever its versions and
 *    timestamps were.
 * 3. The entry must also carry the probe's id, incarnation, version and timestamps (a second check,
 *    should the incarnation counter ever be set back, e.g. by a Time Travel restore: see
 *    docs/read-cache.md).
 * 4. Miss: read the row from D1 (body and facts in one query), answer it, and put it under the key
 *    of the row actually read, via `waitUntil` when given, with an expiry that only bounds storage.
 *    KV failing (get or put) falls back to D1; a cache problem is never an error.
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
): Promise<CachedDocument<BodyOf<C>> | null> {
  const { kv, stats } = config;
  if (config.mode !== "on" || kv === undefined) {
    if (stats) stats.bypassed += 1;
    return readRow(session, collection, id);
  }

  // The table name comes from the collection's declaration (checked by defineCollection), never from input.
  const probe = await session
    .prepare(`SELECT ${ROW_FACTS} FROM ${collection.name} WHERE id = ?`)
    .bind(id)
    .first<RowFacts>();
  if (probe === null) {
    if (stats) stats.absent += 1;
    return null;
  }

  let cached: CachedEntry | null = null;
  try {
    cached = await kv.get<CachedEntry>(cacheKey(collection.name, id, probe.incarnation, probe.version), "json");
  } catch {
    // A failing KV (or an unreadable entry) is a miss: D1 is the source of truth.
    if (stats) stats.kvErrors += 1;
  }
  if (cached !== null) {
    if (
      cached.id === id &&
      cached.incarnation === probe.incarnation &&
      cached.version === probe.version &&
      cached.createdAt === probe.createdAt &&
      cached.updatedAt === probe.updatedAt
    ) {
      if (stats) stats.hits += 1;
      const { incarnation, version, createdAt, updatedAt } = cached;
      return { id, body: cached.body as BodyOf<C>, version, createdAt, updatedAt, incarnation };
    }
    if (stats) stats.rejected += 1;
  }

  if (stats) stats.misses += 1;
  const document = await readRow(session, collection, id);
  // Deleted since the probe: nothing to cache. Updated (or deleted and inserted again) since the
  // probe: the row read is just as immutable under its own incarnation's and version's key, so it
  // is cached (and answered) under that key.
  if (document === null) return null;
  const ttl = Math.max(config.ttlSeconds ?? DEFAULT_TTL_SECONDS, MIN_TTL_SECONDS);
  const key = cacheKey(collection.name, id, document.incarnation, document.version);
  const entry: CachedEntry = { ...document };
  // An async wrapper, so a binding that throws synchronously is handled like one that rejects.
  const put = (async () => kv.put(key, JSON.stringify(entry), { expirationTtl: ttl }))().catch(() => {
    if (stats) stats.kvErrors += 1;
  });
  await settle(put, config);
  return document;
}

/** The current row of `id`, body and facts from one query (so they belong to the same row). */
async function readRow<C extends Collection>(
  session: StoreQueryable,
  collection: C,
  id: string,
): Promise<CachedDocument<BodyOf<C>> | null> {
  const row = await session
    .prepare(`SELECT ${ROW_FACTS}, body FROM ${collection.name} WHERE id = ?`)
    .bind(id)
    .first<RowFacts & { body: string }>();
  if (row === null) return null;
  // Validated by the collection's zod schema on the way in, so parsing is enough on the way out.
  const { incarnation, version, createdAt, updatedAt } = row;
  return { id, body: JSON.parse(row.body) as BodyOf<C>, version, createdAt, updatedAt, incarnation };
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
