/**
 * The local platform refuses what Cloudflare refuses past an account's limits, with Cloudflare's
 * status and code, and `tenant create` says what the limit is and what to do about it (exit 1,
 * nothing half-made left routed).
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import type { LocalPlatform } from "../../infra/local-platform/index.ts";
import { startInitialisedPlatform } from "../../scripts/lib/initialised-platform.ts";
import { EXIT } from "../../provisioner/src/tenant-cli.ts";
import { requestTenant, runTenant } from "../../scripts/lib/tenant-traffic.ts";

let platform: LocalPlatform | undefined;
let stateDir: string | undefined;
afterEach(async () => {
  await platform?.close();
  if (stateDir !== undefined) rmSync(stateDir, { recursive: true, force: true });
  platform = undefined;
});

async function start(accountLimits: { kvNamespaces?: number; d1Databases?: number }) {
  stateDir = mkdtempSync(join(tmpdir(), "wfp-limits-"));
  platform = await startInitialisedPlatform({
    port: 0,
    apiPort: 0,
    stateDir,
    hostnameActivationMs: 100,
    accountLimits,
  });
  return platform;
}

describe("account limits", () => {
  it("KV namespaces: the second tenant is refused with 10018 and told what to do; the first still serves", async () => {
    // The routing store is one namespace, the first tenant's cache the second.
    const p = await start({ kvNamespaces: 2 });
    const first = await runTenant(p.apiUrl, ["create", "first", "--domain", "registry.first.localhost"]);
    expect(first.code, first.stderr).toBe(EXIT.ok);
    const second = await runTenant(p.apiUrl, ["create", "second", "--domain", "registry.second.localhost"]);
    expect(second.code).toBe(EXIT.failure);
    expect(second.stderr).toContain("[code 10018]");
    expect(second.stderr).toContain("limit on KV namespaces");
    expect(second.stderr).toContain("delete namespaces no tenant uses");
    expect((await requestTenant(p.trafficUrl, "registry.second.localhost", "GET", "/health")).status).toBe(404);
    expect((await requestTenant(p.trafficUrl, "registry.first.localhost", "GET", "/health")).status).toBe(200);
  });

  it(`KV namespaces: with fewer than 10 left, a new tenant shares the cache namespace unless told otherwise, \
and says so`, async () => {
    // 13 namespaces: the routing store and two dedicated tenants leave 10, then 9 after a third.
    const p = await start({ kvNamespaces: 13 });
    const env = { WFP_KV_NAMESPACE_LIMIT: "13" };
    const create = (id: string, ...extra: string[]) =>
      runTenant(p.apiUrl, ["create", id, "--domain", `registry.${id}.localhost`, ...extra], env);
    for (const id of ["one", "two"]) {
      const created = await create(id);
      expect(created.code, created.stderr).toBe(EXIT.ok);
      expect(created.stdout).toMatch(
        /^KV cache dedicated: wfp-tenant-\w+-cache \(\w+\): the default: 1\d of the account/m,
      );
    }
    const three = await create("three", "--kv", "dedicated");
    expect(three.stdout).toMatch(/^KV cache dedicated: .*: asked for with --kv dedicated\.$/m);

    const four = await create("four");
    expect(four.code, four.stderr).toBe(EXIT.ok);
    expect(four.stdout).toMatch(
      new RegExp(
        String.raw`^✓ KV namespace wfp-cache-shared \(created, shared, keys under t/four/[0-9a-f-]+/ ` +
          String.raw`\(chosen automatically: 9 of the account's 13 KV namespaces free, fewer than 10\), cache on\)`,
        "m",
      ),
    );
    expect(four.stdout).toMatch(/^KV cache shared: wfp-cache-shared .*: chosen automatically: 9 of the account's 13/m);
    const five = await create("five", "--json");
    expect(five.code, five.stderr).toBe(EXIT.ok);
    expect(JSON.parse(five.stdout)).toMatchObject({
      spec: { kvMode: "shared" },
      resources: { kv: { title: "wfp-cache-shared", mode: "shared" } },
      kvModeReason: "chosen automatically: 8 of the account's 13 KV namespaces free, fewer than 10",
    });
    // A re-run keeps the mode, whatever the headroom now.
    const again = await create("two", "--json");
    expect(JSON.parse(again.stdout)).toMatchObject({ changed: false, spec: { kvMode: "dedicated" } });
    expect((await requestTenant(p.trafficUrl, "registry.five.localhost", "GET", "/health")).status).toBe(200);
  });

  it("D1 databases: a create past the limit is refused with 7406 and told what to do", async () => {
    const p = await start({ d1Databases: 1 });
    expect((await runTenant(p.apiUrl, ["create", "one", "--domain", "registry.one.localhost"])).code).toBe(EXIT.ok);
    const two = await runTenant(p.apiUrl, ["create", "two", "--domain", "registry.two.localhost"]);
    expect(two.code).toBe(EXIT.failure);
    expect(two.stderr).toContain("[code 7406]");
    expect(two.stderr).toContain("limit on D1 databases");
  });
});
