/**
 * The dispatcher in real workerd (Miniflare), wrapped by the local dispatch namespace shim exactly
 * as the local platform runs it. Tenant Workers are tiny scripts that echo what they received and
 * record every invocation in a shared KV namespace, so a test can prove that no tenant code ran.
 * Each test seeds its own hostnames, so tests are independent of order and of the route cache.
 */
import { request as httpRequest } from "node:http";
import { Miniflare } from "miniflare";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { staticTenantHost } from "../../scripts/lib/static-tenant-host.ts";
import { bundleLocalDispatcher } from "../../scripts/lib/worker-bundles.ts";

const COMPATIBILITY_DATE = "2026-06-01";

// Echoes the request it got and records it under its x-request-id.
const echoTenant = (name: string): string => `
export default {
  async fetch(request, env) {
    const id = request.headers.get("x-request-id") ?? "none";
    await env.CALLS.put(id, ${JSON.stringify(name)});
    const url = new URL(request.url);
    if (url.pathname === "/unauthorized") {
      return Response.json({ error: { code: "unauthorized" } }, { status: 401, headers: { "x-request-id": id } });
    }
    return Response.json({
      tenant: ${JSON.stringify(name)},
      method: request.method,
      path: url.pathname + url.search,
      body: request.method === "GET" ? null : await request.text(),
      headers: Object.fromEntries(request.headers),
    }, {
      headers: {
        "x-tenant": ${JSON.stringify(name)},
        // On request, the tenant answers with an id of its own (or echoes the one it was given).
        "x-request-id": url.pathname === "/own-id" ? "chosen-by-tenant" : id,
        // A tenant's own CORS header: the dispatcher must drop it (the route record decides).
        ...(url.pathname === "/own-cors" ? { "access-control-allow-origin": "*" } : {}),
      },
    });
  },
};`;

const throwingTenant = `
export default {
  async fetch(request, env) {
    await env.CALLS.put(request.headers.get("x-request-id") ?? "none", "boom");
    throw new Error("boom: secret internal detail at /srv/tenant-boom/db.ts:42");
  },
};`;

interface ErrorBody {
  error: { code: string; message: string; requestId: string };
}

interface EchoBody {
  tenant: string;
  method: string;
  path: string;
  body: string | null;
  headers: Record<string, string>;
}

let mf: Miniflare;
let routes: Awaited<ReturnType<Miniflare["getKVNamespace"]>>;
let calls: Awaited<ReturnType<Miniflare["getKVNamespace"]>>;

beforeAll(async () => {
  const tenantWorker = (name: string, script: string) => ({
    name,
    modules: true,
    script,
    compatibilityDate: COMPATIBILITY_DATE,
    kvNamespaces: { CALLS: "calls" },
  });
  const host = staticTenantHost({ "tenant-a": "tenant-a", "tenant-b": "tenant-b", "tenant-boom": "tenant-boom" });
  mf = new Miniflare({
    workers: [
      {
        // First worker: receives dispatchFetch() and all HTTP traffic.
        name: "wfp-dispatcher",
        modules: true,
        script: await bundleLocalDispatcher(),
        compatibilityDate: COMPATIBILITY_DATE,
        kvNamespaces: { ROUTES: "routes" },
        bindings: { PLATFORM_HOSTS: "localhost,127.0.0.1,platform.test" },
        serviceBindings: host.dispatcherBindings,
      },
      host.worker,
      tenantWorker("tenant-a", echoTenant("a")),
      tenantWorker("tenant-b", echoTenant("b")),
      tenantWorker("tenant-boom", throwingTenant),
    ],
  });
  routes = await mf.getKVNamespace("ROUTES", "wfp-dispatcher");
  calls = await mf.getKVNamespace("CALLS", "tenant-a");
});

afterAll(async () => {
  await mf?.dispose();
});

/** Writes a route record the way the provisioner does (docs/contracts.md). */
async function seedRoute(host: string, record: Record<string, unknown>): Promise<void> {
  await routes.put(
    `host:${host}`,
    JSON.stringify({ plan: "standard", updatedAt: new Date().toISOString(), ...record }),
  );
}

