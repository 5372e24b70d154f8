/**
 * Concurrent runs of `tenant create` for the same tenant id, and a create racing a delete, against
 * the real local platform: they end with one complete tenant (or, for the race, one consistent
 * state a re-run of create converges from). docs/provisioner.md, "Concurrent runs", says how.
 */
import { spawn } from "node:child_process";
import { once } from "node:events";
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { hostname, tmpdir } from "node:os";
import { join } from "node:path";
import Cloudflare from "cloudflare";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { LocalPlatform } from "../../infra/local-platform/index.ts";
import { startInitialisedPlatform } from "../../scripts/lib/initialised-platform.ts";
import { createCloudflareClient } from "../../provisioner/src/cloudflare-client.ts";
import { readTargetSettings, resolveTarget } from "../../provisioner/src/config.ts";
import { StateConflictError } from "../../provisioner/src/errors.ts";
import { createTenant } from "../../provisioner/src/tenant.ts";
import { EXIT } from "../../provisioner/src/tenant-cli.ts";
import { requestTenant, runTenant } from "../../scripts/lib/tenant-traffic.ts";

let platform: LocalPlatform;
let stateDir: string;
let cf: Cloudflare;

beforeAll(async () => {
  stateDir = mkdtempSync(join(tmpdir(), "wfp-concurrent-create-"));
  platform = await startInitialisedPlatform({ port: 0, apiPort: 0, stateDir, hostnameActivationMs: 300 });
  cf = new Cloudflare({ apiToken: "local", baseURL: platform.apiUrl, maxRetries: 0 });
});
afterAll(async () => {
  await platform?.close();
  rmSync(stateDir, { recursive: true, force: true });
});

const migrationFiles = readdirSync(new URL("../../tenant-template/migrations/", import.meta.url)).filter((f) =>
  f.endsWith(".sql"),
);

interface RunJson {
  ok: boolean;
  adminKey?: string;
  adminKeyStatus?: "new" | "unchanged";
  changed?: boolean;
  steps?: Array<{ step: string; outcome: string; detail?: string }>;
  error?: { message: string; exitCode: number };
}

async function run(args: string[]): Promise<{ code: number; json: RunJson; stderr: string }> {
  const { code, stdout, stderr } = await runTenant(platform.apiUrl, [...args, "--json"]);
  return { code, json: JSON.parse(stdout) as RunJson, stderr };
}

const createOf = (id: string) => ["create", id, "--domain", `registry.${id}.localhost`, "--residency", "eu"];

/** How many of each resource is named after the tenant. */
async function resourcesOf(id: string) {
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
    d1: d1.result.filter((d) => d.name === `wfp-tenant-${id}`).map((d) => d.uuid!),
    kv: kv.result.filter((n) => n.title === `wfp-tenant-${id}-cache`).length,
    scripts: scripts.result.filter((s) => s.script.id === `tenant-${id}`).length,
    customHostnames: custom.result.filter((h) => h.hostname === `registry.${id}.localhost`).length,
    regionalHostnames: regional.result.filter((h) => h.hostname === `registry.${id}.localhost`).length,
    routingKeys: keys.result
      .map((k) => k.name)
      .filter((name) => name.includes(id))
      .sort(),
  };
}

/** d1_migrations as name -> how many rows carry it. */
async function migrationRows(databaseId: string): Promise<Record<string, number>> {
  const page = await cf.d1.database.query(databaseId, {
    account_id: platform.accountId,
    sql: "SELECT name, COUNT(*) AS n FROM d1_migrations GROUP BY name ORDER BY name",
  });
  const rows = (page.getPaginatedItems()[0]?.results ?? []) as Array<{ name: string; n: number }>;
  return Object.fromEntries(rows.map((r) => [r.name, r.n]));
}

const call = (id: string, method: string, path: string, headers: Record<string, string> = {}) =>
  requestTenant(platform.trafficUrl, `registry.${id}.localhost`, method, path, { headers });

