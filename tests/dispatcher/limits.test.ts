/** The dispatcher's rate limiter, auth-failure tracker and key id reader, as plain modules with a fake clock. */
import { describe, expect, test } from "vitest";
import { apiKeyIdOf } from "../../dispatcher/src/api-key-id.ts";
import { AuthFailureTracker } from "../../dispatcher/src/auth-failures.ts";
import { RateLimiter } from "../../dispatcher/src/rate-limiter.ts";

function clock(start = 1_000_000) {
  let now = start;
  return { now: () => now, advance: (ms: number) => (now += ms) };
}

describe("RateLimiter", () => {
  test("counts up to the limit per window, then refuses until the window ends", () => {
    const time = clock();
    const limiter = new RateLimiter({ windowMs: 60_000, now: time.now });
    const tenant = [{ key: "t", limit: 3 }];
    expect(limiter.take(tenant)).toEqual({ allowed: true, limit: 3, remaining: 2, resetSeconds: 60 });
    expect(limiter.take(tenant).remaining).toBe(1);
    expect(limiter.take(tenant).remaining).toBe(0);
    time.advance(20_500);
    expect(limiter.take(tenant)).toEqual({ allowed: false, limit: 3, remaining: 0, resetSeconds: 40 });
    time.advance(39_500);
    expect(limiter.take(tenant)).toEqual({ allowed: true, limit: 3, remaining: 2, resetSeconds: 60 });
  });

  test("an exhausted key does not block another key, and a refusal costs the tenant nothing", () => {
    const limiter = new RateLimiter({ now: clock().now });
    const as = (key: string) => [
      { key: `t/${key}`, limit: 2 },
      { key: "t", limit: 4 },
    ];
    expect(limiter.take(as("a")).remaining).toBe(1); // the key is the tighter limit
    expect(limiter.take(as("a")).remaining).toBe(0);
    for (let i = 0; i < 5; i++) expect(limiter.take(as("a")).allowed).toBe(false);
    // Key b still has the tenant's remaining 2: the refused requests of a were not counted.
    expect(limiter.take(as("b"))).toMatchObject({ allowed: true, remaining: 1 });
    expect(limiter.take(as("b"))).toMatchObject({ allowed: true, remaining: 0 });
    // The tenant is now exhausted: key c, never seen, is refused by the tenant's limit.
    expect(limiter.take(as("c"))).toMatchObject({ allowed: false, limit: 4 });
  });

  test("keeps at most maxEntries counters, dropping the oldest window", () => {
    const limiter = new RateLimiter({ maxEntries: 100, now: clock().now });
    for (let i = 0; i < 1000; i++) limiter.take([{ key: `k${i}`, limit: 1 }]);
    expect(limiter.size).toBe(100);
    expect(limiter.take([{ key: "k999", limit: 1 }]).allowed).toBe(false); // the newest survived
    expect(limiter.take([{ key: "k0", limit: 1 }]).allowed).toBe(true); // the oldest was forgotten
  });
});

describe("AuthFailureTracker", () => {
  test("blocks after the threshold within the window, for a time that doubles with each block", () => {
    const time = clock();
    const failures = new AuthFailureTracker({
      threshold: 3,
      windowMs: 60_000,
      baseBlockMs: 30_000,
      maxBlockMs: 100_000,
      now: time.now,
    });
    expect(failures.recordFailure("t/ip")).toBe(0);
    expect(failures.recordFailure("t/ip")).toBe(0);
    expect(failures.blockedForMs("t/ip")).toBe(0);
    expect(failures.recordFailure("t/ip")).toBe(30_000);
    time.advance(10_000);
    expect(failures.blockedForMs("t/ip")).toBe(20_000);
    expect(failures.blockedForMs("t/other-ip")).toBe(0);
    expect(failures.blockedForMs("other-tenant/ip")).toBe(0);
    time.advance(20_000);
    expect(failures.blockedForMs("t/ip")).toBe(0);
    for (const expected of [60_000, 100_000, 100_000]) {
      failures.recordFailure("t/ip");
      failures.recordFailure("t/ip");
      expect(failures.recordFailure("t/ip")).toBe(expected);
      time.advance(expected);
    }
  });

  test("failures spread wider than the window never block", () => {
    const time = clock();
    const failures = new AuthFailureTracker({ threshold: 3, windowMs: 60_000, now: time.now });
    for (let i = 0; i < 20; i++) {
      expect(failures.recordFailure("t/ip")).toBe(0);
      time.advance(30_001);
    }
  });

  test("is forgotten an hour after the last block, and bounded in memory", () => {
    const time = clock();
    const failures = new AuthFailureTracker({
      threshold: 1,
      baseBlockMs: 1_000,
      forgetAfterMs: 3_600_000,
      maxEntries: 10,
      now: time.now,
    });
    expect(failures.recordFailure("a")).toBe(1_000);
    time.advance(2_000);
    expect(failures.recordFailure("a")).toBe(2_000);
    time.advance(3_600_000 + 2_000);
    expect(failures.recordFailure("a")).toBe(1_000);
    for (let i = 0; i < 50; i++) failures.recordFailure(`c${i}`);
    expect(failures.size).toBe(10);
  });
});

describe("apiKeyIdOf", () => {
  test.each([
    ["Bearer wfp_admin_secretsecret", "admin"],
    ["bearer   wfp_ci7_x", "ci7"],
    [`Basic ${btoa("reader:s3cret")}`, "reader"],
    [`Basic ${btoa(":wfp_ops_s3cret")}`, "ops"],
    [`basic ${btoa("Not-A-Key-Id:wfp_ops_s3cret")}`, "ops"],
  ])("%s -> %s", (header, keyId) => {
    expect(apiKeyIdOf(header)).toBe(keyId);
  });

  test.each([
    null,
    "",
    "Bearer ",
    "Bearer sk_live_abc",
    "Bearer wfp_UPPER_x",
    `Bearer wfp_${"a".repeat(33)}_x`,
    "Basic !!!",
    `Basic ${btoa("nocolon")}`,
    "Digest x",
  ])("no key id in %j", (header) => {
    expect(apiKeyIdOf(header)).toBeUndefined();
  });
});
