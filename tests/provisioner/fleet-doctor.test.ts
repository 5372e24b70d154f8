/**
 * `npm run fleet -- doctor` against the real local platform: a clean fleet has no drift; each kind
 * of drift injected through the Cloudflare API is found and named (exit 1, nothing changed), `--fix`
 * repairs the tenants with create's steps, orphans go only with `--prune`, and nothing of a tenant
 * with a record is ever pruned. The platform's clock is moved by hand, so a custom hostname is
 * active or pending when the test says.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Cloudflare from "cloudflare";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createCloudflareClient } from "../../provisioner/src/cloudflare-client.ts";
import { readTargetSettings, resolveTarget } from "../../provisioner/src/config.ts";
import { FLEET_EXIT, runFleetCli } from "../../provisioner/src/fleet/fleet-cli.ts";
import { FLEET_COMMANDS } from "../../provisioner/src/fleet/fleet-commands.ts";
import type { DoctorReport } from "../../provisioner/src/fleet/fleet-doctor.ts";
import { findFleetDrift } from "../../provisioner/src/fleet/fleet-drift.ts";
import { requestTenant, runTenant } from "../../scripts/lib/tenant-traffic.ts";
import { type InitialisedPlatform, startInitialisedPlatform } from "../../scripts/lib/initialised-platform.ts";

const ACTIVATION_MS = 60_000;
let clock = Date.now();
let platform: InitialisedPlatform;
let stateDir: string;
let cf: Cloudflare;

const TENANTS = {
  alpha: ["create", "alpha", "--domain", "registry.alpha.localhost"],
  beta: ["create", "beta", "--domain", "registry.beta.localhost", "--residency", "eu"],
  gamma: ["create", "gamma", "--domain", "registry.gamma.localhost", "--kv", "shared"],
};

beforeAll(async () => {
  stateDir = mkdtempSync(join(tmpdir(), "wfp-fleet-doctor-"));
  platform = await startInitialisedPlatform({
    port: 0,
    apiPort: 0,
    stateDir,
    hostnameActivationMs: ACTIVATION_MS,
    now: () => clock,
  });
  cf = new Cloudflare({ apiToken: "local", baseURL: platform.apiUrl, maxRetries: 0 });
  for (const args of Object.values(TENANTS)) {
    const created = await runTenant(platform.apiUrl, args);
    expect(created.code, created.stderr + created.stdout).toBe(0);
  }
  clock += 2 * ACTIVATION_MS; // every custom hostname is active now
}, 240_000);
afterAll(async () => {
  await platform?.close();
  rmSync(stateDir, { recursive: true, force: true });
});

async function doctor(...args: string[]) {
  let stdout = "";
  let stderr = "";
  const code = await runFleetCli(
    ["doctor", ...args],
    {
      stdout: (t) => (stdout += t),
      stderr: (t) => (stderr += t),
      env: { CLOUDFLARE_API_BASE_URL: platform.apiUrl, WFP_API_MAX_ATTEMPTS: "1" },
    },
    FLEET_COMMANDS,
  );
  return { code, stdout, stderr };
}

async function doctorJson(...args: string[]) {
  const run = await doctor(...args, "--json");
  return { ...run, report: JSON.parse(run.stdout) as DoctorReport };
}

const account = () => ({ account_id: platform.accountId });
const scriptPath = (name: string) =>
  `/accounts/${platform.accountId}/workers/dispatch/namespaces/${platform.dispatchNamespace}/scripts/${name}`;

interface Settings {
  bindings: Array<{ type: string; name: string; text?: string }>;
  compatibility_date: string;
  compatibility_flags: string[];
  tags: string[];
}
const settingsOf = async (script: string) =>
  (await cf.get<{ result: Settings }>(`${scriptPath(script)}/settings`)).result;

async function d1Named(name: string) {
  const list = await cf.d1.database.list({ ...account(), per_page: 1000 });
  return list.result.find((d) => d.name === name);
}
async function kvTitled(title: string) {
  const list = await cf.kv.namespaces.list({ ...account(), per_page: 1000 });
  return list.result.find((n) => n.title === title);
}
async function customHostname(hostname: string) {
  const list = await cf.customHostnames.list({ zone_id: platform.zoneId, per_page: 50 });
  return list.result.find((h) => h.hostname === hostname);
}
async function routeValue(hostname: string): Promise<Record<string, unknown> | undefined> {
  try {
    const response = await cf.kv.namespaces.values.get(`host:${hostname}`, {
      ...account(),
      namespace_id: platform.routesNamespaceId,
    });
    return JSON.parse(await response.text()) as Record<string, unknown>;
  } catch (error) {
    if (error instanceof Cloudflare.NotFoundError) return undefined;
    throw error;
  }
}
async function writeRoute(hostname: string, value: Record<string, unknown>) {
  await cf.kv.namespaces.values.update(`host:${hostname}`, {
    ...account(),
    namespace_id: platform.routesNamespaceId,
    value: JSON.stringify(value),
    metadata: JSON.stringify({ tenantId: value.tenantId }),
  });
}

/** Upload a script by hand, as someone with the dashboard or wrangler might. */
async function upload(name: string, code: string, metadata: Record<string, unknown>) {
  const form = new FormData();
  form.append(
    "metadata",
    new Blob([JSON.stringify({ main_module: "index.js", ...metadata })], { type: "application/json" }),
  );
  form.append("index.js", new File([code], "index.js", { type: "application/javascript+module" }));
  await cf.put(scriptPath(name), { body: form });
}

