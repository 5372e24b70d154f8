/**
 * Rate limits across isolates, in real workerd: three copies of the dispatcher (three Workers of
 * one Miniflare configuration, so three isolates) share the `RateLimitCounter` objects the first
 * one exports, as every dispatcher isolate on Cloudflare shares the objects of its script; a fourth
 * copy is bound to a counter class that always throws (the fallback). Each test has its own tenant
 * id (its own object). Windows are aligned to the minute, so each test starts with room left in
 * the current one: behaviour is asserted, never timings.
 */
import { Miniflare } from "miniflare";
import { afterAll, beforeAll, beforeEach, describe, expect, test } from "vitest";
import { staticTenantHost } from "../../scripts/lib/static-tenant-host.ts";
import { bundleLocalDispatcher } from "../../scripts/lib/worker-bundles.ts";
import { allowanceOf } from "../../dispatcher/src/shared-rate-limiter.ts";

const COMPATIBILITY_DATE = "2026-06-01";
const ISOLATES = ["wfp-dispatcher-0", "wfp-dispatcher-1", "wfp-dispatcher-2"] as const;
const BROKEN = "wfp-dispatcher-broken";
const PROOF = "shared-rate-limit-test-proof-0123456789abcdefghij";

const echoTenant = `export default {
  fetch(request) {
    return Response.json({ path: new URL(request.url).pathname });
  },
};`;

// A counter whose every report fails, as an unreachable object does.
const brokenCounter = `import { DurableObject } from "cloudflare:workers";
export class RateLimitCounter extends DurableObject {
  sync() { throw new Error("counter down"); }
}
export default { fetch: () => new Response(null, { status: 404 }) };`;

let mf: Miniflare;
let routes: Awaited<ReturnType<Miniflare["getKVNamespace"]>>;

beforeAll(async () => {
  const host = staticTenantHost({ "tenant-echo": "tenant-echo" });
  const dispatcher = await bundleLocalDispatcher();
  const copy = (name: string, counters: { className: string; scriptName?: string }) => ({
    name,
    modules: true,
    script: dispatcher,
    compatibilityDate: COMPATIBILITY_DATE,
    kvNamespaces: { ROUTES: "routes" },
    durableObjects: { RATE_LIMITS: { ...counters, useSQLite: true } },
    bindings: { PLATFORM_HOSTS: "localhost,127.0.0.1" },
    serviceBindings: host.dispatcherBindings,
  });
  mf = new Miniflare({
    workers: [
      copy(ISOLATES[0], { className: "RateLimitCounter" }),
      copy(ISOLATES[1], { className: "RateLimitCounter", scriptName: ISOLATES[0] }),
      copy(ISOLATES[2], { className: "RateLimitCounter", scriptName: ISOLATES[0] }),
      copy(BROKEN, { className: "RateLimitCounter", scriptName: "broken-counter" }),
      {
        name: "broken-counter",
        modules: true,
        script: brokenCounter,
        compatibilityDate: COMPATIBILITY_DATE,
        durableObjects: { COUNTER: { className: "RateLimitCounter", useSQLite: true } },
      },
      host.worker,
      { name: "tenant-echo", modules: true, script: echoTenant, compatibilityDate: COMPATIBILITY_DATE },
    ],
  });
  routes = await mf.getKVNamespace("ROUTES", ISOLATES[0]);
});

afterAll(async () => {
  await mf?.dispose();
});

// Windows are whole minutes: a test needing one window waits for the next when few seconds remain.
beforeEach(async () => {
  const left = 60_000 - (Date.now() % 60_000);
  if (left < 10_000) await new Promise((resolve) => setTimeout(resolve, left + 100));
});

let tenantCounter = 0;
/** A tenant of its own per test (its own counter object) with these limits. */
async function tenantWith(requestsPerMinute: number, keyRequestsPerMinute: number): Promise<string> {
  const tenantId = `rl-${process.pid}-${++tenantCounter}`;
  const hostname = `${tenantId}.test`;
  await routes.put(
    `host:${hostname}`,
    JSON.stringify({
      tenantId,
      script: "tenant-echo",
      status: "active",
      plan: "standard",
      proof: PROOF,
      rateLimit: { requestsPerMinute, keyRequestsPerMinute },
      updatedAt: new Date().toISOString(),
    }),
  );
  return hostname;
}

function send(isolate: string, url: string, headers: Record<string, string> = {}): Promise<Response> {
  return mf.dispatchFetch(url, {
    headers: { ...headers, "MF-Route-Override": isolate },
  }) as unknown as Promise<Response>;
}

/** Sends `total` requests spread over the isolates, `parallel` at a time; answers the statuses. */
async function burst(
  isolates: readonly string[],
  url: string,
  total: number,
  parallel: number,
  headers: Record<string, string> = {},
): Promise<number[]> {
  const statuses: number[] = [];
  for (let sent = 0; sent < total; sent += parallel) {
    const round = Array.from({ length: Math.min(parallel, total - sent) }, (_, i) =>
      send(isolates[(sent + i) % isolates.length]!, url, headers).then(async (res) => {
        await res.arrayBuffer();
        return res.status;
      }),
    );
    statuses.push(...(await Promise.all(round)));
  }
  return statuses;
}

