/**
 * One tenant's whole life through the CLI, against the real local platform (real workerd, D1,
 * KV): create, re-create (a no-op that keeps the admin key), show, list, a refused hostname
 * takeover, an interrupted create whose re-run mints a new key, delete, and delete again.
 * (Two tenants side by side and a fault at every API call are tests/e2e's job.)
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Cloudflare from "cloudflare";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FaultPlanSchema } from "../../infra/local-platform/faults.ts";
import type { LocalPlatform } from "../../infra/local-platform/index.ts";
import { startInitialisedPlatform } from "../../scripts/lib/initialised-platform.ts";
import { hashKey } from "../../contracts/api-key.ts";
import { EXIT } from "../../provisioner/src/tenant-cli.ts";
import { requestTenant, runTenant, untilStatus } from "../../scripts/lib/tenant-traffic.ts";

let platform: LocalPlatform;
let stateDir: string;
let cf: Cloudflare;

beforeAll(async () => {
  stateDir = mkdtempSync(join(tmpdir(), "wfp-provisioner-"));
  platform = await startInitialisedPlatform({ port: 0, apiPort: 0, stateDir, hostnameActivationMs: 300 });
  cf = new Cloudflare({ apiToken: "local", baseURL: platform.apiUrl, maxRetries: 0 });
});
afterAll(async () => {
  await platform?.close();
  rmSync(stateDir, { recursive: true, force: true });
});

const tenant = (args: string[], env: Record<string, string> = {}) => runTenant(platform.apiUrl, args, env);

/** GET a path on the traffic port with a tenant's Host header (what `*.localhost` does in a browser). */
const get = (host: string, path: string) => requestTenant(platform.trafficUrl, host, "GET", path);

interface CreateJson {
  ok: boolean;
  changed: boolean;
  adminKey?: string;
  adminKeyStatus: "new" | "unchanged";
  templateTag: string;
  steps: Array<{ step: string; outcome: string }>;
  resources: {
    d1: { name: string; id: string; jurisdiction: string | null };
    regionalHostnames: Array<{ hostname: string; regionKey: string }>;
    customHostnames: Array<{ hostname: string; status: string }>;
    routes: Array<{ hostname: string; record?: { tenantId: string; script: string } }>;
  };
  dns: { records: Array<{ type: string; name: string; value: string }> };
  residency: {
    residency: string;
    d1Jurisdiction: string;
    notes: string[];
    bestEffort: string[];
    nonGuarantees: string[];
  };
}

async function namedAfter(fragment: string) {
  const [d1, kv, scripts, custom, regional, keys] = await Promise.all([
    cf.d1.database.list({ account_id: platform.accountId }),
    cf.kv.namespaces.list({ account_id: platform.accountId, per_page: 1000 }),
    cf.get<{ result: Array<{ script: { id: string } }> }>(
      `/accounts/${platform.accountId}/workers/dispatch/namespaces/${platform.dispatchNamespace}/scripts`,
    ),
    cf.customHostnames.list({ zone_id: platform.zoneId, per_page: 1000 }),
    cf.addressing.regionalHostnames.list({ zone_id: platform.zoneId }),
    cf.kv.namespaces.keys.list(platform.routesNamespaceId, { account_id: platform.accountId }),
  ]);
  return {
    d1: d1.result.filter((d) => d.name?.includes(fragment)).length,
    kv: kv.result.filter((n) => n.title.includes(fragment)).length,
    scripts: scripts.result.filter((s) => s.script.id.includes(fragment)).length,
    customHostnames: custom.result.filter((h) => h.hostname.includes(fragment)).length,
    regionalHostnames: regional.result.filter((h) => h.hostname.includes(fragment)).length,
    routingKeys: keys.result.filter((k) => k.name.includes(fragment)).length,
  };
}