describe("npm run fleet -- doctor", () => {
  it("finds no drift in a fleet just created (exit 0), reading per tenant only what no listing says", async () => {
    const clean = await doctor();
    expect(clean.code, clean.stdout + clean.stderr).toBe(FLEET_EXIT.ok);
    expect(clean.stdout).toContain("Checked 3 tenant(s): no drift");

    // Calls, counted under the provisioner's own client: the fleet's listings once, then per
    // tenant its record, its Worker's settings, its database and one route record per hostname.
    let calls = 0;
    const settings = readTargetSettings({ CLOUDFLARE_API_BASE_URL: platform.apiUrl });
    const target = await resolveTarget(
      createCloudflareClient({
        baseURL: settings.baseURL,
        apiToken: settings.apiToken,
        fetch: (input, init) => {
          calls++;
          return fetch(input, init);
        },
      }),
      settings,
    );
    calls = 0;
    const found = await findFleetDrift(target);
    expect(found.drift).toEqual([]);
    // 1 tenant: listing + 6 fleet listings (D1, KV, scripts, custom hostnames, host: keys, the eu
    // regional target) + 4 per tenant (3 tenants with one hostname each).
    expect(calls).toBe(1 + 6 + 4 * 3);
  });

  it("names each kind of drift injected through the API (exit 1) and changes nothing", async () => {
    // alpha: its KV namespace and its custom hostname deleted.
    const alphaKv = await kvTitled("wfp-tenant-alpha-cache");
    await cf.kv.namespaces.delete(alphaKv!.id, account());
    const alphaHost = await customHostname("registry.alpha.localhost");
    await cf.customHostnames.delete(alphaHost!.id, { zone_id: platform.zoneId });
    // beta (eu): read replication on, and its Worker uploaded by hand with a changed and an extra binding.
    const betaDb = await d1Named("wfp-tenant-beta");
    await cf.d1.database.edit(betaDb!.uuid!, { ...account(), read_replication: { mode: "auto" } });
    const beta = await settingsOf("tenant-beta");
    const code = await (await fetch(`${platform.apiUrl}${scriptPath("tenant-beta")}/content`)).text();
    await upload("tenant-beta", code, {
      compatibility_date: beta.compatibility_date,
      compatibility_flags: beta.compatibility_flags,
      tags: beta.tags,
      bindings: [
        ...beta.bindings
          .filter((b) => b.type !== "secret_text")
          .map((b) => (b.name === "RESIDENCY" ? { ...b, text: "global" } : b)),
        { type: "plain_text", name: "DEBUG", text: "1" },
      ],
      keep_bindings: ["secret_text"],
    });
    // gamma (shared KV): its route record points at a script that does not exist; a secret deleted.
    const gammaRoute = await routeValue("registry.gamma.localhost");
    await writeRoute("registry.gamma.localhost", { ...gammaRoute, script: "tenant-nope" });
    await cf.delete(`${scriptPath("tenant-gamma")}/secrets/DISPATCH_PROOF`);
    // Orphans: a database, a namespace, a tagged Worker, a route record and its custom hostname of
    // a tenant "ghost" that has no record.
    await cf.d1.database.create({ ...account(), name: "wfp-tenant-ghost" });
    await cf.kv.namespaces.create({ ...account(), title: "wfp-tenant-ghost-cache" });
    await upload("tenant-ghost", "export default { fetch() { return new Response('boo'); } };", {
      compatibility_date: beta.compatibility_date,
      tags: ["wfp-tenant", "tenant-ghost"],
    });
    await writeRoute("ghost.localhost", { ...gammaRoute, tenantId: "ghost", script: "tenant-ghost" });
    await cf.customHostnames.create({ zone_id: platform.zoneId, hostname: "ghost.localhost", ssl: { method: "http" } });

    const { code: exit, report, stderr } = await doctorJson();
    expect(exit, stderr).toBe(FLEET_EXIT.failure);
    expect(report.ok).toBe(false);
    const kinds = report.drift.map((d) => `${d.tenant} ${d.kind}`).sort();
    expect(kinds).toEqual(
      [
        "alpha custom-hostname-missing",
        "alpha kv-missing",
        "beta bindings",
        "beta read-replication",
        "gamma route-differs",
        "gamma secrets",
        "ghost orphan",
        "ghost orphan",
        "ghost orphan",
        "ghost orphan",
        "ghost orphan",
      ].sort(),
    );
    const what = (tenant: string, kind: string) =>
      report.drift.find((d) => d.tenant === tenant && d.kind === kind)?.what ?? "";
    expect(what("beta", "bindings")).toContain("RESIDENCY is 'global', the spec says 'eu'");
    expect(what("beta", "bindings")).toContain("extra plain_text DEBUG");
    expect(what("beta", "read-replication")).toContain("read replication auto, residency eu says disabled");
    expect(what("gamma", "secrets")).toContain("secret_text DISPATCH_PROOF is missing");
    expect(what("gamma", "route-differs")).toContain("points at script tenant-nope, which does not exist");
    expect(report.drift.filter((d) => d.kind === "orphan").map((d) => d.resource)).toEqual(
      expect.arrayContaining([
        { type: "d1", name: "wfp-tenant-ghost" },
        { type: "kv", name: "wfp-tenant-ghost-cache" },
        { type: "worker", name: "tenant-ghost" },
        { type: "route-record", name: "ghost.localhost" },
        { type: "custom-hostname", name: "ghost.localhost" },
      ]),
    );
    // Read-only without --fix.
    expect(await kvTitled("wfp-tenant-alpha-cache")).toBeUndefined();
    expect(await d1Named("wfp-tenant-ghost")).toBeDefined();

    // Human output: one line per drift, with the tenant, what and the fix.
    const human = await doctor();
    expect(human.code).toBe(FLEET_EXIT.failure);
    expect(human.stdout).toContain(
      "\nalpha  kv-missing: KV namespace wfp-tenant-alpha-cache is missing (fix: --fix re-runs the tenant's create)\n",
    );
    expect(human.stdout).toMatch(/^ghost {2}orphan: D1 database wfp-tenant-ghost: .*\(fix: --prune deletes it\)$/m);
  });

  it("--fix converges each drifted tenant, leaves the orphans; a new hostname is pending until active", async () => {
    const { code, report, stderr } = await doctorJson("--fix");
    // Orphans stay without --prune, and alpha's custom hostname is new.
    expect(code, stderr).toBe(FLEET_EXIT.failure);
    expect(report.fixes?.map((f) => [f.tenant, f.ok])).toEqual([
      ["alpha", true],
      ["beta", true],
      ["gamma", true],
    ]);
    expect(report.remaining?.map((d) => `${d.tenant} ${d.kind}`).sort()).toEqual([
      "alpha hostname-not-active",
      "ghost orphan",
      "ghost orphan",
      "ghost orphan",
      "ghost orphan",
      "ghost orphan",
    ]);
    expect(report.remaining?.find((d) => d.kind === "hostname-not-active")?.what).toContain(
      "custom hostname registry.alpha.localhost is pending (ssl initializing)",
    );

    // Repaired, as the API shows it.
    expect(await kvTitled("wfp-tenant-alpha-cache")).toBeDefined();
    expect(await customHostname("registry.alpha.localhost")).toBeDefined();
    const betaDb = await d1Named("wfp-tenant-beta");
    expect((await cf.d1.database.get(betaDb!.uuid!, account())).read_replication?.mode).toBe("disabled");
    const beta = await settingsOf("tenant-beta");
    expect(beta.bindings.find((b) => b.name === "RESIDENCY")?.text).toBe("eu");
    expect(beta.bindings.map((b) => b.name)).not.toContain("DEBUG");
    expect((await settingsOf("tenant-gamma")).bindings.map((b) => b.name)).toContain("DISPATCH_PROOF");
    expect((await routeValue("registry.gamma.localhost"))?.script).toBe("tenant-gamma");
    // Through the dispatcher (first asked now: its route cache holds nothing older): routed and
    // the proof accepted again.
    const health = await requestTenant(platform.trafficUrl, "registry.gamma.localhost", "GET", "/health");
    expect(health.status, health.body).toBe(200);
    // Orphans untouched without --prune.
    expect(await d1Named("wfp-tenant-ghost")).toBeDefined();
    expect(await routeValue("ghost.localhost")).toBeDefined();

    clock += 2 * ACTIVATION_MS;
    const after = await doctorJson();
    expect(after.report.drift.every((d) => d.kind === "orphan")).toBe(true);
  });

  it("--prune deletes the orphans, then nothing drifted (exit 0)", async () => {
    const { code, report, stderr } = await doctorJson("--prune");
    expect(code, stderr).toBe(FLEET_EXIT.ok);
    expect(report.pruned?.map((p) => p.outcome)).toEqual(["deleted", "deleted", "deleted", "deleted", "deleted"]);
    expect(report.remaining).toEqual([]);
    expect(await d1Named("wfp-tenant-ghost")).toBeUndefined();
    expect(await kvTitled("wfp-tenant-ghost-cache")).toBeUndefined();
    expect(await routeValue("ghost.localhost")).toBeUndefined();
    expect(await customHostname("ghost.localhost")).toBeUndefined();
    expect((await settingsOf("tenant-alpha")).tags).toContain("wfp-tenant");
    expect((await doctor()).code).toBe(FLEET_EXIT.ok);
  });

  it("never prunes what a tenant with a record may use: an extra route record is reported, not deleted", async () => {
    const alphaRoute = await routeValue("registry.alpha.localhost");
    await writeRoute("old.alpha.localhost", { ...alphaRoute, script: "tenant-gone" });
    const { code, report } = await doctorJson("--fix", "--prune");
    expect(code).toBe(FLEET_EXIT.failure);
    expect(report.remaining).toEqual([expect.objectContaining({ tenant: "alpha", kind: "extra", fix: "manual" })]);
    expect(report.remaining?.[0]?.what).toContain("host:old.alpha.localhost, -> tenant-gone (no such script)");
    expect(await routeValue("old.alpha.localhost")).toBeDefined();
    await cf.kv.namespaces.values.delete("host:old.alpha.localhost", {
      ...account(),
      namespace_id: platform.routesNamespaceId,
    });
    expect((await doctor()).code).toBe(FLEET_EXIT.ok);
  });
});