/** The dispatch proof every test route carries (the echo tenants show what they received). */
const PROOF = "dispatcher-test-proof-0123456789abcdefghijklmnop";

const active = (tenant: "a" | "b" | "boom" | "ghost", tenantId: string = tenant) => ({
  tenantId,
  script: `tenant-${tenant}`,
  status: "active",
  limits: { cpuMs: 50, subRequests: 50 },
  proof: PROOF,
  rateLimit: { requestsPerMinute: 100_000, keyRequestsPerMinute: 100_000 },
});

let idCounter = 0;
/** A request id unique to one request, so the tenants' call log can be checked for it. */
const newId = (label: string) => `test-${label}-${process.pid}-${++idCounter}`;

async function get(url: string, headers: Record<string, string> = {}) {
  return mf.dispatchFetch(url, { headers });
}

async function expectError(res: Response, status: number, code: string, requestId?: string): Promise<ErrorBody> {
  expect(res.status).toBe(status);
  expect(res.headers.get("content-type")).toMatch(/^application\/json/);
  const body = (await res.json()) as ErrorBody;
  expect(body.error.code).toBe(code);
  expect(typeof body.error.message).toBe("string");
  expect(body.error.requestId).toBe(res.headers.get("x-request-id"));
  if (requestId !== undefined) expect(body.error.requestId).toBe(requestId);
  return body;
}

/** A dispatcher refusal on a Confluent path (outside /api): Confluent's shape and content type, the same headers. */
async function expectConfluentError(res: Response, status: number, requestId?: string): Promise<void> {
  expect(res.status).toBe(status);
  expect(res.headers.get("content-type")).toBe("application/vnd.schemaregistry.v1+json");
  const body = (await res.json()) as { error_code: number; message: string };
  expect(body).toEqual({ error_code: status, message: expect.any(String) });
  expect(res.headers.get("x-request-id")).toMatch(/./);
  if (requestId !== undefined) expect(res.headers.get("x-request-id")).toBe(requestId);
}

describe("routing by host", () => {
  test("each host reaches its own tenant, whatever the case, port or trailing dot", async () => {
    await seedRoute("registry.alpha.test", active("a"));
    await seedRoute("registry.beta.test", active("b"));

    const cases: Array<[url: string, tenant: string]> = [
      ["http://registry.alpha.test/subjects?x=1", "a"],
      ["http://Registry.ALPHA.test:8443/subjects?x=1", "a"],
      ["http://registry.alpha.test.:8787/subjects?x=1", "a"],
      ["https://REGISTRY.BETA.TEST./subjects?x=1", "b"],
    ];
    for (const [url, tenant] of cases) {
      const id = newId("route");
      const res = await get(url, { "x-request-id": id });
      expect(res.status, url).toBe(200);
      expect(res.headers.get("x-request-id")).toBe(id);
      expect(res.headers.get("x-tenant")).toBe(tenant);
      const echo = (await res.json()) as EchoBody;
      expect(echo.tenant).toBe(tenant);
      expect(echo.path).toBe("/subjects?x=1");
      // The tenant sees the same request id the client got back.
      expect(echo.headers["x-request-id"]).toBe(id);
      expect(await calls.get(id)).toBe(tenant);
    }
  });

  test("headers that name another host or tenant never choose the tenant", async () => {
    await seedRoute("spoof.alpha.test", active("a"));
    await seedRoute("spoof.beta.test", active("b"));
    const spoofing: Record<string, string>[] = [
      { "x-forwarded-host": "spoof.beta.test" },
      { forwarded: "host=spoof.beta.test" },
      { "x-original-host": "spoof.beta.test" },
      { "x-host": "spoof.beta.test" },
      { "x-tenant-id": "b" },
    ];
    for (const headers of spoofing) {
      const onAlpha = await get("http://spoof.alpha.test/subjects", headers);
      expect(onAlpha.status, JSON.stringify(headers)).toBe(200);
      expect(((await onAlpha.json()) as EchoBody).tenant, JSON.stringify(headers)).toBe("a");
      // On a hostname nobody owns, the header does not find tenant b either: no tenant code runs.
      const id = newId("spoof");
      const nowhere = await get("http://spoof.nobody.test/subjects", { ...headers, "x-request-id": id });
      await expectError(nowhere, 404, "unknown_host");
      expect(await calls.get(id)).toBeNull();
    }
  });

  test("method and body are forwarded unchanged", async () => {
    await seedRoute("post.alpha.test", active("a"));
    const res = await mf.dispatchFetch("http://post.alpha.test/subjects/s/versions", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ schema: "{}" }),
    });
    expect(res.status).toBe(200);
    const echo = (await res.json()) as EchoBody;
    expect(echo).toMatchObject({ tenant: "a", method: "POST", path: "/subjects/s/versions", body: '{"schema":"{}"}' });
    expect(echo.headers["content-type"]).toBe("application/json");
  });

  test("a real HTTP request is routed by its Host header", async () => {
    await seedRoute("http.beta.test", active("b"));
    const url = await mf.ready;
    const id = newId("http");
    const { status, headers, body } = await new Promise<{
      status: number;
      headers: Record<string, unknown>;
      body: string;
    }>((resolve, reject) => {
      const req = httpRequest(
        {
          host: url.hostname,
          port: url.port,
          path: "/health",
          headers: { host: "HTTP.Beta.Test:8787", "x-request-id": id },
        },
        (res) => {
          let text = "";
          res.setEncoding("utf8");
          res.on("data", (chunk: string) => (text += chunk));
          res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text }));
        },
      );
      req.on("error", reject);
      req.end();
    });
    expect(status).toBe(200);
    expect(headers["x-request-id"]).toBe(id);
    expect((JSON.parse(body) as EchoBody).tenant).toBe("b");
  });
});

