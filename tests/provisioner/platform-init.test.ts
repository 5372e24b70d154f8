/**
 * `npm run platform -- init` on an empty account (the local platform before init): it creates the
 * dispatch namespace, the routing store, the dispatcher with both ids in its bindings, the zone's
 * catch-all route, the fallback origin with its DNS record and the eu and uk CNAME targets, after
 * which tenant traffic is served; a re-run only reads; an answer lost after any write of a first
 * run still converges on one re-run to the same account, with nothing made twice; a catch-all
 * route that runs another Worker is refused (exit 3); bad flags are exit 2. A dispatcher deployed
 * before a Durable Object class of its own gets the class by the next init (its migration alone).
 */
import Cloudflare from "cloudflare";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FaultPlanSchema } from "../../infra/local-platform/faults.ts";
import { type LocalPlatform, startLocalPlatform } from "../../infra/local-platform/index.ts";
import { buildDispatcher, type DispatcherBuild } from "../../provisioner/src/dispatcher-build.ts";
import { dispatcherMetadata } from "../../provisioner/src/dispatcher-script.ts";
import { PLATFORM_EXIT, runPlatformCli } from "../../provisioner/src/platform-cli.ts";
import { scriptUploadForm } from "../../provisioner/src/worker-script.ts";
import type { InitReport } from "../../provisioner/src/platform-init.ts";
import { EXIT, runTenantCli } from "../../provisioner/src/tenant-cli.ts";

let platform: LocalPlatform;
let stateDir: string;
let cf: Cloudflare;

beforeAll(async () => {
  stateDir = mkdtempSync(join(tmpdir(), "wfp-platform-init-"));
  // Not initialised: the account is as empty as a new Cloudflare account.
  platform = await startLocalPlatform({ port: 0, apiPort: 0, stateDir });
  cf = new Cloudflare({ apiToken: "local", baseURL: platform.apiUrl, maxRetries: 0 });
}, 60_000);
afterAll(async () => {
  await platform?.close();
  rmSync(stateDir, { recursive: true, force: true });
});

async function platformCli(args: string[]) {
  let stdout = "";
  let stderr = "";
  const code = await runPlatformCli(args, {
    stdout: (t) => (stdout += t),
    stderr: (t) => (stderr += t),
    env: { CLOUDFLARE_API_BASE_URL: platform.apiUrl, WFP_API_MAX_ATTEMPTS: "1" },
  });
  return { code, stdout, stderr };
}

/** What init made, as the API shows it: the same after any interrupted run and its re-run. */
async function accountSnapshot() {
  const account_id = platform.accountId;
  const zone_id = platform.zoneId;
  const namespaces = (await cf.workersForPlatforms.dispatch.namespaces.list({ account_id })).getPaginatedItems();
  const kv = (await cf.kv.namespaces.list({ account_id, per_page: 100 })).getPaginatedItems();
  let dispatcher: unknown = null;
  try {
    const settings = await cf.workers.scripts.scriptAndVersionSettings.get("wfp-dispatcher", { account_id });
    dispatcher = {
      bindings: (settings.bindings ?? []).map((b) =>
        b.type === "kv_namespace" ? { ...b, namespace_id: kv.find((n) => n.id === b.namespace_id)?.title } : b,
      ),
      tag: settings.annotations?.["workers/tag"],
    };
  } catch {
    /* none yet */
  }
  const routes = (await cf.workers.routes.list({ zone_id })).getPaginatedItems();
  const dns = (await cf.dns.records.list({ zone_id })).getPaginatedItems();
  let fallback: unknown = null;
  try {
    fallback = await cf.customHostnames.fallbackOrigin.get({ zone_id });
  } catch {
    /* none yet */
  }
  const regional = (await cf.addressing.regionalHostnames.list({ zone_id })).getPaginatedItems();
  return {
    namespaces: namespaces.map((n) => n.namespace_name).sort(),
    kv: kv.map((n) => n.title).sort(),
    dispatcher,
    routes: routes.map((r) => `${r.pattern} -> ${r.script}`).sort(),
    dns: dns.map((r) => `${r.name} ${r.type} ${r.content} ${r.proxied ? "proxied" : "dns-only"}`).sort(),
    fallback:
      fallback === null
        ? null
        : { origin: (fallback as { origin: string }).origin, status: (fallback as { status: string }).status },
    regional: regional.map((r) => `${r.hostname} ${r.region_key}`).sort(),
  };
}

