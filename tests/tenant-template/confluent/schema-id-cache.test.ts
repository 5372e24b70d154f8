/**
 * The per-isolate schema id cache on its own (tenant-template/src/confluent/schema-id-cache.ts):
 * TTL with a fake clock, LRU order, entry and byte bounds, and the generation guard that keeps a
 * read racing a delete from caching the deleted id again.
 */
import { describe, expect, test } from "vitest";
import { SCHEMA_ID_CACHE_TTL_MS, SchemaIdCache } from "../../../tenant-template/src/confluent/schema-id-cache.ts";

const record = (id: number, schema = `{"type":"string","doc":"${id}"}`, context = ".") => ({
  id,
  context,
  schemaType: "AVRO",
  schema,
  references: [],
  guid: `guid-${id}`,
});

function clock(start = 1_000) {
  let now = start;
  return { now: () => now, advance: (ms: number) => (now += ms) };
}

describe("SchemaIdCache", () => {
  test("answers an entry until its TTL from the D1 read has passed, then never again", () => {
    const time = clock();
    const cache = new SchemaIdCache({ ttlMs: 60_000, now: time.now });
    cache.set(record(1), cache.generation);
    time.advance(59_999);
    // A hit does not extend the entry: the TTL counts from when D1 last confirmed the id.
    expect(cache.get(".", 1)).toEqual(record(1));
    time.advance(1);
    expect(cache.get(".", 1)).toBeUndefined();
    expect(cache.size).toBe(0);
    expect(cache.bytes).toBe(0);
    // A fresh read from D1 starts a new TTL.
    cache.set(record(1), cache.generation);
    time.advance(30_000);
    expect(cache.get(".", 1)?.id).toBe(1);
  });

  test("the default TTL is one minute", () => {
    expect(SCHEMA_ID_CACHE_TTL_MS).toBe(60_000);
    expect(new SchemaIdCache().ttlMs).toBe(60_000);
  });

  test("keeps at most maxEntries, dropping the least recently used", () => {
    const cache = new SchemaIdCache({ maxEntries: 3 });
    for (const id of [1, 2, 3]) cache.set(record(id), cache.generation);
    expect(cache.get(".", 1)?.id).toBe(1); // 1 is now the most recently used; 2 the least
    cache.set(record(4), cache.generation);
    expect(cache.size).toBe(3);
    expect(cache.get(".", 2)).toBeUndefined();
    expect([1, 3, 4].map((id) => cache.get(".", id)?.id)).toEqual([1, 3, 4]);
  });

  test("keeps at most maxBytes, and never caches a schema over maxEntryBytes", () => {
    const big = "x".repeat(1_000); // about 2 KB as UTF-16
    const cache = new SchemaIdCache({ maxBytes: 5_000, maxEntryBytes: 2_400 });
    cache.set(record(1, big), cache.generation);
    cache.set(record(2, big), cache.generation);
    expect(cache.size).toBe(2);
    cache.set(record(3, big), cache.generation);
    expect(cache.size).toBe(2);
    expect(cache.bytes).toBeLessThanOrEqual(5_000);
    expect(cache.get(".", 1)).toBeUndefined();
    expect(cache.get(".", 3)?.id).toBe(3);
    cache.set(record(5, "y".repeat(1_200)), cache.generation);
    expect(cache.get(".", 5)).toBeUndefined();
    // Replacing an entry does not count it twice.
    cache.set(record(3, big), cache.generation);
    cache.set(record(3, big), cache.generation);
    expect(cache.size).toBe(2);
    expect(cache.bytes).toBeLessThanOrEqual(5_000);
  });

  test("an id is one entry per context: the same number in two contexts is two schemas", () => {
    const cache = new SchemaIdCache();
    cache.set(record(1, '"string"'), cache.generation);
    cache.set(record(1, '"int"', "payments"), cache.generation);
    expect(cache.get(".", 1)?.schema).toBe('"string"');
    expect(cache.get("payments", 1)?.schema).toBe('"int"');
    expect(cache.get("other", 1)).toBeUndefined();
    cache.forget([["payments", 1]]);
    expect(cache.get("payments", 1)).toBeUndefined();
    expect(cache.get(".", 1)?.schema).toBe('"string"');
  });

  test("forget and clear drop entries, and a read that started before them is not cached", () => {
    const cache = new SchemaIdCache();
    for (const id of [1, 2, 3]) cache.set(record(id), cache.generation);
    const before = cache.generation;
    cache.forget([[".", 2]]);
    expect(cache.get(".", 2)).toBeUndefined();
    expect(cache.get(".", 1)?.id).toBe(1);
    // A D1 read begun before the delete may have seen the id still there.
    cache.set(record(2), before);
    expect(cache.get(".", 2)).toBeUndefined();
    cache.set(record(2), cache.generation);
    expect(cache.get(".", 2)?.id).toBe(2);
    cache.clear();
    expect(cache.size).toBe(0);
    expect(cache.bytes).toBe(0);
  });
});