describe("failing closed", () => {
  test("an unknown host is 404 and no tenant code runs", async () => {
    const id = newId("unknown");
    const res = await get("http://nobody.unrouted.test/subjects", { "x-request-id": id });
    await expectError(res, 404, "unknown_host", id);
    expect(await calls.get(id)).toBeNull();
  });

  test("a malformed host is 400", async () => {
    const res = await get("http://under_score.test/");
    await expectError(res, 400, "bad_host");
  });

  test("a suspended tenant is 403 tenant_suspended and its Worker is not called", async () => {
    await seedRoute("suspended.alpha.test", { ...active("a"), status: "suspended" });
    const id = newId("suspended");
    const res = await get("http://suspended.alpha.test/subjects", { "x-request-id": id });
    await expectError(res, 403, "tenant_suspended", id);
    expect(await calls.get(id)).toBeNull();
  });

  test("a route record the dispatcher cannot trust is 503 and reaches no tenant", async () => {
    await routes.put("host:garbled.alpha.test", "{not json");
    await seedRoute("badstatus.alpha.test", { ...active("a"), status: "paused" });
    await seedRoute("badlimits.alpha.test", { ...active("a"), limits: { cpuMs: -1 } });
    for (const host of ["garbled.alpha.test", "badstatus.alpha.test", "badlimits.alpha.test"]) {
      const id = newId("invalid");
      const res = await get(`http://${host}/`, { "x-request-id": id });
      await expectError(res, 503, "tenant_unavailable", id);
      expect(await calls.get(id)).toBeNull();
    }
  });

  test("a route to a script missing from the namespace is 503 tenant_unavailable", async () => {
    await seedRoute("ghost.test", active("ghost"));
    const body = await expectError(await get("http://ghost.test/subjects"), 503, "tenant_unavailable");
    expect(JSON.stringify(body)).not.toMatch(/worker not found|tenant-ghost/i);
  });

  test("a throwing tenant is 502 tenant_error without its internals", async () => {
    await seedRoute("boom.test", active("boom"));
    const id = newId("boom");
    const res = await get("http://boom.test/subjects", { "x-request-id": id });
    const body = await expectError(res, 502, "tenant_error", id);
    expect(await calls.get(id)).toBe("boom"); // it did run, and failed
    expect(JSON.stringify(body)).not.toMatch(/secret|\/srv|boom:|tenant-boom/);
  });
});