/** Back to an empty account: what init makes, removed through the API. */
async function emptyAccount() {
  const account_id = platform.accountId;
  const zone_id = platform.zoneId;
  for (const r of (await cf.workers.routes.list({ zone_id })).getPaginatedItems())
    await cf.workers.routes.delete(r.id, { zone_id });
  await cf.workers.scripts.delete("wfp-dispatcher", { account_id }).catch(() => undefined);
  for (const n of (await cf.workersForPlatforms.dispatch.namespaces.list({ account_id })).getPaginatedItems())
    await cf.workersForPlatforms.dispatch.namespaces.delete(n.namespace_name!, { account_id });
  for (const n of (await cf.kv.namespaces.list({ account_id, per_page: 100 })).getPaginatedItems())
    await cf.kv.namespaces.delete(n.id, { account_id });
  for (const r of (await cf.dns.records.list({ zone_id })).getPaginatedItems())
    await cf.dns.records.delete(r.id, { zone_id });
  await cf.customHostnames.fallbackOrigin.delete({ zone_id }).catch(() => undefined);
  for (const r of (await cf.addressing.regionalHostnames.list({ zone_id })).getPaginatedItems())
    await cf.addressing.regionalHostnames.delete(r.hostname, { zone_id });
}

describe("platform init", () => {
  it("makes an empty account ready, after which tenant traffic is served; a re-run only reads", async () => {
    await emptyAccount();
    const checked = await platformCli(["check"]);
    expect(checked.stdout).toMatch(/^✓ Workers routes: no \*\/\* route yet \(init adds it\)$/m);
    expect(checked.stdout).toContain("Next: npm run platform -- init");
    const before = await fetch(`${platform.trafficUrl}/health`);
    expect(before.status).toBe(503);
    expect(await before.text()).toContain("npm run platform -- init");
    // A tenant cannot be created before init, and the message says what to run.
    let stderr = "";
    const refused = await runTenantCli(["create", "early", "--domain", "registry.early.localhost"], {
      stdout: () => undefined,
      stderr: (t) => (stderr += t),
      env: { CLOUDFLARE_API_BASE_URL: platform.apiUrl },
    });
    expect(refused).toBe(EXIT.usage);
    expect(stderr).toContain("npm run platform -- init");

    const first = await platformCli(["init"]);
    expect(first.code, first.stderr).toBe(PLATFORM_EXIT.ready);
    expect(first.stdout).toContain("The platform is ready.");
    expect(first.stdout).toMatch(/✓ Dispatch Worker wfp-dispatcher \(created/);
    expect(first.stdout).toContain(`eu tenants -> eu.${platform.zoneName}`);

    const made = await accountSnapshot();
    expect(made).toMatchObject({
      namespaces: ["tenants"],
      kv: ["wfp-routes"],
      routes: ["*/* -> wfp-dispatcher"],
      dns: [
        `customers.${platform.zoneName} AAAA 100:: proxied`,
        `eu.${platform.zoneName} AAAA 100:: proxied`,
        `uk.${platform.zoneName} AAAA 100:: proxied`,
      ],
      fallback: { origin: `customers.${platform.zoneName}`, status: "active" },
      regional: [`eu.${platform.zoneName} eu`, `uk.${platform.zoneName} gb`],
    });
    expect(made.dispatcher).toMatchObject({
      bindings: expect.arrayContaining([
        { type: "kv_namespace", name: "ROUTES", namespace_id: "wfp-routes" },
        { type: "dispatch_namespace", name: "DISPATCHER", namespace: "tenants" },
        { type: "analytics_engine", name: "USAGE", dataset: "wfp_usage" },
        // The shared rate-limit counters: a class of the dispatcher itself, made by its migration.
        {
          type: "durable_object_namespace",
          name: "RATE_LIMITS",
          class_name: "RateLimitCounter",
          namespace_id: expect.stringMatching(/^[0-9a-f]{32}$/),
        },
        // The tenants' webhook clocks: another class of its own, made by the same first upload.
        {
          type: "durable_object_namespace",
          name: "WEBHOOK_CLOCKS",
          class_name: "WebhookClock",
          namespace_id: expect.stringMatching(/^[0-9a-f]{32}$/),
        },
      ]),
      tag: expect.stringMatching(/^[0-9a-f]{32}$/),
    });
    const health = await fetch(`${platform.trafficUrl}/health`);
    expect(health.status).toBe(200);
    expect(await health.json()).toMatchObject({ status: "ok", service: "wfp-dispatcher" });
    expect(platform.routesNamespaceId).not.toBe("");
    expect((await platformCli(["check"])).stdout).toContain("Next: npm run tenant -- create");

    platform.faults.set(FaultPlanSchema.parse({}));
    const again = await platformCli(["init", "--json"]);
    expect(again.code, again.stderr).toBe(PLATFORM_EXIT.ready);
    const report = JSON.parse(again.stdout) as InitReport & { ok: boolean };
    expect(report.changed).toBe(false);
    expect(new Set(report.steps.map((s) => s.outcome))).toEqual(new Set(["built", "adopted", "unchanged"]));
    // A ready platform costs reads only, and a fixed number of them.
    const calls = platform.faults.status().log;
    expect(calls.filter((c) => c.method !== "GET")).toEqual([]);
    expect(calls.length).toBeLessThanOrEqual(16);
    expect(await accountSnapshot()).toEqual(made);
  }, 120_000);

  it("converges on one re-run when the answer to any write of a first run is lost", async () => {
    await emptyAccount();
    platform.faults.set(FaultPlanSchema.parse({}));
    expect((await platformCli(["init"])).code).toBe(PLATFORM_EXIT.ready);
    const writes = platform.faults
      .status()
      .log.flatMap((c, i) => (c.method === "GET" ? [] : [{ call: i + 1, what: `${c.method} ${c.path}` }]));
    const expected = await accountSnapshot();
    expect(writes.length).toBeGreaterThanOrEqual(10);

    for (const { call, what } of writes) {
      await emptyAccount();
      // The write takes effect, then its answer is lost: init stops there and says to re-run.
      platform.faults.set(FaultPlanSchema.parse({ failFrom: call, count: 1, phase: "after" }));
      const interrupted = await platformCli(["init"]);
      expect(interrupted.code, `${what}: ${interrupted.stdout}`).toBe(PLATFORM_EXIT.notReady);
      expect(interrupted.stderr).toContain("run the same command again");
      platform.faults.clear();
      const rerun = await platformCli(["init"]);
      expect(rerun.code, `${what}: ${rerun.stderr}`).toBe(PLATFORM_EXIT.ready);
      expect(await accountSnapshot(), what).toEqual(expected);
    }
  }, 300_000);

  it("two inits at once on an empty account both finish, and nothing is made twice", async () => {
    await emptyAccount();
    platform.faults.clear();
    const [one, two] = await Promise.all([platformCli(["init"]), platformCli(["init"])]);
    expect(one.code, one.stderr).toBe(PLATFORM_EXIT.ready);
    expect(two.code, two.stderr).toBe(PLATFORM_EXIT.ready);
    const made = await accountSnapshot();
    expect(made.kv).toEqual(["wfp-routes"]);
    expect(made.routes).toEqual(["*/* -> wfp-dispatcher"]);
    expect(made.dns).toHaveLength(3);
    expect(made.regional).toHaveLength(2);
  }, 60_000);

  it("without Regional Services skips the eu and uk targets and says why; asked for by name, fails", async () => {
    await emptyAccount();
    platform.faults.set(FaultPlanSchema.parse({}));
    expect((await platformCli(["init"])).code).toBe(PLATFORM_EXIT.ready);
    const regionsCall =
      platform.faults.status().log.findIndex((c) => c.path.endsWith("/addressing/regional_hostnames/regions")) + 1;
    expect(regionsCall).toBeGreaterThan(0);
    await emptyAccount();
    // The same run, with the regions list refused as an account without the entitlement is.
    platform.faults.set(FaultPlanSchema.parse({ failFrom: regionsCall, count: 1, status: 403 }));
    const skipped = await platformCli(["init", "--json"]);
    expect(skipped.code, skipped.stderr).toBe(PLATFORM_EXIT.ready);
    const report = JSON.parse(skipped.stdout) as InitReport;
    expect(report.regionalTargets).toEqual({});
    expect(report.skippedRegions.join(" ")).toContain("Enable Regional Services");
    expect((await accountSnapshot()).regional).toEqual([]);
    // Asked for by name, the same refusal is a failure; and a 500 is never taken for a refusal.
    // A re-run makes the same calls in the same order: find the regions call in one, fail it in the next.
    for (const [args, status] of [
      [["init", "--regions", "eu"], 403],
      [["init"], 500],
    ] as const) {
      platform.faults.set(FaultPlanSchema.parse({}));
      expect((await platformCli([...args])).code).toBe(PLATFORM_EXIT.ready);
      const at = platform.faults.status().log.findIndex((c) => c.path.endsWith("/regional_hostnames/regions")) + 1;
      platform.faults.set(FaultPlanSchema.parse({ failFrom: at, count: 1, status }));
      const failed = await platformCli([...args]);
      expect(failed.code, `${args.join(" ")} with ${status}: ${failed.stdout}`).toBe(PLATFORM_EXIT.notReady);
      expect(failed.stderr).toContain("run the same command again");
    }
    platform.faults.clear();
  }, 60_000);

  it("refuses a catch-all route that runs another Worker, saying how to fix it (exit 3)", async () => {
    await emptyAccount();
    const zone_id = platform.zoneId;
    await cf.workers.routes.create({ zone_id, pattern: "*/*", script: "someone-elses-worker" });
    const refused = await platformCli(["init", "--regions", "none"]);
    expect(refused.code, refused.stderr).toBe(PLATFORM_EXIT.conflict);
    expect(refused.stderr).toMatch(/the zone's \*\/\* route runs the Worker 'someone-elses-worker'/);
    expect(refused.stderr).toContain("run init again");
    const routes = (await cf.workers.routes.list({ zone_id })).getPaginatedItems();
    expect(routes.map((r) => r.script)).toEqual(["someone-elses-worker"]);
  }, 60_000);

  it("adds the webhook clocks (migration v2) to a dispatcher deployed with the rate-limit counters only", async () => {
    await emptyAccount();
    platform.faults.clear();
    expect((await platformCli(["init"])).code).toBe(PLATFORM_EXIT.ready);
    const account_id = platform.accountId;
    const current = await cf.workers.scripts.scriptAndVersionSettings.get("wfp-dispatcher", { account_id });
    const routes = current.bindings?.find((b) => b.type === "kv_namespace" && b.name === "ROUTES");
    const ids = { dispatchNamespace: "tenants", routesNamespaceId: (routes as { namespace_id: string }).namespace_id };
    // The dispatcher as deployed before WebhookClock: RATE_LIMITS alone, made by migration v1.
    const build = await buildDispatcher();
    const v1: DispatcherBuild = {
      ...build,
      hash: "0".repeat(32),
      durableObjects: build.durableObjects.filter((d) => d.className === "RateLimitCounter"),
      migrations: build.migrations.filter((m) => m.tag === "v1"),
    };
    expect(v1.migrations).toHaveLength(1);
    await cf.workers.scripts.delete("wfp-dispatcher", { account_id });
    const old = (await cf.put(`/accounts/${account_id}/workers/scripts/wfp-dispatcher`, {
      body: scriptUploadForm(v1, dispatcherMetadata(v1, ids)),
    })) as { result: { migration_tag?: string } };
    expect(old.result.migration_tag).toBe("v1");

    const upgraded = await platformCli(["init"]);
    expect(upgraded.code, upgraded.stderr).toBe(PLATFORM_EXIT.ready);
    expect(upgraded.stdout).toMatch(/✓ Dispatch Worker wfp-dispatcher \(updated/);
    const settings = await cf.workers.scripts.scriptAndVersionSettings.get("wfp-dispatcher", { account_id });
    const classes = (settings.bindings ?? []).flatMap((b) => (b.type === "durable_object_namespace" ? [b.name] : []));
    expect(classes.sort()).toEqual(["RATE_LIMITS", "WEBHOOK_CLOCKS"]);
    expect((await fetch(`${platform.trafficUrl}/health`)).status).toBe(200);
    // Upgraded: a re-run sends nothing.
    platform.faults.set(FaultPlanSchema.parse({}));
    expect((await platformCli(["init"])).code).toBe(PLATFORM_EXIT.ready);
    expect(platform.faults.status().log.filter((c) => c.method !== "GET")).toEqual([]);
    platform.faults.clear();
  }, 60_000);

  it("makes no CNAME target with --regions none, and refuses bad flags (exit 2)", async () => {
    await emptyAccount();
    const none = await platformCli(["init", "--regions", "none", "--fallback-origin", `edge.${platform.zoneName}`]);
    expect(none.code, none.stderr).toBe(PLATFORM_EXIT.ready);
    const made = await accountSnapshot();
    expect(made.regional).toEqual([]);
    expect(made.fallback).toEqual({ origin: `edge.${platform.zoneName}`, status: "active" });

    const badRegion = await platformCli(["init", "--regions", "eu,fr"]);
    expect(badRegion.code).toBe(PLATFORM_EXIT.usage);
    expect(badRegion.stderr).toContain("--regions takes eu and uk");
    const badOrigin = await platformCli(["init", "--fallback-origin", "https://x.example/"]);
    expect(badOrigin.code).toBe(PLATFORM_EXIT.usage);
    expect(badOrigin.stderr).toContain("--fallback-origin must be a hostname");
  }, 60_000);
});
