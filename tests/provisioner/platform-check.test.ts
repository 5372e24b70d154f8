/**
 * `npm run platform -- check` says what the account, zone or token lacks, one line each with a fix,
 * and changes nothing: ready on the local platform (exit 0); an entitlement Cloudflare refuses
 * (here the Workers for Platforms list answering 403, as an account without the subscription does)
 * is a "missing" line with its fix (exit 1); bad input is exit 2.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FaultPlanSchema } from "../../infra/local-platform/faults.ts";
import type { LocalPlatform } from "../../infra/local-platform/index.ts";
import { startInitialisedPlatform } from "../../scripts/lib/initialised-platform.ts";
import { PLATFORM_EXIT, runPlatformCli } from "../../provisioner/src/platform-cli.ts";

let platform: LocalPlatform;
let stateDir: string;

beforeAll(async () => {
  stateDir = mkdtempSync(join(tmpdir(), "wfp-platform-check-"));
  platform = await startInitialisedPlatform({ port: 0, apiPort: 0, stateDir });
});
afterAll(async () => {
  await platform?.close();
  rmSync(stateDir, { recursive: true, force: true });
});

async function check(args: string[], env: Record<string, string> = {}) {
  let stdout = "";
  let stderr = "";
  const code = await runPlatformCli(args, {
    stdout: (t) => (stdout += t),
    stderr: (t) => (stderr += t),
    env: { CLOUDFLARE_API_BASE_URL: platform.apiUrl, WFP_API_MAX_ATTEMPTS: "1", ...env },
  });
  return { code, stdout, stderr };
}

interface Report {
  ready: boolean;
  checks: { check: string; status: string; detail: string; fix?: string }[];
}

describe("platform check", () => {
  it("finds the local platform ready, line by line, and changes nothing", async () => {
    platform.faults.set(FaultPlanSchema.parse({}));
    const human = await check(["check"]);
    expect(human.code, human.stderr).toBe(PLATFORM_EXIT.ready);
    expect(human.stdout).toMatch(/^✓ Workers for Platforms: dispatch namespace 'tenants' exists$/m);
    expect(human.stdout).toMatch(/^✓ Workers KV: 1 of 1,000 namespaces used \(the routing store exists\)/m);
    expect(human.stdout).toMatch(/^✓ Regional Services: regions for eu and uk tenants are available$/m);
    expect(human.stdout).toMatch(/^\? D1 jurisdictions: /m);
    expect(human.stdout).toMatch(/^✓ Workers routes: \*\/\* runs the dispatcher \(wfp-dispatcher\)$/m);
    expect(human.stdout).toContain("Ready:");
    // Read-only: every call it made was a GET.
    expect(platform.faults.status().log.every((call) => call.method === "GET")).toBe(true);

    const json = await check(["check", "--json", "--residency", "global"]);
    const report = JSON.parse(json.stdout) as Report;
    expect(report.ready).toBe(true);
    expect(report.checks.map((c) => c.check)).toEqual([
      "API token",
      "Account",
      "SaaS zone",
      "Workers for Platforms",
      "Workers KV",
      "D1",
      "Cloudflare for SaaS",
      "Workers routes",
    ]);
    platform.faults.clear();
  });

  it("says what is missing and how to fix it when Cloudflare refuses an entitlement (exit 1)", async () => {
    platform.faults.set(FaultPlanSchema.parse({}));
    await check(["check", "--json"]);
    const log = platform.faults.status().log;
    const at = log.findIndex((call) => call.path.endsWith("/workers/dispatch/namespaces")) + 1;
    expect(at).toBeGreaterThan(0);
    platform.faults.set(FaultPlanSchema.parse({ failFrom: at, count: 1, status: 403 }));
    const missing = await check(["check", "--json"]);
    platform.faults.clear();
    expect(missing.code).toBe(PLATFORM_EXIT.notReady);
    const report = JSON.parse(missing.stdout) as Report;
    expect(report.ready).toBe(false);
    expect(report.checks.find((c) => c.check === "Workers for Platforms")).toMatchObject({
      status: "missing",
      detail: expect.stringContaining("403"),
      fix: expect.stringContaining("subscribe the account to Workers for Platforms"),
    });
    expect(report.checks.filter((c) => c.status === "missing")).toHaveLength(1);
  });

  it("says in one line that the API cannot be reached, and how to reach the local platform (exit 1)", async () => {
    const { code, stdout } = await check(["check", "--json"], {
      CLOUDFLARE_API_BASE_URL: "http://127.0.0.1:9/client/v4",
    });
    expect(code).toBe(PLATFORM_EXIT.notReady);
    const report = JSON.parse(stdout) as Report;
    expect(report.checks).toEqual([
      expect.objectContaining({ check: "API", status: "missing", fix: expect.stringContaining("npm start") }),
    ]);
  });

  it("refuses bad input with exit 2 and the usage", async () => {
    for (const args of [[], ["inspect"], ["check", "--residency", "mars"], ["check", "--colour"]]) {
      const { code, stderr } = await check(args);
      expect(code, args.join(" ")).toBe(PLATFORM_EXIT.usage);
      expect(stderr.length).toBeGreaterThan(0);
    }
    expect((await check(["--help"])).stdout).toContain("Usage: npm run platform -- check");
  });
});
