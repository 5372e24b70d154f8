/**
 * A per-isolate cache of Confluent global ids -> their stored schema, so that
 * `GET /schemas/ids/{id}` (what every Confluent deserializer asks, once per id) is answered
 * without a D1 round trip (docs/confluent-api.md, "The schema id cache").
 *
 * Why it is safe: an id's content never changes. `allocateSchemaId` only ever inserts a row for a new
 * identity hash, `claimGlobalId` (IMPORT mode) inserts only when the id is free and refuses an id
 * that stands for another schema, and no statement updates `confluent_schema_ids`. Hard deletes
 * leave the id row in place (an id is never handed to other content). What can change is whether
 * the id still exists for the API: a permanent delete of its last version makes it 40403. So:
 * - the isolate that deletes (Confluent permanent deletes, `dropVersion`, /api cascade deletes,
 *   a backup import, which replaces the whole numbering) evicts the ids or clears the cache;
 * - every other isolate may answer a just-hard-deleted id for at most `SCHEMA_ID_CACHE_TTL_MS`
 *   after it last read it from D1 (a bounded trade-off; Confluent clients cache ids forever);
 * - a request with `x-d1-bookmark` bypasses the cache and refreshes the entry from D1.
 */

/** What the cache needs to know of a stored schema (confluent-store's SchemaRecord fits). */
export interface CachedSchema {
  readonly id: number;
  /** The context numbering `id` (ids are per context, as in Confluent). */
  readonly context: string;
  readonly schema: string;
  readonly guid: string;
  readonly references: readonly { readonly name: string; readonly subject: string }[];
}

/** How long an entry may be answered after it was read from D1. */
export const SCHEMA_ID_CACHE_TTL_MS = 60_000;
const SCHEMA_ID_CACHE_MAX_ENTRIES = 1_000;
const SCHEMA_ID_CACHE_MAX_BYTES = 8 * 1024 * 1024;
/** Larger schemas are not cached: a few of them would evict everything else. */
const SCHEMA_ID_CACHE_MAX_ENTRY_BYTES = 256 * 1024;

export interface SchemaIdCacheOptions {
  maxEntries?: number;
  maxBytes?: number;
  maxEntryBytes?: number;
  ttlMs?: number;
  /** The clock, in milliseconds (tests pass a fake one). */
  now?: () => number;
}

interface Entry<T> {
  record: T;
  bytes: number;
  readAt: number;
}

// Strings count twice their length (UTF-16 in V8), plus a fixed allowance for the objects.
function sizeOf(record: CachedSchema): number {
  let bytes = 128 + 2 * (record.schema.length + record.guid.length);
  for (const reference of record.references) bytes += 64 + 2 * (reference.name.length + reference.subject.length);
  return bytes;
}

/** Context names hold no NUL, so this is one key per (context, id). */
function cacheKey(context: string, id: number): string {
  return `${context}\u0000${id}`;
}

/**
 * A bounded LRU (entries and bytes) with a time-to-live per entry.
 *
 * @example
 *   const cache = new SchemaIdCache<SchemaRecord>({ ttlMs: 60_000 });
 *   const generation = cache.generation;
 *   const record = await schemaById(session, 7);  // D1
 *   if (record) cache.set(record, generation);     // skipped if a delete evicted meanwhile
 *   cache.get(".", 7);                             // the record, for the next 60 s
 */
export class SchemaIdCache<T extends CachedSchema = CachedSchema> {
  readonly maxEntries: number;
  readonly maxBytes: number;
  readonly maxEntryBytes: number;
  readonly ttlMs: number;
  private readonly now: () => number;
  // A Map iterates in insertion order: the first key is the least recently used.
  private readonly entries = new Map<string, Entry<T>>();
  private totalBytes = 0;
  private generationCount = 0;

  constructor(options: SchemaIdCacheOptions = {}) {
    this.maxEntries = options.maxEntries ?? SCHEMA_ID_CACHE_MAX_ENTRIES;
    this.maxBytes = options.maxBytes ?? SCHEMA_ID_CACHE_MAX_BYTES;
    this.maxEntryBytes = options.maxEntryBytes ?? SCHEMA_ID_CACHE_MAX_ENTRY_BYTES;
    this.ttlMs = options.ttlMs ?? SCHEMA_ID_CACHE_TTL_MS;
    this.now = options.now ?? Date.now;
  }

  /** Bumped by every eviction for a delete: a D1 read started before it must not be cached. */
  get generation(): number {
    return this.generationCount;
  }

  get size(): number {
    return this.entries.size;
  }

  get bytes(): number {
    return this.totalBytes;
  }

  /** The record of id `id` in `context` read from D1 less than `ttlMs` ago, or undefined. */
  get(context: string, id: number): T | undefined {
    const key = cacheKey(context, id);
    const entry = this.entries.get(key);
    if (entry === undefined) return undefined;
    if (this.now() - entry.readAt >= this.ttlMs) {
      this.remove(key, entry);
      return undefined;
    }
    this.entries.delete(key);
    this.entries.set(key, entry);
    return entry.record;
  }

  /**
   * Stores a record just read from D1 (the TTL starts now), unless a delete evicted since
   * `generation` was taken, i.e. the read may predate the delete.
   */
  set(record: T, generation: number): void {
    if (generation !== this.generationCount) return;
    const key = cacheKey(record.context, record.id);
    const previous = this.entries.get(key);
    if (previous !== undefined) this.remove(key, previous);
    const bytes = sizeOf(record);
    if (bytes > this.maxEntryBytes || bytes > this.maxBytes) return;
    this.entries.set(key, { record, bytes, readAt: this.now() });
    this.totalBytes += bytes;
    for (const [id, entry] of this.entries) {
      if (this.entries.size <= this.maxEntries && this.totalBytes <= this.maxBytes) break;
      this.remove(id, entry);
    }
  }

  /** The ids (each with its context) may have stopped existing (a permanent delete): drop them. */
  forget(ids: Iterable<readonly [context: string, id: number]>): void {
    this.generationCount += 1;
    for (const [context, id] of ids) {
      const key = cacheKey(context, id);
      const entry = this.entries.get(key);
      if (entry !== undefined) this.remove(key, entry);
    }
  }

  /** Anything may have gone (a cascade delete, an import): drop everything. */
  clear(): void {
    this.generationCount += 1;
    this.entries.clear();
    this.totalBytes = 0;
  }

  private remove(key: string, entry: Entry<T>): void {
    this.entries.delete(key);
    this.totalBytes -= entry.bytes;
  }
}
