/**
 * When failed deliveries are tried again (tenant-template/src/webhooks/retry-schedule.ts):
 * exponential backoff, capped, varied, and never past 24 hours after the event.
 */
import { describe, expect, it } from "vitest";
import {
  FIRST_RETRY_MS,
  MAX_RETRY_DELAY_MS,
  nextAttemptAt,
  RETRY_WINDOW_MS,
} from "../../../tenant-template/src/webhooks/retry-schedule.ts";

const T0 = Date.parse("2026-12-07T00:00:00Z");

describe("nextAttemptAt", () => {
  it("grows four times each attempt from 5 s, up to 3 hours", () => {
    const delays = [1, 2, 3, 4, 5, 6, 7, 8].map((n) => nextAttemptAt(n, T0, T0, 0.5)! - T0);
    expect(delays).toEqual([5_000, 20_000, 80_000, 320_000, 1_280_000, 5_120_000, 10_800_000, 10_800_000]);
    expect(delays[0]).toBe(FIRST_RETRY_MS);
    expect(Math.max(...delays)).toBe(MAX_RETRY_DELAY_MS);
  });

  it("varies each delay by at most a fifth", () => {
    expect(nextAttemptAt(1, T0, T0, 0)! - T0).toBe(4_000);
    expect(nextAttemptAt(1, T0, T0, 0.999_999)! - T0).toBe(6_000);
  });

  it("makes the last attempt at 24 hours, and then gives up", () => {
    const late = T0 + RETRY_WINDOW_MS - 60_000;
    expect(nextAttemptAt(10, T0, late, 0.5)).toBe(T0 + RETRY_WINDOW_MS);
    expect(nextAttemptAt(11, T0, T0 + RETRY_WINDOW_MS, 0.5)).toBeNull();
    expect(nextAttemptAt(1, T0, T0 + RETRY_WINDOW_MS + 1)).toBeNull();
  });

  it("tries about fourteen times over the 24 hours", () => {
    let now = T0;
    let attempts = 1; // the first, at the event
    for (;;) {
      const next = nextAttemptAt(attempts, T0, now, 0.5);
      if (next === null) break;
      now = next;
      attempts++;
    }
    expect(attempts).toBeGreaterThanOrEqual(12);
    expect(attempts).toBeLessThanOrEqual(16);
    expect(now).toBe(T0 + RETRY_WINDOW_MS);
  });
});
