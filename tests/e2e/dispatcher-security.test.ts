/**
 * The dispatcher's protections end to end, through the local platform (real workerd, KV, D1, HTTP)
 * and the tenant CLI:
 * - the dispatch proof: minted once, in the Worker and every route record, unchanged by re-runs,
 *   never printed; a tenant from before proofs fails closed until create is re-run, which converges;
 * - rate limits from the spec (`--rate-limit`), with X-RateLimit-* and Retry-After;
 * - CORS from the spec (`--cors-origin`): preflights and response headers.
 * Per-key limits and the auth-failure slowdown are exercised against echo tenants in tests/dispatcher.
 */
import Cloudflare from "cloudflare";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { LocalPlatform } from "../../infra/local-platform/index.ts";
import { startInitialisedPlatform } from "../../scripts/lib/initialised-platform.ts";
import { EXIT } from "../../provisioner/src/tenant-cli.ts";
import { requestTenant, runTenant, type TenantReply } from "../../scripts/lib/tenant-traffic.ts";

let platform: LocalPlatform;
let stateDir: string;
let cf: Cloudflare;

beforeAll(async () => {
  stateDir = mkdtempSync(join(tmpdir(), "wfp-e2e-security-"));
  platform = await startInitialisedPlatform({ port: 0, apiPort: 0, stateDir, hostnameActivationMs: 200 });
  cf = new Cloudflare({ apiToken: "local", baseURL: platform.apiUrl, maxRetries: 0 });
});
afterAll(async () => {
  await platform?.close();
  rmSync(stateDir, { recursive: true, force: true });
});

const tenant = (args: string[]) => runTenant(platform.apiUrl, args);

async function readRouting(key: string): Promise<Record<string, unknown>> {
  const value = await cf.kv.namespaces.values.get(key, {
    account_id: platform.accountId,
    namespace_id: platform.routesNamespaceId,
  });
  return JSON.parse(await value.text()) as Record<string, unknown>;
}

async function writeRouting(key: string, value: unknown): Promise<void> {
  await cf.kv.namespaces.values.update(key, {
    account_id: platform.accountId,
    namespace_id: platform.routesNamespaceId,
    value: JSON.stringify(value),
    metadata: JSON.stringify({ tenantId: "legacy" }),
  });
}

/** Retries a GET while the dispatcher's isolate cache still holds an older answer (at most 10 s). */
async function eventually(
  host: string,
  path: string,
  headers: Record<string, string>,
  status: number,
): Promise<TenantReply> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    const reply = await requestTenant(platform.trafficUrl, host, "GET", path, { headers });
    if (reply.status === status || Date.now() > deadline) return reply;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

