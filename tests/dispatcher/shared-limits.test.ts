/**
 * The shared rate limiter's rules as plain modules: several limiters (one per simulated isolate)
 * reporting to one CounterTable (what a tenant's RateLimitCounter object runs), a fake clock, and
 * reports answered when the test says so, so interleavings are chosen, not timed.
 */
import { describe, expect, test } from "vitest";
import { CounterTable, MAX_KEYS_PER_WINDOW } from "../../dispatcher/src/counter-table.ts";
import { RateLimiter } from "../../dispatcher/src/rate-limiter.ts";
import { allowanceOf, type CounterCall, SharedRateLimiter } from "../../dispatcher/src/shared-rate-limiter.ts";

function clock(start = 60_000 * 1_000) {
  let now = start;
  return { now: () => now, advance: (ms: number) => (now += ms) };
}

/** One object per tenant; each report waits in `pending` until the test answers it (or answers at once). */
function counterObjects(answerAtOnce = false) {
  const tables = new Map<string, CounterTable>();
  const pending: (() => void)[] = [];
  const call: CounterCall = (tenantId, report) => {
    const table = tables.get(tenantId) ?? new CounterTable();
    tables.set(tenantId, table);
    if (answerAtOnce) return Promise.resolve(table.add(report));
    return new Promise((resolve) => pending.push(() => resolve(table.add(report))));
  };
  /** Answers the reports sent so far, in a shuffled order, and lets their continuations run. */
  const answer = async (order: (n: number) => number = () => 0) => {
    while (pending.length > 0) pending.splice(order(pending.length), 1)[0]!();
    for (let i = 0; i < 5; i++) await Promise.resolve();
  };
  return { call, tables, pending, answer };
}

const tenant = (limit: number) => [{ key: "t", limit }];

describe("CounterTable", () => {
  test("adds per key within a window; a newer window starts afresh; an older one is not counted", () => {
    const table = new CounterTable();
    expect(table.add({ window: 5, counts: { t: 3, "t\u0000k": 1 } })).toEqual({
      window: 5,
      totals: { t: 3, "t\u0000k": 1 },
    });
    expect(table.add({ window: 5, counts: { t: 2 } }).totals).toEqual({ t: 5 });
    expect(table.add({ window: 4, counts: { t: 100 } })).toEqual({ window: 5, totals: { t: 5 } });
    expect(table.add({ window: 6, counts: { t: 1 } })).toEqual({ window: 6, totals: { t: 1 } });
    expect(table.add({ window: 6, counts: { t: -4, u: 0.5 } }).totals).toEqual({ t: 1, u: 0 });
  });

  test("keeps at most MAX_KEYS_PER_WINDOW keys; more are answered, not kept", () => {
    const table = new CounterTable();
    for (let i = 0; i < MAX_KEYS_PER_WINDOW; i++) table.add({ window: 1, counts: { [`k${i}`]: 1 } });
    expect(table.add({ window: 1, counts: { extra: 2 } }).totals).toEqual({ extra: 2 });
    expect(table.totals.size).toBe(MAX_KEYS_PER_WINDOW);
  });
});