/** Everything "one complete tenant" means, checked from the outside. */
async function expectOneCompleteTenant(id: string, adminKey: string): Promise<void> {
  const found = await resourcesOf(id);
  // No regional hostname for the tenant's own domain; its hostname points at the zone's EU target.
  expect(found).toMatchObject({ kv: 1, scripts: 1, customHostnames: 1, regionalHostnames: 0 });
  const target = await cf.addressing.regionalHostnames.get(`eu.${platform.zoneName}`, { zone_id: platform.zoneId });
  expect(target.region_key).toBe("eu");
  expect(found.routingKeys).toEqual([`host:registry.${id}.localhost`, `tenant:${id}`]);
  expect(found.d1).toHaveLength(1);
  expect(await migrationRows(found.d1[0]!)).toEqual(Object.fromEntries(migrationFiles.map((f) => [f, 1])));

  const show = await run(["show", id]);
  expect(show.json).toMatchObject({ ok: true, status: "active", complete: true, problems: [] });
  const health = await call(id, "GET", "/health");
  expect(health.status, health.body).toBe(200);
  expect(health.json()).toMatchObject({ tenantId: id });
  const products = await call(id, "GET", "/api/products", { authorization: `Bearer ${adminKey}` });
  expect(products.status, products.body).toBe(200);
  expect((await call(id, "GET", "/api/products", { authorization: "Bearer wfp_admin_wrong" })).status).toBe(401);
}

/** N creates of one tenant at once: all succeed, exactly one mints the admin key, the rest waited or adopted. */
async function concurrentCreates(id: string, n: number): Promise<void> {
  const runs = await Promise.all(Array.from({ length: n }, () => run(createOf(id))));
  for (const r of runs) expect(r.code, JSON.stringify(r.json.error ?? r.stderr)).toBe(EXIT.ok);
  const minted = runs.filter((r) => r.json.adminKeyStatus === "new");
  expect(minted).toHaveLength(1);
  const others = runs.filter((r) => r !== minted[0]);
  for (const r of others) {
    // It waited for the lease and then found a complete tenant (or came after it was done): a no-op.
    expect(r.json.adminKey).toBeUndefined();
    expect(r.json.changed).toBe(false);
    for (const lease of r.json.steps?.filter((s) => s.step === "lease") ?? []) {
      expect(lease).toMatchObject({ outcome: "waited", detail: expect.stringMatching(/^for create by pid \d+ on /) });
    }
  }
  await expectOneCompleteTenant(id, minted[0]!.json.adminKey!);
}