describe("tenant lifecycle through the CLI", () => {
  const domains = ["registry.acme.localhost", "schemas.acme.localhost"];
  const createArgs = ["create", "acme", ...domains.flatMap((d) => ["--domain", d]), "--residency", "uk"];
  let adminKey: string;

  it("creates a uk tenant: EU database, hostnames pointed at the UK regional target, the admin key once", async () => {
    const human = await tenant(createArgs);
    expect(human.code, human.stderr).toBe(EXIT.ok);
    expect(human.stdout).toMatch(
      /^✓ D1 database wfp-tenant-acme \(created, jurisdiction eu, read replication disabled\) \d+\.\ds$/m,
    );
    expect(human.stdout).toMatch(/^✓ Worker tenant-acme \(created, tpl-[0-9a-f]{12}, new admin key\) \d+\.\ds$/m);
    expect(human.stdout).toMatch(/^✓ Route host:registry\.acme\.localhost \(written, -> tenant-acme, plan standard\)/m);
    expect(human.stdout).toContain("D1 has no UK jurisdiction");
    expect(human.stdout).toMatch(/^✓ Regional CNAME target uk\.platform\.localhost \((created|adopted), region gb /m);
    expect(human.stdout).toContain("DNS records the tenant must add:");
    expect(human.stdout).toMatch(/CNAME registry\.acme\.localhost -> uk\.platform\.localhost/);
    const key = /^ {2}(wfp_admin_\S+)$/m.exec(human.stdout)?.[1];
    expect(key).toBeDefined();
    adminKey = key!;
    expect(human.stdout.split(adminKey)).toHaveLength(2); // printed exactly once

    const health = await get("registry.acme.localhost", "/health");
    expect(health.status).toBe(200);
    expect(JSON.parse(health.body)).toMatchObject({ tenantId: "acme", residency: "uk" });
    expect((await get("schemas.acme.localhost", "/health")).status).toBe(200);
  });

  it("re-running create changes nothing and keeps the admin key", async () => {
    const { code, stdout, stderr } = await tenant([...createArgs, "--json"]);
    expect(code, stderr).toBe(EXIT.ok);
    const result = JSON.parse(stdout) as CreateJson;
    expect(result.changed).toBe(false);
    expect(result.adminKeyStatus).toBe("unchanged");
    expect(result.adminKey).toBeUndefined();
    expect(result.steps.map((s) => s.outcome)).not.toContain("created");
    expect(result.steps.map((s) => s.outcome)).not.toContain("written");
    expect(result.resources.d1).toMatchObject({ name: "wfp-tenant-acme", jurisdiction: "eu" });
    // One regional hostname, in the SaaS zone: the target the tenant's hostnames point at.
    expect(result.resources.regionalHostnames).toEqual([
      expect.objectContaining({ hostname: "uk.platform.localhost", regionKey: "gb" }),
    ]);
    expect(result.dns.records.filter((r) => r.type === "CNAME" && r.name.startsWith("registry."))).toEqual([
      expect.objectContaining({ name: "registry.acme.localhost", value: "uk.platform.localhost" }),
    ]);
    expect(result.residency).toMatchObject({ residency: "uk", d1Jurisdiction: "eu", bestEffort: [] });
    // Locally nothing is placed anywhere, and create says so.
    expect(result.residency.notes.join(" ")).toContain("On the local platform residency is simulated");
    expect(result.dns.records.filter((r) => r.type === "TXT").map((r) => r.name)).toContain(
      "_cf-custom-hostname.registry.acme.localhost",
    );
    expect(await namedAfter("acme")).toEqual({
      d1: 1,
      kv: 1,
      scripts: 1,
      customHostnames: 2,
      regionalHostnames: 0, // none for the tenant's own domains (outside the zone: Cloudflare refuses them)
      routingKeys: 3, // two host: routes and the tenant record
    });
  });

  it("the key is the one the Worker holds", async () => {
    const settings = await cf.get<{ result: Array<{ name: string; type: string }> }>(
      `/accounts/${platform.accountId}/workers/dispatch/namespaces/${platform.dispatchNamespace}` +
        `/scripts/tenant-acme/secrets`,
    );
    expect(settings.result).toEqual([
      { name: "ADMIN_KEY_HASH", type: "secret_text" },
      { name: "DISPATCH_PROOF", type: "secret_text" },
    ]);
    const record = await cf.kv.namespaces.values.get("tenant:acme", {
      account_id: platform.accountId,
      namespace_id: platform.routesNamespaceId,
    });
    expect(JSON.parse(await record.text())).toMatchObject({ status: "active", adminKeyHash: await hashKey(adminKey) });
  });

  it("shows and lists the tenant", async () => {
    const show = await tenant(["show", "acme", "--json"]);
    expect(show.code, show.stderr).toBe(EXIT.ok);
    expect(JSON.parse(show.stdout)).toMatchObject({
      ok: true,
      id: "acme",
      status: "active",
      complete: true,
      problems: [],
    });
    const human = await tenant(["show", "acme"]);
    expect(human.stdout).toMatch(/^Tenant acme: active, complete$/m);

    const list = await tenant(["list", "--json"]);
    expect(JSON.parse(list.stdout)).toMatchObject({
      ok: true,
      tenants: [{ id: "acme", status: "active", residency: "uk", plan: "standard", kvMode: "dedicated", domains }],
    });
    expect((await tenant(["list"])).stdout).toMatch(
      /^acme {2}active {2}uk {9}standard {2}dedicated {2}registry\.acme\.localhost, schemas\.acme\.localhost$/m,
    );
  });

  it("refuses another tenant's hostname before any write", async () => {
    const before = await namedAfter("globex");
    const { code, stdout } = await tenant(["create", "globex", "--domain", "Registry.Acme.localhost", "--json"]);
    expect(code).toBe(EXIT.conflict);
    expect(JSON.parse(stdout).error.message).toMatch(/'registry\.acme\.localhost' is already routed to tenant 'acme'/);
    expect(await namedAfter("globex")).toEqual(before);
  });

  it("refuses to change an existing tenant's residency in place", async () => {
    const { code, stderr } = await tenant([
      "create",
      "acme",
      ...domains.flatMap((d) => ["--domain", d]),
      "--residency",
      "eu",
    ]);
    expect(code).toBe(EXIT.conflict);
    expect(stderr).toMatch(/residency is uk and cannot change in place/);
  });

  it("an interrupted create is finished by a re-run, with a new admin key", async () => {
    // Fail every call from the 12th on, with retries off: the run stops part-way.
    platform.faults.set(FaultPlanSchema.parse({ failFrom: 12, status: 500 }));
    const broken = await tenant(["create", "initech", "--domain", "registry.initech.localhost", "--residency", "eu"], {
      WFP_API_MAX_ATTEMPTS: "1",
    });
    platform.faults.clear();
    expect(broken.code).toBe(EXIT.failure);
    expect(broken.stderr).toMatch(/safe to re-run/);
    expect(broken.stdout).not.toMatch(/wfp_admin_/);
    expect((await tenant(["show", "initech", "--json"])).stdout).toMatch(/"complete": false/);

    const fixed = await tenant(["create", "initech", "--domain", "registry.initech.localhost", "--json"]);
    expect(fixed.code, fixed.stderr).toBe(EXIT.ok);
    const result = JSON.parse(fixed.stdout) as CreateJson;
    expect(result.adminKeyStatus).toBe("new");
    expect(result.adminKey).toMatch(/^wfp_admin_/);
    expect(result.residency.residency).toBe("eu"); // taken from the tenant record
    expect((await get("registry.initech.localhost", "/health")).status).toBe(200);
    expect(await namedAfter("initech")).toMatchObject({
      d1: 1,
      kv: 1,
      scripts: 1,
      customHostnames: 1,
      regionalHostnames: 0,
    });
  });

  it("deletes everything, in reverse order, and a second delete is a no-op", async () => {
    const { code, stdout } = await tenant(["delete", "acme", "--yes"]);
    expect(code).toBe(EXIT.ok);
    const order = [...stdout.matchAll(/^✓ (\S+ ?\S*)/gm)].map((m) => m[1]);
    expect(order).toEqual([
      "Route host:registry.acme.localhost",
      "Route host:schemas.acme.localhost",
      "Custom hostname",
      "Custom hostname",
      "Worker tenant-acme",
      "KV namespace",
      "D1 database",
      "Tenant record",
    ]);
    expect(stdout).toContain("Tenant acme is deleted");
    expect(await namedAfter("acme")).toEqual({
      d1: 0,
      kv: 0,
      scripts: 0,
      customHostnames: 0,
      regionalHostnames: 0,
      routingKeys: 0,
    });
    // Once the dispatcher's cached route for it has expired.
    expect((await untilStatus(platform.trafficUrl, "registry.acme.localhost", "/health", 404)).status).toBe(404);

    // A tenant of which nothing exists is "no such tenant" (exit 4), with no step printed.
    const again = await tenant(["delete", "acme", "--yes", "--json"]);
    expect(again.code).toBe(EXIT.notFound);
    expect(JSON.parse(again.stdout)).toMatchObject({ ok: false, error: { exitCode: 4 }, steps: [] });
    const human = await tenant(["delete", "acme", "--yes"]);
    expect(human.stderr).toContain("tenant 'acme' does not exist");
    expect(human.stdout).not.toContain("already gone");

    const show = await tenant(["show", "acme"]);
    expect(show.code).toBe(EXIT.notFound);

    expect((await tenant(["delete", "initech", "--yes"])).code).toBe(EXIT.ok);
    expect(JSON.parse((await tenant(["list", "--json"])).stdout)).toEqual({ ok: true, command: "list", tenants: [] });
  });
});
