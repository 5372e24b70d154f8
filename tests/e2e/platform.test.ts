/**
 * The product end to end on one machine: the local platform (real workerd, D1, KV, real HTTP),
 * the provisioner CLI, the dispatcher and tenant Workers.
 * - two tenants, each reached only through its own hostnames; an unknown host reaches nobody;
 * - `create` re-run is a no-op (checked through the API's list endpoints);
 * - (a fault at EVERY API call of `create` converges: create-fault-convergence.test.ts, on platforms of its own);
 * - `delete` leaves nothing in any list endpoint;
 * - tenants and their data survive a platform restart.
 */
import Cloudflare from "cloudflare";
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { Agent, request } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { LocalPlatform } from "../../infra/local-platform/index.ts";
import { startInitialisedPlatform } from "../../scripts/lib/initialised-platform.ts";
import { EXIT } from "../../provisioner/src/tenant-cli.ts";
import { requestTenant, runTenant, untilStatus } from "../../scripts/lib/tenant-traffic.ts";
import { accountInventory } from "../support/account-inventory.ts";

/** Every migration of the template, in order: what a freshly provisioned tenant must report. */
const TEMPLATE_MIGRATIONS = readdirSync(new URL("../../tenant-template/migrations/", import.meta.url))
  .filter((name) => name.endsWith(".sql"))
  .sort();

interface Session {
  platform: LocalPlatform;
  cf: Cloudflare;
}

async function startSession(stateDir: string): Promise<Session> {
  const platform = await startInitialisedPlatform({ port: 0, apiPort: 0, stateDir, hostnameActivationMs: 200 });
  return { platform, cf: new Cloudflare({ apiToken: "local", baseURL: platform.apiUrl, maxRetries: 0 }) };
}

/** Tenant alpha, with two hostnames: created by the first test, created again by the re-run test. */
const CREATE_ALPHA = [
  "create",
  "alpha",
  "--domain",
  "registry.alpha.localhost",
  "--domain",
  "schemas.alpha.localhost",
  "--residency",
  "global",
];

const tenant = (s: Session, args: string[], env: Record<string, string> = {}) =>
  runTenant(s.platform.apiUrl, args, env);

/** GET with a Host header on the traffic port. */
const get = (s: Session, host: string, path: string) => requestTenant(s.platform.trafficUrl, host, "GET", path);

