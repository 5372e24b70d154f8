/** The isolate route cache and host normalisation, as plain modules (no Workers APIs involved). */
import { describe, expect, test } from "vitest";
import { hostOfUrl, normalizeHost } from "../../dispatcher/src/normalize-host.ts";
import { RouteCache, type RouteLookup, UNKNOWN_ROUTE } from "../../dispatcher/src/route-cache.ts";
import { parseRouteRecord } from "../../contracts/route-record.ts";

describe("normalizeHost", () => {
  test.each([
    ["registry.acme.com", "registry.acme.com"],
    ["Registry.ACME.com", "registry.acme.com"],
    ["registry.acme.com:8443", "registry.acme.com"],
    ["registry.acme.com.", "registry.acme.com"],
    ["Registry.Acme.Com.:80", "registry.acme.com"],
    ["registry.acme.com:", "registry.acme.com"],
    ["xn--bcher-kva.example", "xn--bcher-kva.example"],
    ["127.0.0.1:8787", "127.0.0.1"],
    ["[::1]:8787", "[::1]"],
    ["localhost", "localhost"],
  ])("%s -> %s", (input, expected) => {
    expect(normalizeHost(input)).toBe(expected);
  });

  test.each([
    "",
    ".",
    "acme..com",
    ".acme.com",
    "acme.com..",
    "under_score.com",
    "user@acme.com",
    "acme.com:port",
    "acme.com:123456",
    "-acme.com",
    "acme-.com",
    "acme com",
    `${"a".repeat(64)}.com`,
    `${"abcdefghi.".repeat(26)}com`,
    "[::1",
    "[::1]x",
    "[zz]",
  ])("refuses %j", (input) => {
    expect(normalizeHost(input)).toBeNull();
  });

  test("hostOfUrl reads the authority of a parsed URL", () => {
    expect(hostOfUrl("http://Registry.Acme.com:8787/health?x=1")).toBe("registry.acme.com");
    expect(hostOfUrl("https://acme.test./")).toBe("acme.test");
    expect(hostOfUrl("https://acme.test")).toBe("acme.test");
    expect(hostOfUrl("not a url")).toBeNull();
  });
});

describe("parseRouteRecord", () => {
  const rateLimit = { requestsPerMinute: 6000, keyRequestsPerMinute: 3000 };
  const base = { tenantId: "acme", script: "tenant-acme", status: "active", proof: "p".repeat(43), rateLimit };
  test("accepts the contract's record and keeps only known fields", () => {
    expect(parseRouteRecord({ ...base, limits: { cpuMs: 50, subRequests: 50 }, plan: "standard", extra: 1 })).toEqual({
      ...base,
      corsOrigins: [],
      limits: { cpuMs: 50, subRequests: 50 },
      plan: "standard",
    });
    expect(parseRouteRecord({ ...base, corsOrigins: ["https://app.acme.com"] })?.corsOrigins).toEqual([
      "https://app.acme.com",
    ]);
  });
  const { proof: _proof, ...withoutProof } = base;
  const { rateLimit: _rateLimit, ...withoutRateLimit } = base;
  test.each([
    null,
    "acme",
    { ...base, status: "paused" },
    { ...base, script: "" },
    { ...base, tenantId: 7 },
    { ...base, limits: { cpuMs: 0 } },
    { ...base, limits: { subRequests: "5" } },
    { ...base, limits: 5 },
    withoutProof,
    { ...base, proof: "" },
    withoutRateLimit,
    { ...base, rateLimit: { requestsPerMinute: 0, keyRequestsPerMinute: 1 } },
    { ...base, rateLimit: { requestsPerMinute: 10 } },
    { ...base, corsOrigins: "https://app.acme.com" },
    { ...base, corsOrigins: [""] },
  ])("refuses %j", (value) => {
    expect(parseRouteRecord(value)).toBeNull();
  });
});

describe("RouteCache", () => {
  const found = (script: string): RouteLookup => ({
    kind: "route",
    record: {
      tenantId: "t",
      script,
      status: "active",
      proof: "p",
      rateLimit: { requestsPerMinute: 1, keyRequestsPerMinute: 1 },
      corsOrigins: [],
    },
  });

  function clock() {
    let now = 1_000_000;
    return { now: () => now, advance: (ms: number) => (now += ms) };
  }

  test("reuses a found route until its TTL, then reads again (a suspension applies within the TTL)", async () => {
    const time = clock();
    const cache = new RouteCache({ positiveTtlMs: 10_000, negativeTtlMs: 2_000, now: time.now });
    let reads = 0;
    const loader = async () => (++reads === 1 ? found("tenant-a") : found("tenant-a-suspended"));

    expect(cache.get("a.test")).toBeUndefined();
    expect(await cache.load("a.test", loader)).toEqual(found("tenant-a"));
    time.advance(9_999);
    expect(cache.get("a.test")).toEqual(found("tenant-a"));
    time.advance(1);
    expect(cache.get("a.test")).toBeUndefined();
    expect(await cache.load("a.test", loader)).toEqual(found("tenant-a-suspended"));
    expect(reads).toBe(2);
  });

  test("remembers an unknown host only for the short negative TTL", async () => {
    const time = clock();
    const cache = new RouteCache({ positiveTtlMs: 10_000, negativeTtlMs: 2_000, now: time.now });
    await cache.load("new.test", async () => UNKNOWN_ROUTE);
    time.advance(1_999);
    expect(cache.get("new.test")).toBe(UNKNOWN_ROUTE);
    time.advance(1);
    expect(cache.get("new.test")).toBeUndefined();
  });

  test("caches nothing when the store cannot be read", async () => {
    const cache = new RouteCache();
    await expect(cache.load("down.test", () => Promise.reject(new Error("KV down")))).rejects.toThrow("KV down");
    expect(cache.get("down.test")).toBeUndefined();
  });

  test("stays within maxEntries by dropping the oldest entries", async () => {
    const cache = new RouteCache({ maxEntries: 3 });
    for (const host of ["1.test", "2.test", "3.test", "4.test"]) await cache.load(host, async () => found(host));
    expect(cache.size).toBe(3);
    expect(cache.get("1.test")).toBeUndefined();
    expect(cache.get("4.test")).toEqual(found("4.test"));
  });
});