describe("concurrent tenant create of one tenant id", () => {
  it("two at once end with one complete tenant: one creates, the other waits and adopts", async () => {
    await concurrentCreates("twin", 2);
  });

  it("four at once end with one complete tenant", async () => {
    await concurrentCreates("quad", 4);
  });

  it("a create racing a delete leaves the tenant fully there or fully gone, and a re-run converges", async () => {
    const [created, deleted] = await Promise.all([run(createOf("race")), run(["delete", "race", "--yes"])]);
    expect(created.code, JSON.stringify(created.json.error)).toBe(EXIT.ok);
    // A delete that took the lease before the create had made anything finds no such tenant (exit 4).
    expect([EXIT.ok, EXIT.notFound], JSON.stringify(deleted.json.error)).toContain(deleted.code);
    const after = await resourcesOf("race");
    const gone = {
      d1: [],
      kv: 0,
      scripts: 0,
      customHostnames: 0,
      regionalHostnames: 0,
      routingKeys: [],
    };
    if (after.scripts === 0) expect(after).toEqual(gone);
    else await expectOneCompleteTenant("race", created.json.adminKey!);

    const again = await run(createOf("race"));
    expect(again.code, JSON.stringify(again.json.error)).toBe(EXIT.ok);
    const key = again.json.adminKey ?? created.json.adminKey!;
    await expectOneCompleteTenant("race", key);
  });

  it("a re-run of create racing a delete of a complete tenant ends fully there or fully gone", async () => {
    const first = await run(createOf("rerun"));
    expect(first.code, JSON.stringify(first.json.error)).toBe(EXIT.ok);
    const [again, deleted] = await Promise.all([run(createOf("rerun")), run(["delete", "rerun", "--yes"])]);
    expect(again.code, JSON.stringify(again.json.error)).toBe(EXIT.ok);
    expect(deleted.code, JSON.stringify(deleted.json.error)).toBe(EXIT.ok);
    const after = await resourcesOf("rerun");
    if (after.scripts === 0) {
      expect(after).toEqual({ d1: [], kv: 0, scripts: 0, customHostnames: 0, regionalHostnames: 0, routingKeys: [] });
    } else {
      // Delete went first: this create made a new tenant, with a new key.
      await expectOneCompleteTenant("rerun", again.json.adminKey!);
    }
    const last = await run(createOf("rerun"));
    expect(last.code, JSON.stringify(last.json.error)).toBe(EXIT.ok);
    await expectOneCompleteTenant("rerun", last.json.adminKey ?? again.json.adminKey!);
  });

  describe("lease keys of other runs", () => {
    /** A lease key as a run of tenant-lease.ts writes it. */
    const leaseKey = (id: string, token: string, entry: { host: string; pid: number; expiresAt: number }) =>
      cf.kv.namespaces.values.update(`lease:tenant:${id}:${token}`, {
        account_id: platform.accountId,
        namespace_id: platform.routesNamespaceId,
        value: "null",
        metadata: JSON.stringify({
          choosing: "0",
          ticket: "1",
          operation: "create",
          owner: `pid ${entry.pid} on ${entry.host}`,
          since: new Date().toISOString(),
          host: entry.host,
          pid: String(entry.pid),
          expiresAt: String(entry.expiresAt),
        }),
      });

    it("dead runs' keys hold nobody up: this process's finished run, a gone process, an expired key", async () => {
      const gone = spawn(process.execPath, ["-e", ""]);
      await once(gone, "exit");
      const inAMinute = Date.now() + 60_000;
      await leaseKey("ghost", "a-failed-run", { host: hostname(), pid: process.pid, expiresAt: inAMinute });
      await leaseKey("ghost", "b-gone-process", { host: hostname(), pid: gone.pid!, expiresAt: inAMinute });
      await leaseKey("ghost", "c-expired", { host: "elsewhere", pid: 1, expiresAt: Date.now() - 1 });

      const created = await run(createOf("ghost"));
      expect(created.code, JSON.stringify(created.json.error)).toBe(EXIT.ok);
      expect(created.json.steps?.map((s) => s.step)).not.toContain("lease");
      await expectOneCompleteTenant("ghost", created.json.adminKey!); // and no lease key is left
    });

    it(`a live run elsewhere is waited for, and past the wait the run stops with a conflict \
before any write`, async () => {
      await leaseKey("busy", "a-elsewhere", { host: "elsewhere", pid: 1, expiresAt: Date.now() + 60_000 });
      const settings = readTargetSettings({ CLOUDFLARE_API_BASE_URL: platform.apiUrl });
      const target = await resolveTarget(createCloudflareClient(settings), settings);
      const spec = { id: "busy", domains: ["registry.busy.localhost"], residency: "eu" as const };
      const refused = createTenant(spec, { target, lease: { maxWaitMs: 300, pollMs: 50 } });
      await expect(refused).rejects.toThrow(StateConflictError);
      await expect(refused).rejects.toThrow(/another create of tenant 'busy' \(pid 1 on elsewhere, since /);
      const left = await resourcesOf("busy");
      expect(left).toMatchObject({ d1: [], kv: 0, scripts: 0, customHostnames: 0 });
      expect(left.routingKeys).toEqual(["lease:tenant:busy:a-elsewhere"]); // its own key deleted, the holder's kept

      await cf.kv.namespaces.values.delete("lease:tenant:busy:a-elsewhere", {
        account_id: platform.accountId,
        namespace_id: platform.routesNamespaceId,
      });
      const created = await createTenant(spec, { target });
      await expectOneCompleteTenant("busy", created.adminKey!);
    });
  });
});
