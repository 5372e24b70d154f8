/**
 * Keeps `npm run bench:fleet` from rotting without making a benchmark part of the suite: a fleet of
 * two, every figure in its one JSON object, the rollout done and the canary halt touching no tenant
 * outside the canary (that target holds at any size; the wall-time ratio is judged at 1,000).
 */
import { execFile } from "node:child_process";
import { join } from "node:path";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { REPO_ROOT } from "../../scripts/lib/worker-bundles.ts";

const execFileAsync = promisify(execFile);

describe("npm run bench:fleet", () => {
  it("rolls out to a fleet of two, halts on a failing canary, and reports every figure", async () => {
    const { stdout } = await execFileAsync(
      process.execPath,
      ["--import", "tsx", join(REPO_ROOT, "scripts/bench-fleet.ts"), "--tenants", "2", "--json"],
      { cwd: REPO_ROOT, encoding: "utf8", timeout: 110_000 },
    ).catch((error: { stdout?: string }) => ({ stdout: error.stdout ?? "" })); // exit 1: a target missed
    const report = JSON.parse(stdout) as {
      tenants: number;
      rollout: Record<string, number | string | null>;
      canaryHalt: { state: string; touchedOutsideCanary: number; canaryFailed: number };
    };
    expect(report.tenants).toBe(2);
    expect(report.rollout).toMatchObject({ state: "done", moved: 2, failed: 0, refusedByRateLimit: 0 });
    for (const figure of ["apiCalls", "apiCallsPerTenant", "apiCallsMeasuredPerTenant", "wallSeconds", "floorSeconds"])
      expect(Number.isFinite(report.rollout[figure]), figure).toBe(true);
    // Its record, its migrations read, the one migration, the upload, the record write.
    expect(report.rollout.apiCallsPerTenant).toBe(5);
    expect(report.canaryHalt).toMatchObject({ state: "halted", canaryFailed: 1, touchedOutsideCanary: 0 });
  }, 120_000);
});
