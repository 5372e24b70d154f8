/**
 * The shared KV mode's key prefix (contracts/cache-prefix.ts): what the provisioner makes, and
 * what the tenant Worker accepts before it turns its cache on (anything else leaves it off).
 */
import { describe, expect, it } from "vitest";
import { cachePrefix, isCachePrefixOf, tenantCachePrefix } from "../../../contracts/cache-prefix.ts";

const DB = "0f2ac74b-498b-4802-8cb6-8387c421e279";

describe("cache prefix", () => {
  it("names the tenant and its database, and every incarnation's sits under the tenant's", () => {
    expect(cachePrefix("acme", DB)).toBe(`t/acme/${DB}/`);
    expect(cachePrefix("acme", DB).startsWith(tenantCachePrefix("acme"))).toBe(true);
    // The closing "/" keeps one tenant's prefix from covering another whose id starts the same.
    expect(cachePrefix("acme-eu", DB).startsWith(tenantCachePrefix("acme"))).toBe(false);
    expect(() => cachePrefix("acme", "a/b")).toThrow(/cannot make a cache prefix/);
  });

  it("is accepted by the Worker only for its own tenant, or empty (a dedicated namespace)", () => {
    expect(isCachePrefixOf("", "acme")).toBe(true);
    expect(isCachePrefixOf(cachePrefix("acme", DB), "acme")).toBe(true);
    for (const prefix of [
      cachePrefix("globex", DB),
      cachePrefix("acme-eu", DB),
      "t/acme/",
      `t/acme/${DB}`,
      `x/acme/${DB}/`,
      `t/acme/${DB}/extra/`,
      `t/acme/../globex/${DB}/`,
    ]) {
      expect(isCachePrefixOf(prefix, "acme"), prefix).toBe(false);
    }
  });
});