describe("request ids", () => {
  test("a well-formed incoming id is kept; a missing or malformed one is replaced", async () => {
    await seedRoute("ids.alpha.test", active("a"));
    const kept = await get("http://ids.alpha.test/", { "x-request-id": "client-id_01.2:3=" });
    expect(kept.headers.get("x-request-id")).toBe("client-id_01.2:3=");

    const unusable: Array<Record<string, string>> = [
      {},
      { "x-request-id": "bad id with spaces" },
      { "x-request-id": "x".repeat(200) },
    ];
    for (const headers of unusable) {
      const res = await get("http://ids.alpha.test/", headers);
      const id = res.headers.get("x-request-id");
      expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
      expect(((await res.json()) as EchoBody).headers["x-request-id"]).toBe(id);
    }
  });

  test("a tenant cannot answer with a different id than the one the client gets", async () => {
    await seedRoute("own-id.alpha.test", active("a"));
    const res = await get("http://own-id.alpha.test/own-id", { "x-request-id": "client-chosen" });
    expect(res.status).toBe(200);
    expect(res.headers.get("x-request-id")).toBe("client-chosen");
    await res.arrayBuffer();
  });

  test("every kind of response carries one", async () => {
    const responses = await Promise.all([
      get("http://localhost/health"),
      get("http://localhost/nope"),
      get("http://unrouted.ids.test/"),
      get("http://bad_host.ids.test/"),
    ]);
    for (const res of responses) {
      expect(res.headers.get("x-request-id")).toBeTruthy();
      await res.arrayBuffer();
    }
  });
});

describe("platform-internal headers", () => {
  test("x-wfp-* headers from the client never reach the tenant; others do", async () => {
    await seedRoute("spoof.beta.test", active("b"));
    const res = await get("http://spoof.beta.test/", {
      "x-wfp-tenant-id": "someone-else",
      "X-WFP-Admin": "true",
      "x-wfp-": "empty-suffix",
      "x-wfpnot-reserved": "kept",
      authorization: "Bearer tenant-key",
    });
    const echo = (await res.json()) as EchoBody;
    // The only x-wfp-* headers the tenant sees are the dispatcher's own: the proof and the rate-limit figures.
    expect(
      Object.keys(echo.headers)
        .filter((name) => name.startsWith("x-wfp-"))
        .sort(),
    ).toEqual(["x-wfp-proof", "x-wfp-ratelimit"]);
    expect(echo.headers["x-wfp-ratelimit"]).toMatch(/^\d+,\d+,\d+$/);
    expect(echo.headers["x-wfpnot-reserved"]).toBe("kept");
    expect(echo.headers.authorization).toBe("Bearer tenant-key");
  });
});

describe("platform hosts", () => {
  test("GET /health is answered by the dispatcher itself on every platform host", async () => {
    for (const url of ["http://localhost/health", "http://127.0.0.1:8787/health", "http://Platform.Test./health"]) {
      const res = await get(url, { "x-request-id": "health-check-1" });
      expect(res.status, url).toBe(200);
      expect(res.headers.get("x-request-id")).toBe("health-check-1");
      expect(await res.json()).toEqual({ status: "ok", service: "wfp-dispatcher", requestId: "health-check-1" });
    }
  });

  test("other paths on a platform host are 404, and a route record for it is ignored", async () => {
    await seedRoute("platform.test", active("a"));
    const id = newId("platform");
    await expectError(await get("http://platform.test/subjects", { "x-request-id": id }), 404, "not_found", id);
    expect(await calls.get(id)).toBeNull();
  });
});

let tenantCounter = 0;
/** A tenant id of its own per test: rate and auth-failure counters are per tenant id. */
const newTenant = (label: string) => `${label}-${process.pid}-${++tenantCounter}`;

describe("dispatch proof", () => {
  test("the tenant receives the route record's proof, never the client's", async () => {
    await seedRoute("proof.alpha.test", active("a"));
    const res = await get("http://proof.alpha.test/", { "x-wfp-proof": "forged-by-client", "X-WFP-PROOF": "again" });
    const echo = (await res.json()) as EchoBody;
    expect(echo.headers["x-wfp-proof"]).toBe(PROOF);
  });

  test("a route record without a proof (written before proofs existed) fails closed: 503, no tenant code", async () => {
    const { proof: _proof, ...old } = active("a");
    await seedRoute("no-proof.alpha.test", old);
    await seedRoute("empty-proof.alpha.test", { ...active("a"), proof: "" });
    for (const host of ["no-proof.alpha.test", "empty-proof.alpha.test"]) {
      const id = newId("no-proof");
      await expectError(await get(`http://${host}/`, { "x-request-id": id }), 503, "tenant_unavailable", id);
      expect(await calls.get(id)).toBeNull();
    }
  });
});

