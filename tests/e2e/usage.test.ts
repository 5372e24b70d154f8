/**
 * Usage per tenant end to end, through the local platform (real workerd, D1, KV, HTTP): the
 * dispatcher's Analytics Engine data points (route templates, never raw paths), the SQL API's
 * supported subset and its refusals, `npm run fleet -- usage` (text and --json, bad input), and the
 * monthly quota's 429 with its reset.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { LocalPlatform } from "../../infra/local-platform/index.ts";
import { startInitialisedPlatform } from "../../scripts/lib/initialised-platform.ts";
import { EXIT } from "../../provisioner/src/tenant-cli.ts";
import { FLEET_EXIT, runFleetCli } from "../../provisioner/src/fleet/fleet-cli.ts";
import { FLEET_COMMANDS } from "../../provisioner/src/fleet/fleet-commands.ts";
import { createCloudflareClient } from "../../provisioner/src/cloudflare-client.ts";
import { readTargetSettings, resolveTarget, type Target } from "../../provisioner/src/config.ts";
import { enforceQuotas } from "../../provisioner/src/usage/quota-enforcement.ts";
import { runAnalyticsSql } from "../../provisioner/src/usage/usage-report.ts";
import { requestTenant, runTenant } from "../../scripts/lib/tenant-traffic.ts";

let platform: LocalPlatform;
let stateDir: string;
let target: Target;
const auth: Record<string, Record<string, string>> = {};

const HOSTS = { usea: "registry.usea.localhost", useb: "registry.useb.localhost" } as const;
const STAGING = "staging.usea.localhost";

async function fleet(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = "";
  let stderr = "";
  const code = await runFleetCli(
    args,
    { stdout: (t) => (stdout += t), stderr: (t) => (stderr += t), env: { CLOUDFLARE_API_BASE_URL: platform.apiUrl } },
    FLEET_COMMANDS,
  );
  return { code, stdout, stderr };
}

async function sql(query: string): Promise<Response> {
  return fetch(`${platform.apiUrl}/accounts/${platform.accountId}/analytics_engine/sql`, {
    method: "POST",
    headers: { authorization: "Bearer local" },
    body: query,
  });
}

/** Points are written after each answer (waitUntil): wait until the store has `count` of a tenant's. */
async function pointsOf(tenant: string, count: number): Promise<number> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const { data } = await runAnalyticsSql(
      target,
      `SELECT count() AS n FROM wfp_usage WHERE index1 = '${tenant}' FORMAT JSON`,
    );
    const n = Number(data[0]?.n ?? 0);
    if (n >= count || Date.now() > deadline) return n;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

beforeAll(async () => {
  stateDir = mkdtempSync(join(tmpdir(), "wfp-e2e-usage-"));
  platform = await startInitialisedPlatform({ port: 0, apiPort: 0, stateDir, hostnameActivationMs: 200 });
  const settings = readTargetSettings({ CLOUDFLARE_API_BASE_URL: platform.apiUrl });
  target = await resolveTarget(
    createCloudflareClient({ baseURL: settings.baseURL, apiToken: settings.apiToken }),
    settings,
  );
  for (const [id, host] of Object.entries(HOSTS)) {
    const created = await runTenant(platform.apiUrl, ["create", id, "--domain", host, "--json"]);
    expect(created.code, created.stderr).toBe(EXIT.ok);
    auth[id] = { authorization: `Bearer ${(JSON.parse(created.stdout) as { adminKey: string }).adminKey}` };
  }
  // A second registry of usea: its own unit in the figures, under usea's index.
  const staging = await runTenant(platform.apiUrl, [
    "registry",
    "create",
    "usea",
    "staging",
    "--domain",
    STAGING,
    "--json",
  ]);
  expect(staging.code, staging.stderr).toBe(EXIT.ok);
  auth.staging = { authorization: `Bearer ${(JSON.parse(staging.stdout) as { adminKey: string }).adminKey}` };
}, 240_000);

afterAll(async () => {
  await platform?.close();
  rmSync(stateDir, { recursive: true, force: true });
});

