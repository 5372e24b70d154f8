import { describe, expect, it } from "vitest";
import { CLOUDFLARE_RATE_LIMIT, rateLimitFor, TokenBucket } from "../../provisioner/src/token-bucket.ts";

/** A clock that only moves when the bucket sleeps: waits are measured, not slept. */
function fakeClock() {
  let now = 0;
  const sleeps: number[] = [];
  return {
    now: () => now,
    sleep: async (ms: number) => {
      sleeps.push(ms);
      now += ms;
    },
    sleeps,
    advance: (ms: number) => {
      now += ms;
    },
  };
}

describe("TokenBucket", () => {
  it("by default allows at most 1,000 calls in any 5 minutes, leaving room under Cloudflare's 1,200 per user", () => {
    const { capacity, refillPerSecond } = CLOUDFLARE_RATE_LIMIT;
    expect(capacity + refillPerSecond * 300).toBeLessThanOrEqual(1000);
  });

  it("lets a burst of `capacity` through, then paces at the refill rate", async () => {
    const clock = fakeClock();
    const bucket = new TokenBucket({ capacity: 3, refillPerSecond: 2, now: clock.now, sleep: clock.sleep });
    for (let i = 0; i < 3; i++) await bucket.take();
    expect(clock.sleeps).toEqual([]);
    await bucket.take();
    await bucket.take();
    // One permit per 500 ms once the burst is spent.
    expect(clock.sleeps).toEqual([500, 500]);
  });

  it("refills with time, up to capacity", () => {
    const clock = fakeClock();
    const bucket = new TokenBucket({ capacity: 2, refillPerSecond: 1, now: clock.now, sleep: clock.sleep });
    void bucket.take();
    void bucket.take();
    clock.advance(60_000);
    expect(bucket.available()).toBe(2);
  });

  it("serves waiters in arrival order", async () => {
    const bucket = new TokenBucket({ capacity: 1, refillPerSecond: 50 });
    const order: number[] = [];
    await Promise.all([1, 2, 3, 4].map((n) => bucket.take().then(() => order.push(n))));
    expect(order).toEqual([1, 2, 3, 4]);
  });

  it("paces real time at the configured rate", async () => {
    const bucket = new TokenBucket({ capacity: 2, refillPerSecond: 20 });
    const started = performance.now();
    for (let i = 0; i < 6; i++) await bucket.take();
    // 2 free, then 4 more at 50 ms each.
    expect(performance.now() - started).toBeGreaterThanOrEqual(190);
  });

  it("stops waiting when the caller aborts, without blocking later callers", async () => {
    const bucket = new TokenBucket({ capacity: 1, refillPerSecond: 0.5 });
    await bucket.take();
    const controller = new AbortController();
    const waiting = bucket.take(controller.signal);
    controller.abort(new Error("gave up"));
    await expect(waiting).rejects.toThrow("gave up");
  });
});

describe("rateLimitFor", () => {
  it.each([
    [1200, 300],
    [20, 1],
    [5, 60],
  ])("%i per %is never exceeds the limit in one window", (requests, windowSeconds) => {
    const { capacity, refillPerSecond } = rateLimitFor(requests, windowSeconds);
    expect(capacity).toBeGreaterThanOrEqual(1);
    expect(capacity + refillPerSecond * windowSeconds).toBeLessThanOrEqual(requests);
  });
});
