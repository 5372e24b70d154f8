/**
 * Several registries per tenant (issue 15, part 1), through the CLI against the real local
 * platform (real workerd, the dispatcher, D1, KV): `registry create|list|delete`, each registry
 * isolated as a tenant is (its own Worker, D1 database, hostnames, keys), the default registry
 * keeping a tenant's names, `tenant list` and the fleet's commands treating each registry as a
 * unit. Each tenant is this file's own.
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Cloudflare from "cloudflare";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { LocalPlatform } from "../../infra/local-platform/index.ts";
import { FLEET_EXIT, runFleetCli } from "../../provisioner/src/fleet/fleet-cli.ts";
import { FLEET_COMMANDS } from "../../provisioner/src/fleet/fleet-commands.ts";
import { EXIT } from "../../provisioner/src/tenant-cli.ts";
import { startInitialisedPlatform } from "../../scripts/lib/initialised-platform.ts";
import { requestTenant, runTenant, untilStatus } from "../../scripts/lib/tenant-traffic.ts";

let platform: LocalPlatform;
let stateDir: string;
let cf: Cloudflare;

beforeAll(async () => {
  stateDir = mkdtempSync(join(tmpdir(), "wfp-registries-"));
  platform = await startInitialisedPlatform({ port: 0, apiPort: 0, stateDir, hostnameActivationMs: 300 });
  cf = new Cloudflare({ apiToken: "local", baseURL: platform.apiUrl, maxRetries: 0 });
});
afterAll(async () => {
  await platform?.close();
  rmSync(stateDir, { recursive: true, force: true });
});

const tenant = (args: string[]) => runTenant(platform.apiUrl, args);

async function fleet(...args: string[]) {
  let stdout = "";
  let stderr = "";
  const code = await runFleetCli(
    args,
    {
      stdout: (t) => (stdout += t),
      stderr: (t) => (stderr += t),
      env: { CLOUDFLARE_API_BASE_URL: platform.apiUrl },
    },
    FLEET_COMMANDS,
  );
  return { code, stdout, stderr };
}

const call = (host: string, method: string, path: string, key: string, body?: unknown) =>
  requestTenant(platform.trafficUrl, host, method, path, {
    headers: { authorization: `Bearer ${key}` },
    ...(body === undefined ? {} : { body }),
  });

async function productNames(host: string, key: string): Promise<string[]> {
  const page = await call(host, "GET", "/api/products", key);
  expect(page.status, page.body).toBe(200);
  return (page.json().items as Array<{ name: string }>).map((p) => p.name).sort();
}

async function databaseNames(): Promise<string[]> {
  const page = await cf.d1.database.list({ account_id: platform.accountId });
  return page.getPaginatedItems().map((d) => d.name ?? "");
}

async function scriptExists(name: string): Promise<boolean> {
  const tags = cf.workersForPlatforms.dispatch.namespaces.scripts.tags.list(name, {
    account_id: platform.accountId,
    dispatch_namespace: "tenants",
  });
  return tags.then(
    () => true,
    () => false,
  );
}

describe("two registries of one tenant", () => {
  it("each answers on its own domain with its own data and keys; list; delete one leaves the other", async () => {
    const prodHost = "registry.kalele.localhost";
    const stagingHost = "staging.kalele.localhost";
    // The tenant as today's command makes it: its default registry, with today's names.
    const made = await tenant(["create", "kalele", "--domain", prodHost, "--json"]);
    expect(made.code, made.stdout).toBe(EXIT.ok);
    const prod = JSON.parse(made.stdout) as { adminKey: string; resources: Record<string, { name: string }> };
    expect(prod.resources.d1?.name).toBe("wfp-tenant-kalele");
    expect(prod.resources.script?.name).toBe("tenant-kalele");

    const staged = await tenant(["registry", "create", "kalele", "staging", "--domain", stagingHost, "--json"]);
    expect(staged.code, staged.stdout).toBe(EXIT.ok);
    const staging = JSON.parse(staged.stdout) as typeof prod & { id: string };
    expect(staging.id).toBe("kalele:staging");
    expect(staging.resources.d1?.name).toBe("wfp-tenant-kalele_staging");
    expect(staging.resources.script?.name).toBe("tenant-kalele_staging");
    expect(staging.adminKey).not.toBe(prod.adminKey);

    // A re-run changes nothing and keeps the key (create's idempotence, reused).
    const again = await tenant(["registry", "create", "kalele", "staging", "--domain", stagingHost, "--json"]);
    expect(again.code, again.stdout).toBe(EXIT.ok);
    expect(JSON.parse(again.stdout)).toMatchObject({ changed: false, adminKeyStatus: "unchanged" });

    // Own data: a product written in one registry is not in the other.
    expect((await call(prodHost, "POST", "/api/products", prod.adminKey, { name: "Prod only" })).status).toBe(201);
    expect((await call(stagingHost, "POST", "/api/products", staging.adminKey, { name: "Staging only" })).status).toBe(
      201,
    );
    expect(await productNames(prodHost, prod.adminKey)).toEqual(["My Product", "Prod only"]);
    expect(await productNames(stagingHost, staging.adminKey)).toEqual(["My Product", "Staging only"]);

    // Own keys: each registry's admin key, and a key made for one by `keys create`, refused by the other.
    expect((await call(stagingHost, "GET", "/api/products", prod.adminKey)).status).toBe(401);
    expect((await call(prodHost, "GET", "/api/products", staging.adminKey)).status).toBe(401);
    const key = await tenant(["keys", "create", "kalele:staging", "--role", "read", "--json"]);
    expect(key.code, key.stdout).toBe(EXIT.ok);
    const readKey = (JSON.parse(key.stdout) as { key: string }).key;
    expect((await call(stagingHost, "GET", "/api/products", readKey)).status).toBe(200);
    expect((await call(prodHost, "GET", "/api/products", readKey)).status).toBe(401);

    // registry list: text and --json, the default registry first.
    const listed = await tenant(["registry", "list", "kalele", "--json"]);
    expect(listed.code, listed.stdout).toBe(EXIT.ok);
    expect(JSON.parse(listed.stdout)).toMatchObject({
      ok: true,
      tenant: "kalele",
      registries: [
        { id: "kalele", tenant: "kalele", registry: "default", status: "active", domains: [prodHost] },
        { id: "kalele:staging", tenant: "kalele", registry: "staging", status: "active", domains: [stagingHost] },
      ],
    });
    const text = (await tenant(["registry", "list", "kalele"])).stdout.split("\n");
    expect(text[0]).toMatch(/^ID\s+REGISTRY\s+STATUS/);
    expect(text[1]).toMatch(/^kalele\s+default\s+active/);
    expect(text[2]).toMatch(/^kalele:staging\s+staging\s+active/);

    // tenant list: each registry a row of its own, by its ref, with its tenant.
    expect((await tenant(["list"])).stdout).toMatch(/^kalele:staging {2}active {2}global/m);
    const all = JSON.parse((await tenant(["list", "--json"])).stdout) as { tenants: Array<Record<string, unknown>> };
    expect(all.tenants.filter((t) => t.tenant === "kalele")).toMatchObject([
      { id: "kalele", registry: "default" },
      { id: "kalele:staging", registry: "staging" },
    ]);

    // show takes the registry's ref.
    const shown = await tenant(["show", "kalele:staging", "--json"]);
    expect(shown.code, shown.stdout).toBe(EXIT.ok);
    expect(JSON.parse(shown.stdout)).toMatchObject({ id: "kalele:staging", complete: true });

    // The default registry (the tenant) is not deleted while it has another registry.
    const refused = await tenant(["delete", "kalele", "--yes", "--json"]);
    expect(refused.code, refused.stdout).toBe(EXIT.conflict);
    expect(JSON.parse(refused.stdout).error.message).toContain("kalele:staging");
    expect((await tenant(["registry", "delete", "kalele", "default", "--yes"])).code).toBe(EXIT.conflict);
    expect((await requestTenant(platform.trafficUrl, prodHost, "GET", "/health")).status).toBe(200);

    const backup = join(stateDir, "staging-export.json");
    const deleted = await tenant(["registry", "delete", "kalele", "staging", "--yes", "--backup", backup, "--json"]);
    expect(deleted.code, deleted.stdout).toBe(EXIT.ok);
    expect(JSON.parse(deleted.stdout)).toMatchObject({ ok: true, id: "kalele:staging", existed: true });
    // Its export, saved first through its own hostname, holds its data and not the other's.
    const exported = readFileSync(backup, "utf8");
    expect(exported).toContain("Staging only");
    expect(exported).not.toContain("Prod only");
    expect((await untilStatus(platform.trafficUrl, stagingHost, "/health", 404)).status).toBe(404);
    expect(await databaseNames()).not.toContain("wfp-tenant-kalele_staging");
    expect(await scriptExists("tenant-kalele_staging")).toBe(false);
    // The default registry is untouched, its data and key with it.
    expect(await productNames(prodHost, prod.adminKey)).toEqual(["My Product", "Prod only"]);
    expect(JSON.parse((await tenant(["registry", "list", "kalele", "--json"])).stdout).registries).toMatchObject([
      { id: "kalele" },
    ]);
    // Deleted already: exit 4.
    expect((await tenant(["registry", "delete", "kalele", "staging", "--yes"])).code).toBe(EXIT.notFound);
  }, 120_000);
});

describe("the default registry", () => {
  it("is a tenant created with today's command: listed as its default registry, nothing renamed", async () => {
    const made = await tenant(["create", "olden", "--domain", "registry.olden.localhost"]);
    expect(made.code, made.stderr).toBe(EXIT.ok);
    const listed = JSON.parse((await tenant(["registry", "list", "olden", "--json"])).stdout);
    expect(listed.registries).toMatchObject([{ id: "olden", tenant: "olden", registry: "default" }]);
    expect(await databaseNames()).toContain("wfp-tenant-olden");
    expect(await scriptExists("tenant-olden")).toBe(true);
    // Naming the default registry explicitly is the same registry: a no-op re-run of its create.
    const same = await tenant([
      "registry",
      "create",
      "olden",
      "default",
      "--domain",
      "registry.olden.localhost",
      "--json",
    ]);
    expect(same.code, same.stdout).toBe(EXIT.ok);
    expect(JSON.parse(same.stdout)).toMatchObject({ id: "olden", changed: false });
  }, 60_000);

  it("--all-registries deletes the tenant with every registry; a registry keeps its tenant's residency", async () => {
    const made = await tenant(["create", "whole", "--domain", "registry.whole.localhost", "--residency", "eu"]);
    expect(made.code, made.stderr).toBe(EXIT.ok);
    const dev = await tenant(["registry", "create", "whole", "dev", "--domain", "dev.whole.localhost"]);
    expect(dev.code, dev.stderr).toBe(EXIT.ok);
    // No --residency: the tenant's data stays where it chose (and its plan holds), unless told otherwise.
    const listed = JSON.parse((await tenant(["registry", "list", "whole", "--json"])).stdout);
    expect(listed.registries).toMatchObject([
      { id: "whole", residency: "eu" },
      { id: "whole:dev", residency: "eu" },
    ]);
    const deleted = await tenant(["delete", "whole", "--yes", "--all-registries", "--json"]);
    expect(deleted.code, deleted.stdout).toBe(EXIT.ok);
    expect(JSON.parse(deleted.stdout)).toMatchObject({ id: "whole", registries: [{ id: "whole:dev", existed: true }] });
    expect((await tenant(["registry", "list", "whole"])).code).toBe(EXIT.notFound);
    const names = await databaseNames();
    expect(names).not.toContain("wfp-tenant-whole");
    expect(names).not.toContain("wfp-tenant-whole_dev");
  }, 90_000);
});

describe("bad input", () => {
  it("an unknown tenant, a bad registry id, a taken domain: clear errors and exit codes", async () => {
    const ghost = await tenant(["registry", "create", "ghost", "staging", "--domain", "staging.ghost.localhost"]);
    expect(ghost.code).toBe(EXIT.notFound);
    expect(ghost.stderr).toContain("tenant 'ghost' does not exist: create it first");
    expect(await databaseNames()).not.toContain("wfp-tenant-ghost_staging");
    expect((await tenant(["registry", "list", "ghost"])).code).toBe(EXIT.notFound);
    expect((await tenant(["registry", "delete", "ghost", "staging", "--yes"])).code).toBe(EXIT.notFound);

    const bad = await tenant(["registry", "create", "ghost", "Bad_Id", "--domain", "x.ghost.localhost"]);
    expect(bad.code).toBe(EXIT.usage);
    expect(bad.stderr).toContain("registry id must be 1-19 characters");
    const long = await tenant(["registry", "create", "ghost", "a".repeat(20), "--domain", "x.ghost.localhost"]);
    expect(long.code).toBe(EXIT.usage);
    expect((await tenant(["show", "ghost:Nope"])).code).toBe(EXIT.usage);
    const viaCreate = await tenant(["create", "ghost:staging", "--domain", "x.ghost.localhost"]);
    expect(viaCreate.code).toBe(EXIT.usage);
    expect(viaCreate.stderr).toContain("registry create ghost staging");
    expect((await tenant(["registry", "create", "ghost"])).code).toBe(EXIT.usage);

    expect((await tenant(["create", "owner", "--domain", "registry.owner.localhost"])).code).toBe(EXIT.ok);
    const taken = await tenant([
      "registry",
      "create",
      "owner",
      "copy",
      "--domain",
      "registry.owner.localhost",
      "--json",
    ]);
    expect(taken.code, taken.stdout).toBe(EXIT.conflict);
    expect(JSON.parse(taken.stdout).error.message).toContain("already routed to tenant 'owner'");
    expect(await databaseNames()).not.toContain("wfp-tenant-owner_copy");
  }, 90_000);
});

describe("fleet commands", () => {
  it("count each registry as a unit, by its ref; doctor finds no orphan in a registry", async () => {
    expect((await tenant(["create", "fleety", "--domain", "registry.fleety.localhost"])).code).toBe(EXIT.ok);
    const qa = await tenant(["registry", "create", "fleety", "qa", "--domain", "qa.fleety.localhost"]);
    expect(qa.code, qa.stderr).toBe(EXIT.ok);

    const status = await fleet("status", "--json");
    const report = JSON.parse(status.stdout) as { problems: string[]; tenants: number };
    expect(report.problems.filter((p) => p.startsWith("fleety"))).toEqual([]);

    // A rollout plans each registry on its own, its migrations read from its own database.
    const plan = await fleet("rollout", "--dry-run", "--canary-tenants", "fleety:qa", "--json");
    expect(plan.code, plan.stderr).toBe(FLEET_EXIT.ok);
    const planned = (JSON.parse(plan.stdout) as { plan: { tenants: Array<{ tenantId: string }> } }).plan;
    expect(planned.tenants.map((t) => t.tenantId)).toEqual(expect.arrayContaining(["fleety", "fleety:qa"]));

    const doctor = await fleet("doctor", "--json");
    const drift = (JSON.parse(doctor.stdout) as { drift: Array<{ tenant: string; kind: string }> }).drift;
    expect(drift.filter((d) => d.kind === "orphan")).toEqual([]);
    expect(drift.filter((d) => d.tenant.startsWith("fleety") && d.kind !== "hostname-not-active")).toEqual([]);
    expect([FLEET_EXIT.ok, FLEET_EXIT.failure]).toContain(doctor.code);
  }, 120_000);
});