describe("rate limits", () => {
  const limited = (tenantId: string) => ({
    ...active("a", tenantId),
    rateLimit: { requestsPerMinute: 5, keyRequestsPerMinute: 2 },
  });

  test("the tenant limit: X-RateLimit-* on every answer, then 429 with Retry-After, and no tenant code", async () => {
    await seedRoute("rl.alpha.test", limited(newTenant("rl")));
    for (let i = 1; i <= 5; i++) {
      const res = await get("http://rl.alpha.test/");
      expect(res.status).toBe(200);
      expect(res.headers.get("x-ratelimit-limit")).toBe("5");
      expect(res.headers.get("x-ratelimit-remaining")).toBe(String(5 - i));
      expect(Number(res.headers.get("x-ratelimit-reset"))).toBeGreaterThanOrEqual(1);
      expect(Number(res.headers.get("x-ratelimit-reset"))).toBeLessThanOrEqual(60);
      await res.arrayBuffer();
    }
    // Under /api the platform's error shape; on a Confluent path (every other) Confluent's, which
    // its clients parse; the same headers either way, and no tenant code runs.
    for (const path of ["/api/products", "/subjects", "/", "/this/path/does/not/exist"]) {
      const id = newId("rl");
      const refused = await get(`http://rl.alpha.test${path}`, { "x-request-id": id });
      if (path.startsWith("/api/")) await expectError(refused, 429, "rate_limited", id);
      else await expectConfluentError(refused, 429, id);
      const retryAfter = Number(refused.headers.get("retry-after"));
      expect(retryAfter, path).toBeGreaterThanOrEqual(1);
      expect(retryAfter, path).toBeLessThanOrEqual(60);
      expect(refused.headers.get("x-ratelimit-limit"), path).toBe("5");
      expect(refused.headers.get("x-ratelimit-remaining"), path).toBe("0");
      expect(refused.headers.get("x-ratelimit-reset"), path).toBe(String(retryAfter));
      expect(await calls.get(id), path).toBeNull();
    }
  });

  test(`per key: key A exhausted does not block key B, \
up to the tenant's limit; hostnames of one tenant share it`, async () => {
    const tenantId = newTenant("rlkey");
    await seedRoute("rlkey.alpha.test", limited(tenantId));
    await seedRoute("rlkey2.alpha.test", limited(tenantId));
    const bearer = (keyId: string) => ({ authorization: `Bearer wfp_${keyId}_s3cretvalue` });
    const basic = (keyId: string) => ({ authorization: `Basic ${btoa(`${keyId}:s3cretvalue`)}` });
    const status = async (host: string, headers: Record<string, string>) => {
      const res = await get(`http://${host}/`, headers);
      await res.arrayBuffer();
      return {
        status: res.status,
        limit: res.headers.get("x-ratelimit-limit"),
        remaining: res.headers.get("x-ratelimit-remaining"),
      };
    };
    expect(await status("rlkey.alpha.test", bearer("keya"))).toEqual({ status: 200, limit: "2", remaining: "1" });
    expect(await status("rlkey2.alpha.test", basic("keya"))).toEqual({ status: 200, limit: "2", remaining: "0" });
    expect(await status("rlkey.alpha.test", bearer("keya"))).toMatchObject({ status: 429, limit: "2", remaining: "0" });
    // Key B has its own 2, the tenant 3 left (A's refusal was not counted).
    expect(await status("rlkey.alpha.test", bearer("keyb"))).toMatchObject({ status: 200, limit: "2", remaining: "1" });
    expect(await status("rlkey2.alpha.test", basic("keyb"))).toMatchObject({ status: 200 });
    // One left for the tenant, taken by an anonymous request; then key C is refused by the tenant limit.
    expect(await status("rlkey.alpha.test", {})).toEqual({ status: 200, limit: "5", remaining: "0" });
    expect(await status("rlkey.alpha.test", bearer("keyc"))).toMatchObject({ status: 429, limit: "5" });
  });

  test("tenants are limited separately", async () => {
    await seedRoute("rl-one.alpha.test", limited(newTenant("rl-one")));
    await seedRoute("rl-two.alpha.test", limited(newTenant("rl-two")));
    for (let i = 0; i < 5; i++) await (await get("http://rl-one.alpha.test/")).arrayBuffer();
    expect((await get("http://rl-one.alpha.test/")).status).toBe(429);
    expect((await get("http://rl-two.alpha.test/")).status).toBe(200);
  });
});