describe("the platform end to end", () => {
  let stateDir: string;
  let s: Session;

  beforeAll(async () => {
    stateDir = mkdtempSync(join(tmpdir(), "wfp-e2e-"));
    s = await startSession(stateDir);
  });
  afterAll(async () => {
    await s?.platform.close();
    rmSync(stateDir, { recursive: true, force: true });
  });

  it("serves two tenants, each only through its own hostnames, and nobody at an unknown host", async () => {
    expect((await tenant(s, CREATE_ALPHA)).code).toBe(EXIT.ok);
    expect(
      (await tenant(s, ["create", "bravo", "--domain", "registry.bravo.localhost", "--residency", "uk"])).code,
    ).toBe(EXIT.ok);

    for (const [host, id, residency] of [
      ["registry.alpha.localhost", "alpha", "global"],
      ["SCHEMAS.Alpha.localhost", "alpha", "global"],
      ["registry.bravo.localhost", "bravo", "uk"],
    ] as const) {
      const response = await get(s, host, "/health");
      expect(response.status, `${host}: ${response.body}`).toBe(200);
      expect(response.json()).toMatchObject({
        tenantId: id,
        residency,
        database: "ok",
        migrations: TEMPLATE_MIGRATIONS,
        templateVersion: expect.stringMatching(/^0\.1\.0\+[0-9a-f]{12}$/),
      });
    }

    for (const host of [
      "registry.charlie.localhost",
      "alpha.localhost",
      "registry.alpha.localhost.evil.localhost",
      "bravo",
    ]) {
      const response = await get(s, host, "/health");
      expect(response.status, host).toBe(404);
      expect(response.json()).toMatchObject({ error: { code: "unknown_host" } });
      expect(response.body).not.toMatch(/alpha|bravo/);
    }
    // The platform's own host is the dispatcher, never a tenant.
    expect((await get(s, "localhost", "/health")).json()).toMatchObject({ status: "ok", service: "wfp-dispatcher" });
  });

  it("keeps a keep-alive connection usable after answering without reading the request body", async () => {
    // workerd drops a connection whose request body was left unread; the Workers read it instead.
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    const url = new URL(s.platform.trafficUrl);
    const send = (host: string, method: string, path: string, body?: string) =>
      new Promise<number | string>((resolve) => {
        const req = request(
          {
            host: url.hostname,
            port: url.port,
            method,
            path,
            agent,
            headers: { host, "content-type": "application/json" },
          },
          (res) => {
            res.resume();
            res.on("end", () => resolve(res.statusCode ?? 0));
          },
        );
        req.on("error", (error: NodeJS.ErrnoException) => resolve(error.code ?? "error"));
        req.end(body);
      });
    try {
      // A tenant refuses the keyless request (401) before any route reads the body; the others 404.
      for (const [host, status] of [
        ["registry.alpha.localhost", 401],
        ["registry.nobody.localhost", 404],
        ["localhost", 404],
      ] as const) {
        expect(await send(host, "PUT", "/no-such-path", JSON.stringify({ filler: "x".repeat(10_000) })), host).toBe(
          status,
        );
        expect(await send(host, "GET", "/health"), `${host}: the next request on the same connection`).not.toBe(
          "ECONNRESET",
        );
      }
    } finally {
      agent.destroy();
    }
  });

  it("re-running create changes nothing in the account", async () => {
    const before = await accountInventory(s);
    expect(before.d1).toEqual(expect.arrayContaining(["wfp-tenant-alpha", "wfp-tenant-bravo"]));
    const again = await tenant(s, [...CREATE_ALPHA, "--json"]);
    expect(again.code, again.stderr).toBe(EXIT.ok);
    expect(JSON.parse(again.stdout)).toMatchObject({ changed: false, adminKeyStatus: "unchanged" });
    expect(JSON.parse(again.stdout)).not.toHaveProperty("adminKey");
    expect(await accountInventory(s)).toEqual(before);
  });

  it("delete leaves nothing of the tenants in any list endpoint (eu and uk targets are the platform's)", async () => {
    for (const id of ["alpha", "bravo"]) expect((await tenant(s, ["delete", id, "--yes"])).code).toBe(EXIT.ok);
    expect(await accountInventory(s)).toEqual({
      d1: [],
      kv: [],
      scripts: [],
      customHostnames: [],
      regionalHostnames: [`eu.${s.platform.zoneName}`, `uk.${s.platform.zoneName}`],
      routingKeys: [],
    });
    // Once the dispatcher's cached routes for them have expired.
    for (const host of ["registry.alpha.localhost", "registry.bravo.localhost"]) {
      expect((await untilStatus(s.platform.trafficUrl, host, "/health", 404)).status).toBe(404);
    }
  });
});

describe("a platform restart", () => {
  it("keeps tenants, their routes and their data", async () => {
    const stateDir = mkdtempSync(join(tmpdir(), "wfp-restart-"));
    try {
      let s = await startSession(stateDir);
      expect((await tenant(s, ["create", "delta", "--domain", "registry.delta.localhost"])).code).toBe(EXIT.ok);
      const [db] = (await s.cf.d1.database.list({ account_id: s.platform.accountId, name: "wfp-tenant-delta" })).result;
      await s.cf.d1.database.query(db!.uuid!, {
        account_id: s.platform.accountId,
        sql: "INSERT INTO tenant_meta (key, value) VALUES ('owner', 'delta-team')",
      });
      await s.platform.close();

      s = await startSession(stateDir);
      try {
        const health = await get(s, "registry.delta.localhost", "/health");
        expect(health.status, health.body).toBe(200);
        expect(health.json()).toMatchObject({ tenantId: "delta" });
        const rows = [];
        for await (const r of s.cf.d1.database.query(db!.uuid!, {
          account_id: s.platform.accountId,
          sql: "SELECT value FROM tenant_meta WHERE key = 'owner'",
        }))
          rows.push(r);
        expect(rows[0]!.results).toEqual([{ value: "delta-team" }]);
        const rerun = await tenant(s, ["create", "delta", "--domain", "registry.delta.localhost", "--json"]);
        expect(JSON.parse(rerun.stdout)).toMatchObject({ changed: false });
      } finally {
        await s.platform.close();
      }
    } finally {
      rmSync(stateDir, { recursive: true, force: true });
    }
  });
});