describe("data points", () => {
  it("one per request, with the route template, status class and method, never the raw path", async () => {
    const a = HOSTS.usea;
    expect((await requestTenant(platform.trafficUrl, a, "GET", "/subjects", { headers: auth.usea! })).status).toBe(200);
    const missing = await requestTenant(platform.trafficUrl, a, "GET", "/subjects/secret-orders-value/versions/7", {
      headers: auth.usea!,
    });
    expect(missing.status).toBe(404);
    expect((await requestTenant(platform.trafficUrl, a, "GET", "/no/such/thing-secret")).status).toBe(401);
    expect(await pointsOf("usea", 3)).toBe(3);

    const reply = await sql(
      "SELECT index1, blob1, blob2, blob3, blob4, blob5, double1, double2, timestamp FROM wfp_usage " +
        "WHERE index1 = 'usea' ORDER BY timestamp, blob3 FORMAT JSON",
    );
    expect(reply.status).toBe(200);
    const body = (await reply.json()) as { meta: { name: string; type: string }[]; data: Record<string, unknown>[] };
    expect(body.meta).toContainEqual({ name: "timestamp", type: "DateTime" });
    expect(body.meta).toContainEqual({ name: "double1", type: "Float64" });
    const routes = body.data.map((p) => [p.blob3, p.blob4, p.double2]);
    expect(routes).toEqual(
      expect.arrayContaining([
        ["/subjects", "2xx", 200],
        ["/subjects/{subject}/versions/{version}", "4xx", 404],
        ["(other)", "4xx", 401],
      ]),
    );
    for (const point of body.data) {
      expect(point).toMatchObject({ index1: "usea", blob1: "usea", blob2: "default", blob5: "GET" });
      expect(point.double1).toBeGreaterThanOrEqual(0);
      expect(String(point.timestamp)).toMatch(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/);
    }
    expect(JSON.stringify(body)).not.toMatch(/secret/);
  });

  it("a second registry's requests carry its registry id, under its tenant's index", async () => {
    const reply = await requestTenant(platform.trafficUrl, STAGING, "GET", "/subjects", { headers: auth.staging! });
    expect(reply.status, reply.body).toBe(200);
    const deadline = Date.now() + 10_000;
    let rows: Record<string, unknown>[] = [];
    while (rows.length === 0 && Date.now() < deadline) {
      ({ data: rows } = await runAnalyticsSql(
        target,
        "SELECT index1, blob1, blob2, blob3 FROM wfp_usage WHERE blob2 = 'staging' FORMAT JSON",
      ));
      if (rows.length === 0) await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(rows).toEqual([{ index1: "usea", blob1: "usea", blob2: "staging", blob3: "/subjects" }]);
  });

  it("none for an unknown host (no tenant to count it against)", async () => {
    const before = await pointsOf("nobody", 0);
    expect((await requestTenant(platform.trafficUrl, "unknown.localhost", "GET", "/subjects")).status).toBe(404);
    const { data } = await runAnalyticsSql(target, "SELECT count() AS n FROM wfp_usage WHERE blob1 = '' FORMAT JSON");
    expect(Number(data[0]?.n)).toBe(0);
    expect(before).toBe(0);
  });
});

describe("the SQL API", () => {
  it("answers aggregates grouped, ordered and limited, in Cloudflare's {meta, data, rows}", async () => {
    for (let i = 0; i < 4; i++)
      await requestTenant(platform.trafficUrl, HOSTS.useb, "GET", "/subjects", { headers: auth.useb! });
    expect(await pointsOf("useb", 4)).toBeGreaterThanOrEqual(4);
    const reply = await sql(
      "SELECT blob1 AS tenant, SUM(_sample_interval) AS requests, countIf(double2 >= 400) AS errors, " +
        "quantileExactWeighted(0.5)(double1, _sample_interval) AS p50, avg(double1) AS mean " +
        "FROM wfp_usage WHERE timestamp > NOW() - INTERVAL '1' DAY AND index1 IN ('usea', 'useb') " +
        "GROUP BY tenant ORDER BY requests DESC LIMIT 1",
    );
    expect(reply.status).toBe(200);
    const body = (await reply.json()) as { meta: unknown[]; data: Record<string, unknown>[]; rows: number };
    expect(body.rows).toBe(1);
    expect(body.meta).toEqual([
      { name: "tenant", type: "String" },
      { name: "requests", type: "UInt64" },
      { name: "errors", type: "UInt64" },
      { name: "p50", type: "Float64" },
      { name: "mean", type: "Float64" },
    ]);
    expect(body.data[0]).toMatchObject({ tenant: "useb", errors: 0 });
    expect(Number(body.data[0]!.requests)).toBeGreaterThanOrEqual(4);
  });

  it("refuses what it does not support, and bad SQL, with 400 in the API's error envelope", async () => {
    for (const query of [
      "DELETE FROM wfp_usage",
      "SELECT * FROM wfp_usage",
      "SELECT uniq(blob1) FROM wfp_usage",
      "SELECT blob99 FROM wfp_usage",
      "SELECT blob1 FROM wfp_usage; DROP TABLE points",
      "SELECT blob1 FROM wfp_usage FORMAT CSV",
      "",
    ]) {
      const reply = await sql(query);
      expect(reply.status, query).toBe(400);
      const body = (await reply.json()) as { success: boolean; errors: { code: number; message: string }[] };
      expect(body.success).toBe(false);
      expect(body.errors[0]?.message.length).toBeGreaterThan(0);
    }
    // The store is intact.
    expect(await pointsOf("usea", 3)).toBeGreaterThanOrEqual(3);
  });
});

describe("npm run fleet -- usage", () => {
  it("prints requests, errors, latency and database size per tenant and route", async () => {
    const run = await fleet(["usage"]);
    expect(run.code, run.stderr).toBe(FLEET_EXIT.ok);
    expect(run.stdout).toMatch(/^Usage since \d{4}-\d{2}-01T00:00:00\.000Z/);
    expect(run.stdout).toMatch(/^usea\s+\d+\s+2\s+0\s+[\d.]+\s+[\d.]+\s+[\d.]+ KB$/m);
    expect(run.stdout).toMatch(/^ {2}\/subjects\/\{subject\}\/versions\/\{version\}\s+1\s+1\s+0/m);
    // Each registry is a unit, named by its ref as tenant list names it.
    expect(run.stdout).toMatch(/^usea:staging\s+1\s+0\s+0\s+[\d.]+\s+[\d.]+\s+[\d.]+ KB$/m);
    expect(run.stdout).not.toContain("secret");
  });

  it("--json for one tenant: its figures only, with its database size", async () => {
    const run = await fleet(["usage", "--tenant", "useb", "--since", "1h", "--json"]);
    expect(run.code, run.stderr).toBe(FLEET_EXIT.ok);
    const report = JSON.parse(run.stdout) as {
      ok: boolean;
      tenants: { tenantId: string; requests: number; databaseBytes: number; routes: { route: string }[] }[];
    };
    expect(report.ok).toBe(true);
    expect(report.tenants.map((t) => t.tenantId)).toEqual(["useb"]);
    expect(report.tenants[0]!.requests).toBeGreaterThanOrEqual(4);
    expect(report.tenants[0]!.databaseBytes).toBeGreaterThan(0);
    expect(report.tenants[0]!.routes.map((r) => r.route)).toContain("/subjects");
  });

  it("refuses bad input with exit 2 and says what is accepted", async () => {
    for (const [args, message] of [
      [["usage", "--since", "yesterday"], /--since 'yesterday' is not a time: give a date/],
      [["usage", "--since", "2020-01-01"], /more than 92 days ago/],
      [["usage", "--since", "2999-01-01"], /in the future/],
      [["usage", "--tenant", "Not_A_Tenant"], /is not a tenant id/],
    ] as const) {
      const run = await fleet([...args]);
      expect(run.code, args.join(" ")).toBe(FLEET_EXIT.usage);
      expect(run.stderr).toMatch(message);
    }
    const help = await fleet(["usage", "--help"]);
    expect(help.code).toBe(FLEET_EXIT.ok);
    expect(help.stdout).toContain("--enforce");
  });
});

describe("GET /api/usage", () => {
  it("answers a tenant's admin its own figures as last published, and nothing of another tenant's", async () => {
    const before = await requestTenant(platform.trafficUrl, HOSTS.usea, "GET", "/api/usage", { headers: auth.usea! });
    expect(before.status, before.body).toBe(200);
    expect(before.json()).toMatchObject({ publishedAt: null, requests: 0, routes: [] });

    const run = await fleet(["usage", "--publish", "--json"]);
    expect(run.code, run.stderr).toBe(FLEET_EXIT.ok);
    const { published, tenants } = JSON.parse(run.stdout) as {
      published: { ref: string; outcome: string }[];
      tenants: { ref: string; requests: number; routes: { route: string; requests: number }[] }[];
    };
    const reported = (ref: string) => tenants.find((t) => t.ref === ref)!;
    expect(published).toEqual(
      expect.arrayContaining([
        { ref: "usea", outcome: "published" },
        { ref: "useb", outcome: "published" },
      ]),
    );

    const a = await requestTenant(platform.trafficUrl, HOSTS.usea, "GET", "/api/usage", { headers: auth.usea! });
    const b = await requestTenant(platform.trafficUrl, HOSTS.useb, "GET", "/api/usage", { headers: auth.useb! });
    expect(a.status).toBe(200);
    const usea = a.json() as {
      requests: number;
      routes: { route: string }[];
      databaseBytes: number;
      publishedAt: string;
    };
    const useb = b.json() as { requests: number; routes: { route: string }[] };
    expect(usea.publishedAt).toMatch(/^\d{4}-/);
    expect(usea.databaseBytes).toBeGreaterThan(0);
    expect(usea.routes.map((r) => r.route)).toContain("/subjects/{subject}/versions/{version}");
    // useb never asked for a subject's version: that route is usea's alone.
    expect(useb.routes.map((r) => r.route)).not.toContain("/subjects/{subject}/versions/{version}");
    // Each answers exactly its own line of the operator's report, route by route.
    for (const [id, own] of [
      ["usea", usea],
      ["useb", useb],
    ] as const) {
      expect(own.requests, id).toBe(reported(id).requests);
      expect(own.routes, id).toEqual(reported(id).routes.map((r) => expect.objectContaining(r)));
    }
    expect(a.body).not.toContain("useb");
    expect(b.body).not.toContain("usea");

    // Another tenant's admin key, and no key, are refused on usea's host.
    const foreign = await requestTenant(platform.trafficUrl, HOSTS.usea, "GET", "/api/usage", { headers: auth.useb! });
    expect(foreign.status).toBe(401);
    expect((await requestTenant(platform.trafficUrl, HOSTS.usea, "GET", "/api/usage")).status).toBe(401);
  });

  it("is refused to a key without the admin role", async () => {
    const key = await requestTenant(platform.trafficUrl, HOSTS.useb, "POST", "/api/keys", {
      headers: auth.useb!,
      body: { role: "read", description: "usage reader" },
    });
    expect(key.status, key.body).toBe(201);
    const secret = (key.json() as { key: string }).key;
    const reply = await requestTenant(platform.trafficUrl, HOSTS.useb, "GET", "/api/usage", {
      headers: { authorization: `Bearer ${secret}` },
    });
    expect(reply.status).toBe(403);
  });
});

describe("the monthly quota", () => {
  it("past it the dispatcher answers 429 quota_exceeded until the next month, in each API's shape", async () => {
    const now = Date.now();
    const month = await runAnalyticsSql(
      target,
      "SELECT blob1 AS tenant, SUM(_sample_interval) AS requests FROM wfp_usage GROUP BY tenant",
    );
    const counts = new Map(month.data.map((r) => [String(r.tenant), Number(r.requests)]));
    // A quota of 3 requests for the standard plan: usea (3+ requests) is past it, useb too.
    const decisions = await enforceQuotas(target, new Map([["usea", counts.get("usea") ?? 0]]), now, (plan) =>
      plan === "standard" ? 3 : 1_000_000,
    );
    const d = new Date(now);
    const reset = new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1)).toISOString();
    expect(decisions).toEqual([
      expect.objectContaining({ tenantId: "usea", plan: "standard", exceededUntil: reset, hostsUpdated: 1 }),
    ]);
    // Applied once: a second run has nothing to write.
    const again = await enforceQuotas(target, new Map([["usea", 10]]), now, () => 3);
    expect(again[0]?.hostsUpdated).toBe(0);

    // The route cache holds a record up to 10 s.
    const deadline = Date.now() + 15_000;
    let confluent = await requestTenant(platform.trafficUrl, HOSTS.usea, "GET", "/subjects", { headers: auth.usea! });
    while (confluent.status !== 429 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 250));
      confluent = await requestTenant(platform.trafficUrl, HOSTS.usea, "GET", "/subjects", { headers: auth.usea! });
    }
    expect(confluent.status).toBe(429);
    expect(confluent.headers["content-type"]).toContain("application/vnd.schemaregistry.v1+json");
    expect(confluent.json()).toEqual({ error_code: 429, message: expect.stringContaining(reset) });
    const retryAfter = Number(confluent.headers["retry-after"]);
    expect(Math.abs(retryAfter - (Date.parse(reset) - Date.now()) / 1000)).toBeLessThan(5);
    expect(confluent.headers["x-quota-reset"]).toBe(reset);

    const api = await requestTenant(platform.trafficUrl, HOSTS.usea, "GET", "/api/products", { headers: auth.usea! });
    expect(api.status).toBe(429);
    expect(api.json()).toMatchObject({ error: { code: "quota_exceeded" } });

    // Another tenant is untouched.
    const other = await requestTenant(platform.trafficUrl, HOSTS.useb, "GET", "/subjects", { headers: auth.useb! });
    expect(other.status).toBe(200);
  });

  it("a reset instant in the past is ignored: the tenant is served again when the month turns", async () => {
    const host = HOSTS.usea;
    const { readRouteRecord, writeRouteRecord } = await import("../../provisioner/src/route-record-store.ts");
    const lookup = await readRouteRecord(target, host);
    if (lookup.kind !== "route") throw new Error("no route record");
    await writeRouteRecord(target, host, { ...lookup.record, quotaExceededUntil: "2000-01-01T00:00:00.000Z" });
    const deadline = Date.now() + 15_000;
    let reply = await requestTenant(platform.trafficUrl, host, "GET", "/subjects", { headers: auth.usea! });
    while (reply.status !== 200 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 250));
      reply = await requestTenant(platform.trafficUrl, host, "GET", "/subjects", { headers: auth.usea! });
    }
    expect(reply.status).toBe(200);
  });
});