describe("authentication failures", () => {
  test(`10 401s from one client within a minute: 429 too_many_auth_failures \
before the tenant, for that client only`, async () => {
    const tenantId = newTenant("authfail");
    await seedRoute("authfail.alpha.test", active("a", tenantId));
    const from = (ip: string, extra: Record<string, string> = {}) => ({ "cf-connecting-ip": ip, ...extra });
    for (let i = 0; i < 10; i++) {
      const res = await get(
        "http://authfail.alpha.test/unauthorized",
        from("203.0.113.7", { authorization: "Bearer wfp_guess_x" }),
      );
      expect(res.status).toBe(401);
      await res.arrayBuffer();
    }
    const id = newId("authfail");
    const blocked = await get("http://authfail.alpha.test/api/products", from("203.0.113.7", { "x-request-id": id }));
    await expectError(blocked, 429, "too_many_auth_failures", id);
    const retryAfter = Number(blocked.headers.get("retry-after"));
    expect(retryAfter).toBeGreaterThan(20);
    expect(retryAfter).toBeLessThanOrEqual(30);
    expect(await calls.get(id)).toBeNull();
    // On a Confluent path, in Confluent's shape, with the same Retry-After.
    const confluentId = newId("authfail");
    const confluent = await get(
      "http://authfail.alpha.test/subjects",
      from("203.0.113.7", { "x-request-id": confluentId }),
    );
    await expectConfluentError(confluent, 429, confluentId);
    expect(Number(confluent.headers.get("retry-after"))).toBeGreaterThan(20);
    expect(await calls.get(confluentId)).toBeNull();
    // Another client of the same tenant, and the same client at another tenant, are not slowed down.
    expect((await get("http://authfail.alpha.test/", from("203.0.113.8"))).status).toBe(200);
    await seedRoute("authfail-other.alpha.test", active("a", newTenant("authfail-other")));
    expect((await get("http://authfail-other.alpha.test/", from("203.0.113.7"))).status).toBe(200);
    // A success of the other client changes nothing for the blocked one.
    expect((await get("http://authfail.alpha.test/", from("203.0.113.7"))).status).toBe(429);
  });

  test("nine failures do not block", async () => {
    await seedRoute("authfail9.alpha.test", active("a", newTenant("authfail9")));
    const from = { "cf-connecting-ip": "198.51.100.1" };
    for (let i = 0; i < 9; i++)
      await (
        await get("http://authfail9.alpha.test/unauthorized", { ...from, authorization: "Basic Z3Vlc3M6eA==" })
      ).arrayBuffer();
    expect((await get("http://authfail9.alpha.test/", from)).status).toBe(200);
  });

  test("401s to requests without credentials are not counted: they are no guesses", async () => {
    await seedRoute("authfail-anon.alpha.test", active("a", newTenant("authfail-anon")));
    const from = { "cf-connecting-ip": "198.51.100.2" };
    for (let i = 0; i < 30; i++) await (await get("http://authfail-anon.alpha.test/unauthorized", from)).arrayBuffer();
    expect((await get("http://authfail-anon.alpha.test/", from)).status).toBe(200);
  });
});