const count = (statuses: number[], status: number) => statuses.filter((s) => s === status).length;

describe("rate limits across isolates", () => {
  test("three isolates together admit the plan, and at most one allowance more per isolate", async () => {
    const limit = 200;
    const hostname = await tenantWith(limit, limit);
    const statuses = await burst(ISOLATES, `http://${hostname}/api/things`, 400, 6);
    const admitted = count(statuses, 200);
    expect(count(statuses, 200) + count(statuses, 429)).toBe(400);
    expect(admitted).toBeGreaterThanOrEqual(limit);
    expect(admitted).toBeLessThanOrEqual(limit + ISOLATES.length * allowanceOf(limit));
    // Each isolate alone would have admitted up to the limit: 600 in all.
  });

  test("a tiny limit holds too (an allowance of one request per isolate)", async () => {
    const hostname = await tenantWith(6, 6);
    const statuses = await burst(ISOLATES, `http://${hostname}/api/things`, 30, 3);
    expect(count(statuses, 200)).toBeGreaterThanOrEqual(6);
    expect(count(statuses, 200)).toBeLessThanOrEqual(6 + ISOLATES.length);
  });

  test("a key's limit holds across isolates; another key and the tenant keep their own", async () => {
    const keyLimit = 20;
    const hostname = await tenantWith(1_000, keyLimit);
    const url = `http://${hostname}/api/things`;
    const k1 = await burst(ISOLATES, url, 60, 3, { authorization: "Bearer wfp_k1_secret" });
    expect(count(k1, 200)).toBeGreaterThanOrEqual(keyLimit);
    expect(count(k1, 200)).toBeLessThanOrEqual(keyLimit + ISOLATES.length * allowanceOf(keyLimit));
    const k2 = await burst(ISOLATES, url, 6, 3, { authorization: "Bearer wfp_k2_secret" });
    expect(k2).toEqual([200, 200, 200, 200, 200, 200]);
    // Refused requests of k1 cost the tenant nothing: it has counted only what it admitted.
    const tenantOnly = await send(ISOLATES[1], url);
    expect(tenantOnly.status).toBe(200);
    const used = count(k1, 200) + 6 + 1;
    expect(Number(tenantOnly.headers.get("x-ratelimit-remaining"))).toBeGreaterThanOrEqual(1_000 - used - 3 * 10);
  });

  test("refusals have the 429 shapes and headers, in either API, from every isolate", async () => {
    const hostname = await tenantWith(3, 3);
    await burst(ISOLATES, `http://${hostname}/api/things`, 12, 3);
    for (const isolate of ISOLATES) {
      const api = await send(isolate, `http://${hostname}/api/things`, { "x-request-id": `rl-api-${isolate}` });
      expect(api.status).toBe(429);
      expect(await api.json()).toEqual({
        error: { code: "rate_limited", message: expect.any(String), requestId: `rl-api-${isolate}` },
      });
      const retryAfter = Number(api.headers.get("retry-after"));
      expect(retryAfter).toBeGreaterThanOrEqual(1);
      expect(retryAfter).toBeLessThanOrEqual(60);
      expect(api.headers.get("x-ratelimit-limit")).toBe("3");
      expect(api.headers.get("x-ratelimit-remaining")).toBe("0");
      expect(api.headers.get("x-ratelimit-reset")).toBe(String(retryAfter));

      const confluent = await send(isolate, `http://${hostname}/subjects`);
      expect(confluent.status).toBe(429);
      expect(confluent.headers.get("content-type")).toBe("application/vnd.schemaregistry.v1+json");
      expect(await confluent.json()).toEqual({ error_code: 429, message: expect.any(String) });
      expect(confluent.headers.get("x-ratelimit-remaining")).toBe("0");
      expect(Number(confluent.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
    }
  });

  test("an admitted answer carries the limit, what is left of it and the window's end", async () => {
    const hostname = await tenantWith(100, 100);
    const first = await send(ISOLATES[0], `http://${hostname}/api/things`);
    expect(first.status).toBe(200);
    expect(first.headers.get("x-ratelimit-limit")).toBe("100");
    expect(first.headers.get("x-ratelimit-remaining")).toBe("99");
    const reset = Number(first.headers.get("x-ratelimit-reset"));
    expect(reset).toBeGreaterThanOrEqual(1);
    expect(reset).toBeLessThanOrEqual(60);
  });

  test("when the counter object fails, each isolate falls back to the plan per isolate (fail open)", async () => {
    const hostname = await tenantWith(5, 5);
    const statuses = await burst([BROKEN], `http://${hostname}/api/things`, 9, 1);
    // The first request is decided before its report fails; from then on the isolate's own limiter
    // counts: the plan, and at most that one request more, then refusals.
    const admitted = count(statuses, 200);
    expect(admitted).toBeGreaterThanOrEqual(5);
    expect(admitted).toBeLessThanOrEqual(5 + allowanceOf(5));
    expect(statuses.slice(0, admitted).every((s) => s === 200)).toBe(true);
    expect(statuses.slice(admitted).every((s) => s === 429)).toBe(true);
  });
});