describe("dispatch proof", () => {
  const args = [
    "create",
    "legacy",
    "--domain",
    "registry.legacy.localhost",
    "--domain",
    "spare.legacy.localhost",
    "--json",
  ];
  let auth: Record<string, string>;
  let proof: string;

  it(`is minted once: \
the same value in the tenant record, every route record and the Worker's secrets; never printed`, async () => {
    const created = await tenant(args);
    expect(created.code, created.stderr).toBe(EXIT.ok);
    const result = JSON.parse(created.stdout) as { adminKey: string };
    auth = { authorization: `Bearer ${result.adminKey}` };
    const record = await readRouting("tenant:legacy");
    proof = record.dispatchProof as string;
    expect(proof).toMatch(/^[A-Za-z0-9_-]{43}$/); // 256 bits, base64url
    for (const host of ["registry.legacy.localhost", "spare.legacy.localhost"]) {
      expect(await readRouting(`host:${host}`)).toMatchObject({
        proof,
        rateLimit: { requestsPerMinute: 6000, keyRequestsPerMinute: 3000 },
        corsOrigins: [],
      });
    }
    const secrets = await cf.get<{ result: Array<{ name: string }> }>(
      `/accounts/${platform.accountId}/workers/dispatch/namespaces/${platform.dispatchNamespace}` +
        `/scripts/tenant-legacy/secrets`,
    );
    expect(secrets.result.map((s) => s.name)).toContain("DISPATCH_PROOF");
    expect(created.stdout + created.stderr).not.toContain(proof);
    const shown = await tenant(["show", "legacy", "--json"]);
    expect(shown.stdout).not.toContain(proof);
    expect(JSON.parse(shown.stdout)).toMatchObject({ complete: true });

    const health = await requestTenant(platform.trafficUrl, "registry.legacy.localhost", "GET", "/health", {
      headers: auth,
    });
    expect(health.status, health.body).toBe(200);
  });

  it("survives a re-run unchanged", async () => {
    const again = await tenant(args);
    expect(again.code, again.stderr).toBe(EXIT.ok);
    expect(JSON.parse(again.stdout)).toMatchObject({ changed: false });
    expect((await readRouting("tenant:legacy")).dispatchProof).toBe(proof);
    expect(await readRouting("host:registry.legacy.localhost")).toMatchObject({ proof });
  });

  it(`a tenant from before proofs fails closed (503) \
until create is re-run, which mints, uploads and routes a proof`, async () => {
    // Make the tenant what it was before proofs: no proof or rates in its records, no secret in its Worker.
    const record = await readRouting("tenant:legacy");
    delete record.dispatchProof;
    await writeRouting("tenant:legacy", record);
    for (const host of ["registry.legacy.localhost", "spare.legacy.localhost"]) {
      const { proof: _p, rateLimit: _r, corsOrigins: _c, ...old } = await readRouting(`host:${host}`);
      await writeRouting(`host:${host}`, old);
    }
    await cf.delete(
      `/accounts/${platform.accountId}/workers/dispatch/namespaces/${platform.dispatchNamespace}` +
        `/scripts/tenant-legacy/secrets/DISPATCH_PROOF`,
    );

    // The spare host was never asked for, so no isolate has its old record cached.
    const refused = await requestTenant(platform.trafficUrl, "spare.legacy.localhost", "GET", "/health", {
      headers: auth,
    });
    expect(refused.status, refused.body).toBe(503);
    expect(refused.json()).toMatchObject({ error: { code: "tenant_unavailable" } });
    expect(refused.body).not.toMatch(/legacy/);
    expect(JSON.parse((await tenant(["show", "legacy", "--json"])).stdout).problems.join("\n")).toMatch(
      /predates dispatch proofs/,
    );

    const rerun = await tenant(args);
    expect(rerun.code, rerun.stderr).toBe(EXIT.ok);
    const steps = (JSON.parse(rerun.stdout) as { steps: Array<{ step: string; outcome: string; detail?: string }> })
      .steps;
    expect(steps).toContainEqual(
      expect.objectContaining({ step: "tenant-record", outcome: "written", detail: "new dispatch proof" }),
    );
    expect(steps).toContainEqual(expect.objectContaining({ step: "worker", outcome: "uploaded" }));
    const fresh = (await readRouting("tenant:legacy")).dispatchProof as string;
    expect(fresh).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(fresh).not.toBe(proof);
    for (const host of ["registry.legacy.localhost", "spare.legacy.localhost"]) {
      expect(await readRouting(`host:${host}`)).toMatchObject({ proof: fresh });
      const served = await eventually(host, "/health", auth, 200);
      expect(served.status, `${host}: ${served.body}`).toBe(200);
    }
    // And it converged: one more run changes nothing.
    expect(JSON.parse((await tenant(args)).stdout)).toMatchObject({ changed: false });
  }, 60_000);
});