describe("CORS", () => {
  const APP = "https://app.alpha.test";
  const withCors = () => ({ ...active("a"), corsOrigins: [APP, "http://localhost:3000"] });

  test("a preflight from an allowed origin is answered by the dispatcher: 204, methods, headers, max-age", async () => {
    await seedRoute("cors.alpha.test", withCors());
    const id = newId("preflight");
    const res = await mf.dispatchFetch("http://cors.alpha.test/api/products", {
      method: "OPTIONS",
      headers: {
        origin: APP,
        "access-control-request-method": "POST",
        "access-control-request-headers": "authorization, content-type",
        "x-request-id": id,
      },
    });
    expect(res.status).toBe(204);
    expect(res.headers.get("access-control-allow-origin")).toBe(APP);
    expect(res.headers.get("access-control-allow-methods")).toMatch(/\bPOST\b.*\bDELETE\b/);
    expect(res.headers.get("access-control-allow-headers")).toMatch(/\bauthorization\b.*\bcontent-type\b/);
    expect(res.headers.get("access-control-max-age")).toBe("600");
    expect(res.headers.get("vary")).toMatch(/\bOrigin\b/);
    expect(res.headers.get("access-control-allow-credentials")).toBeNull();
    expect(await calls.get(id)).toBeNull();
  });

  test("a preflight from any other origin is 403 cors_origin_not_allowed without CORS headers", async () => {
    await seedRoute("cors-deny.alpha.test", withCors());
    for (const origin of ["https://evil.test", "https://app.alpha.test.evil.test", "http://app.alpha.test", "null"]) {
      const res = await mf.dispatchFetch("http://cors-deny.alpha.test/api/products", {
        method: "OPTIONS",
        headers: { origin, "access-control-request-method": "GET" },
      });
      await expectError(res, 403, "cors_origin_not_allowed");
      expect(res.headers.get("access-control-allow-origin"), origin).toBeNull();
    }
  });

  test(`responses carry Access-Control-Allow-Origin for an allowed origin only, \
with Vary: Origin and the exposed headers`, async () => {
    await seedRoute("cors-get.alpha.test", withCors());
    const allowed = await get("http://cors-get.alpha.test/own-cors", { origin: "http://localhost:3000" });
    expect(allowed.status).toBe(200);
    expect(allowed.headers.get("access-control-allow-origin")).toBe("http://localhost:3000");
    expect(allowed.headers.get("vary")).toMatch(/\bOrigin\b/);
    expect(allowed.headers.get("access-control-expose-headers")).toMatch(
      /x-request-id.*x-d1-bookmark.*x-ratelimit-remaining/,
    );
    await allowed.arrayBuffer();

    const other = await get("http://cors-get.alpha.test/own-cors", { origin: "https://evil.test" });
    expect(other.status).toBe(200); // a browser withholds it from the page; other clients are not CORS's concern
    expect(other.headers.get("access-control-allow-origin")).toBeNull(); // the tenant's own "*" was dropped
    expect(other.headers.get("vary")).toMatch(/\bOrigin\b/);
    await other.arrayBuffer();

    await seedRoute("no-cors.alpha.test", active("a"));
    const none = await get("http://no-cors.alpha.test/", { origin: APP });
    expect(none.headers.get("access-control-allow-origin")).toBeNull();
    await none.arrayBuffer();
    // Without a configured origin, a preflight is refused like any other disallowed one.
    const preflight = await mf.dispatchFetch("http://no-cors.alpha.test/", {
      method: "OPTIONS",
      headers: { origin: APP, "access-control-request-method": "GET" },
    });
    await expectError(preflight, 403, "cors_origin_not_allowed");
  });

  test("a page at an allowed origin can read the dispatcher's 429", async () => {
    await seedRoute("cors-429.alpha.test", {
      ...withCors(),
      tenantId: newTenant("cors429"),
      rateLimit: { requestsPerMinute: 1, keyRequestsPerMinute: 1 },
    });
    await (await get("http://cors-429.alpha.test/", { origin: APP })).arrayBuffer();
    const refused = await get("http://cors-429.alpha.test/api/products", { origin: APP });
    await expectError(refused, 429, "rate_limited");
    expect(refused.headers.get("access-control-allow-origin")).toBe(APP);
    const confluent = await get("http://cors-429.alpha.test/subjects", { origin: APP });
    await expectConfluentError(confluent, 429);
    expect(confluent.headers.get("access-control-allow-origin")).toBe(APP);
  });
});