describe("SharedRateLimiter", () => {
  test("decides without waiting until an isolate has used its allowance", async () => {
    const time = clock();
    const objects = counterObjects();
    const limiter = new SharedRateLimiter(new RateLimiter({ now: time.now }), { now: time.now });
    const allowance = allowanceOf(1_000); // 10
    for (let i = 0; i < allowance; i++) {
      const decision = limiter.take("acme", tenant(1_000), objects.call);
      expect(decision).toMatchObject({ allowed: true, limit: 1_000, remaining: 1_000 - i - 1 });
    }
    // The allowance is used and its report is unanswered: the next request waits for one of its own.
    const waiting = limiter.take("acme", tenant(1_000), objects.call);
    expect(waiting).toBeInstanceOf(Promise);
    await objects.answer();
    expect(await waiting).toMatchObject({ allowed: true, remaining: 1_000 - allowance - 1 });
    expect(objects.tables.get("acme")!.totals.get("t")).toBe(allowance);
  });

  test("four isolates, reports answered late and out of order: at most limit + 4 allowances", async () => {
    for (const limit of [7, 100, 6_000]) {
      const time = clock();
      const objects = counterObjects();
      const isolates = Array.from(
        { length: 4 },
        () => new SharedRateLimiter(new RateLimiter({ now: time.now }), { now: time.now }),
      );
      let seed = limit;
      const random = (n: number) => {
        seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
        return seed % n;
      };
      let admitted = 0;
      const waits: Promise<void>[] = [];
      for (let i = 0; i < limit * 3; i++) {
        const decision = isolates[random(4)]!.take("acme", tenant(limit), objects.call);
        if (decision instanceof Promise)
          waits.push(
            decision.then((d) => {
              if (d.allowed) admitted += 1;
            }),
          );
        else if (decision.allowed) admitted += 1;
        if (random(8) === 0) await objects.answer(random);
      }
      while (objects.pending.length > 0) await objects.answer(random);
      await Promise.all(waits);
      expect(admitted, `limit ${limit}`).toBeGreaterThanOrEqual(limit);
      expect(admitted, `limit ${limit}`).toBeLessThanOrEqual(limit + 4 * allowanceOf(limit));
    }
  });

  test("a key's limit and the tenant's are counted together; a refused request counts for neither", async () => {
    const time = clock();
    const objects = counterObjects(true);
    const limiter = new SharedRateLimiter(new RateLimiter({ now: time.now }), { now: time.now });
    const as = (key: string) => [
      { key: `t\u0000${key}`, limit: 2 },
      { key: "t", limit: 4 },
    ];
    const results: boolean[] = [];
    for (let i = 0; i < 5; i++) results.push((await limiter.take("acme", as("a"), objects.call)).allowed);
    expect(results).toEqual([true, true, false, false, false]);
    expect((await limiter.take("acme", as("b"), objects.call)).allowed).toBe(true);
    expect((await limiter.take("acme", as("b"), objects.call)).allowed).toBe(true);
    expect(await limiter.take("acme", as("c"), objects.call)).toMatchObject({ allowed: false, limit: 4 });
  });

  test("a new window starts every count afresh, in the isolate and in the object", async () => {
    const time = clock();
    const objects = counterObjects(true);
    const limiter = new SharedRateLimiter(new RateLimiter({ now: time.now }), { now: time.now });
    for (let i = 0; i < 3; i++) expect((await limiter.take("acme", tenant(3), objects.call)).allowed).toBe(true);
    time.advance(20_500);
    expect(await limiter.take("acme", tenant(3), objects.call)).toEqual({
      allowed: false,
      limit: 3,
      remaining: 0,
      resetSeconds: 40,
    });
    time.advance(39_500);
    expect(await limiter.take("acme", tenant(3), objects.call)).toEqual({
      allowed: true,
      limit: 3,
      remaining: 2,
      resetSeconds: 60,
    });
    await objects.answer();
    expect(objects.tables.get("acme")!.window).toBe(Math.floor(time.now() / 60_000));
  });

  test("an object that fails or does not answer: the per-isolate limiter counts, then the object again", async () => {
    const time = clock();
    const logged: string[] = [];
    let fail = true;
    const objects = counterObjects(true);
    const flaky: CounterCall = (tenantId, report) =>
      fail ? Promise.reject(new Error("counter down")) : objects.call(tenantId, report);
    const limiter = new SharedRateLimiter(new RateLimiter({ now: time.now }), {
      now: time.now,
      degradedMs: 10_000,
      log: (event) => logged.push(event),
    });
    // Limit 2 (allowance 1): the second request must report, the report fails, the fallback decides.
    expect((await limiter.take("acme", tenant(2), flaky)).allowed).toBe(true);
    for (let i = 0; i < 5; i++) await Promise.resolve();
    const fallback = [];
    for (let i = 0; i < 3; i++) fallback.push((await limiter.take("acme", tenant(2), flaky)).allowed);
    expect(fallback).toEqual([true, true, false]);
    expect(logged).toEqual(["rate_limit_counter_failed"]);
    fail = false;
    time.advance(10_001);
    expect((await limiter.take("acme", tenant(2), flaky)).allowed).toBe(true);

    const silent = new SharedRateLimiter(new RateLimiter({ now: time.now }), {
      now: time.now,
      syncTimeoutMs: 5,
      log: (event) => logged.push(event),
    });
    const never: CounterCall = () => new Promise(() => undefined);
    expect((await silent.take("quiet", tenant(2), never)).allowed).toBe(true);
    // Allowance used, the report never answers: after the timeout the per-isolate limiter decides.
    expect((await silent.take("quiet", tenant(2), never)).allowed).toBe(true);
    expect(logged).toEqual(["rate_limit_counter_failed", "rate_limit_counter_failed"]);
  });

  test("tenants kept per isolate are bounded, least recently seen dropped first", async () => {
    const objects = counterObjects(true);
    const limiter = new SharedRateLimiter(new RateLimiter(), { maxTenants: 3 });
    for (const id of ["a", "b", "c", "a", "d"]) await limiter.take(id, tenant(10), objects.call);
    expect(limiter.size).toBe(3);
  });
});