describe("rate limits and CORS from the spec", () => {
  const HOST = "registry.guarded.localhost";
  const APP = "https://app.guarded.test";
  let auth: Record<string, string>;

  it("create takes --rate-limit and --cors-origin into the route record", async () => {
    const created = await tenant([
      "create",
      "guarded",
      "--domain",
      HOST,
      "--rate-limit",
      "5/min",
      "--cors-origin",
      "HTTPS://App.Guarded.test:443",
      "--json",
    ]);
    expect(created.code, created.stderr).toBe(EXIT.ok);
    auth = { authorization: `Bearer ${(JSON.parse(created.stdout) as { adminKey: string }).adminKey}` };
    expect(await readRouting(`host:${HOST}`)).toMatchObject({
      rateLimit: { requestsPerMinute: 5, keyRequestsPerMinute: 5 },
      corsOrigins: [APP],
    });
    expect((await tenant(["show", "guarded"])).stdout).toMatch(
      /5\/min, 5\/min per key, CORS https:\/\/app\.guarded\.test/,
    );
  });

  it("preflights: 204 for the allowed origin, 403 for another; neither counts against the limit", async () => {
    const allowed = await requestTenant(platform.trafficUrl, HOST, "OPTIONS", "/api/products", {
      headers: {
        origin: APP,
        "access-control-request-method": "POST",
        "access-control-request-headers": "authorization, content-type",
      },
    });
    expect(allowed.status).toBe(204);
    expect(allowed.headers["access-control-allow-origin"]).toBe(APP);
    expect(allowed.headers["access-control-allow-headers"]).toMatch(/authorization.*content-type/);
    const other = await requestTenant(platform.trafficUrl, HOST, "OPTIONS", "/api/products", {
      headers: { origin: "https://evil.test", "access-control-request-method": "POST" },
    });
    expect(other.status).toBe(403);
    expect(other.headers["access-control-allow-origin"]).toBeUndefined();
  });

  it(`answers carry X-RateLimit-* and CORS headers for the allowed origin; \
the sixth request in a minute is 429 with Retry-After`, async () => {
    const replies: TenantReply[] = [];
    for (const origin of [APP, "https://evil.test", APP, APP, APP]) {
      replies.push(await requestTenant(platform.trafficUrl, HOST, "GET", "/health", { headers: { ...auth, origin } }));
    }
    expect(replies.map((r) => r.status)).toEqual([200, 200, 200, 200, 200]);
    expect(replies.map((r) => r.headers["x-ratelimit-remaining"])).toEqual(["4", "3", "2", "1", "0"]);
    expect(replies.every((r) => r.headers["x-ratelimit-limit"] === "5")).toBe(true);
    expect(replies[0]!.headers["access-control-allow-origin"]).toBe(APP);
    expect(replies[0]!.headers["access-control-expose-headers"]).toMatch(/x-ratelimit-remaining/);
    expect(replies[0]!.headers.vary).toMatch(/Origin/);
    expect(replies[1]!.headers["access-control-allow-origin"]).toBeUndefined();

    const limited = await requestTenant(platform.trafficUrl, HOST, "GET", "/api/products", {
      headers: { ...auth, origin: APP },
    });
    expect(limited.status).toBe(429);
    expect(limited.json()).toMatchObject({
      error: { code: "rate_limited", requestId: limited.headers["x-request-id"] },
    });
    const retryAfter = Number(limited.headers["retry-after"]);
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(60);
    expect(limited.headers["x-ratelimit-remaining"]).toBe("0");
    expect(limited.headers["access-control-allow-origin"]).toBe(APP);
    // Outside /api (here /health) the same refusal is in Confluent's shape, which its clients parse.
    const confluent = await requestTenant(platform.trafficUrl, HOST, "GET", "/health", {
      headers: { ...auth, origin: APP },
    });
    expect(confluent.status).toBe(429);
    expect(confluent.headers["content-type"]).toBe("application/vnd.schemaregistry.v1+json");
    expect(confluent.json()).toEqual({ error_code: 429, message: expect.any(String) });
    expect(Number(confluent.headers["retry-after"])).toBeGreaterThanOrEqual(1);
    expect(confluent.headers["x-ratelimit-remaining"]).toBe("0");
    expect(confluent.headers["access-control-allow-origin"]).toBe(APP);
  });
});
