/** The per-isolate cache of parsed stored schema texts (tenant-template/src/confluent/parsed-schema-cache.ts). */
import { describe, expect, test } from "vitest";
import { ParsedSchemaCache } from "../../../tenant-template/src/confluent/parsed-schema-cache.ts";

describe("ParsedSchemaCache", () => {
  test("answers the same parse for the same type and text, and nothing for another type", () => {
    const cache = new ParsedSchemaCache<{ n: number }>();
    const parsed = { n: 1 };
    expect(cache.put("AVRO", '"string"', parsed)).toBe(parsed);
    expect(cache.get("AVRO", '"string"')).toBe(parsed);
    expect(cache.get("JSON", '"string"')).toBeUndefined();
    expect(cache.get("AVRO", '"long"')).toBeUndefined();
  });

  test("keeps at most maxEntries and maxChars, least recently used out first", () => {
    const cache = new ParsedSchemaCache<number>(2, 100);
    cache.put("AVRO", "a", 1);
    cache.put("AVRO", "b", 2);
    expect(cache.get("AVRO", "a")).toBe(1);
    cache.put("AVRO", "c", 3);
    expect(cache.get("AVRO", "b")).toBeUndefined();
    expect(cache.size).toBe(2);
    cache.put("AVRO", "x".repeat(60), 4);
    cache.put("AVRO", "y".repeat(30), 5);
    expect(cache.chars).toBeLessThanOrEqual(100);
    expect(cache.get("AVRO", "y".repeat(30))).toBe(5);
    // Over the bound on its own: answered, not kept.
    expect(cache.put("AVRO", "z".repeat(200), 6)).toBe(6);
    expect(cache.get("AVRO", "z".repeat(200))).toBeUndefined();
  });
});
