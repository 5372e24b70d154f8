/**
 * `npm run bench:platform` at its smallest, as a check of the mechanism (never of its figures):
 * it creates real tenants through the CLI, starts `npm start` and the platform again on its folder, finds workerd's
 * memory, and reports every checkpoint it was asked for.
 */
import { describe, expect, it } from "vitest";
import { benchPlatform } from "../../scripts/lib/platform-bench.ts";

describe("bench:platform", () => {
  it("creates the tenants, restarts, and reports each checkpoint with every figure", async () => {
    const lines: string[] = [];
    const report = await benchPlatform({ tenants: 2, samples: 1, inUse: 2, requests: 10, log: (l) => lines.push(l) });
    expect(report.tenants).toBe(2);
    expect(report.checkpoints.map((c) => c.tenant)).toEqual([1, 2]);
    for (const c of report.checkpoints) {
      expect(c.createSeconds).toHaveLength(1);
      const figures = [c.createMedianSeconds, c.npmStartSeconds, c.restartSeconds, c.rssIdleMb, c.rssInUseMb];
      for (const figure of [...figures, c.dispatchP50Ms]) {
        expect(Number.isFinite(figure) && figure > 0).toBe(true);
      }
      expect(c.dispatchP99Ms).toBeGreaterThanOrEqual(c.dispatchP50Ms);
    }
    expect(report.targets.rssRatio).toBeNull();
    expect(lines.some((l) => l.startsWith("2 tenants:"))).toBe(true);
  }, 180_000);
});
