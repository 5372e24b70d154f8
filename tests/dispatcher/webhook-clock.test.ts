/**
 * The dispatcher's webhook clocks (contracts/webhook-pump.ts), in real workerd: the dispatcher as
 * the local platform runs it, its `WebhookClock` objects with real alarms, and a fake tenant Worker
 * that answers with the wake header and records every pump request it gets in KV. What the fake
 * tenant's pump answers is set per host by the test (`mode:<host>` in the same KV namespace). The
 * clocks retry after 200 ms here (WEBHOOK_CLOCK_RETRY_MS, WEBHOOK_CLOCK_HELD_MS) instead of 60 s and
 * 10 min; wakes are 200 ms ahead. Each test has its own tenant script (its own clock) and host.
 * Behaviour is asserted, never timings: waits are bounded polls; "no further pump" is judged over a
 * quiet window ten times the clock's shortest interval.
 */
import { Miniflare } from "miniflare";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { staticTenantHost } from "../../scripts/lib/static-tenant-host.ts";
import { bundleLocalDispatcher } from "../../scripts/lib/worker-bundles.ts";
import { WEBHOOK_PUMP_HEADER, WEBHOOK_PUMP_PATH, WEBHOOK_WAKE_HEADER } from "../../contracts/webhook-pump.ts";

const COMPATIBILITY_DATE = "2026-06-01";
const DISPATCHER = "wfp-dispatcher";
/** The same dispatcher without the WEBHOOK_CLOCKS binding. */
const UNCLOCKED = "wfp-dispatcher-unclocked";
const PROOF = "webhook-clock-test-proof-0123456789abcdefghij";
const SCRIPTS = Array.from({ length: 8 }, (_, i) => `tenant-${i + 1}`);
const WAKE_AHEAD_MS = 200;
const QUIET_MS = 2_000;
const DEADLINE_MS = 30_000;

/**
 * A tenant Worker: a client request gets `?wake=<ms ahead>` back as the wake header (verbatim when
 * it is not a number), with the id and rate-limit figures echoed so the dispatcher's fast path
 * would pass the answer on as it is. A pump request is recorded under `pump:<host>:<time>:<uuid>`
 * and answered as `mode:<host>` says: `again` (200, wake 200 ms ahead), `done` (200, no wake),
 * `more-once` (wake after the first pump, not after), `fail-first` (500 to the first pump, then done).
 */
const fakeTenant = `
const PUMP_PATH = ${JSON.stringify(WEBHOOK_PUMP_PATH)};
const WAKE = ${JSON.stringify(WEBHOOK_WAKE_HEADER)};
export default {
  async fetch(request, env) {
    const url = new URL(request.url);
    const host = url.hostname;
    if (url.pathname === PUMP_PATH) {
      const earlier = (await env.PUMPS.list({ prefix: "pump:" + host + ":" })).keys.length;
      const mode = (await env.PUMPS.get("mode:" + host)) ?? "done";
      const fail = mode === "fail-first" && earlier === 0;
      const again = mode === "again" || (mode === "more-once" && earlier === 0);
      const key = "pump:" + host + ":" + String(Date.now()).padStart(16, "0") + ":" + crypto.randomUUID();
      await env.PUMPS.put(key, JSON.stringify({
        method: request.method,
        path: url.pathname,
        headers: Object.fromEntries(request.headers),
        body: await request.text(),
      }));
      const headers = again ? { [WAKE]: String(Date.now() + ${WAKE_AHEAD_MS}) } : {};
      return new Response(fail ? "failed" : "delivered", { status: fail ? 500 : 200, headers });
    }
    const [limit, remaining, reset] = (request.headers.get("x-wfp-ratelimit") ?? "").split(",");
    const wake = url.searchParams.get("wake");
    const headers = {
      "x-request-id": request.headers.get("x-request-id") ?? "",
      "x-ratelimit-limit": limit ?? "",
      "x-ratelimit-remaining": remaining ?? "",
      "x-ratelimit-reset": reset ?? "",
    };
    if (wake !== null) headers[WAKE] = /^\\d+$/.test(wake) ? String(Date.now() + Number(wake)) : wake;
    return Response.json({ path: url.pathname }, { headers });
  },
};`;

interface RecordedPump {
  method: string;
  path: string;
  headers: Record<string, string>;
}

let mf: Miniflare;
let routes: Awaited<ReturnType<Miniflare["getKVNamespace"]>>;
let pumps: Awaited<ReturnType<Miniflare["getKVNamespace"]>>;

beforeAll(async () => {
  const host = staticTenantHost(Object.fromEntries(SCRIPTS.map((s) => [s, "fake-tenant"])));
  const script = await bundleLocalDispatcher();
  const dispatcher = (name: string, clocks: boolean) => ({
    name,
    modules: true,
    script,
    compatibilityDate: COMPATIBILITY_DATE,
    kvNamespaces: { ROUTES: "routes" },
    ...(clocks ? { durableObjects: { WEBHOOK_CLOCKS: { className: "WebhookClock", useSQLite: true } } } : {}),
    bindings: { PLATFORM_HOSTS: "localhost,127.0.0.1", WEBHOOK_CLOCK_RETRY_MS: "200", WEBHOOK_CLOCK_HELD_MS: "200" },
    serviceBindings: host.dispatcherBindings,
  });
  mf = new Miniflare({
    workers: [
      dispatcher(DISPATCHER, true),
      dispatcher(UNCLOCKED, false),
      host.worker,
      {
        name: "fake-tenant",
        modules: true,
        script: fakeTenant,
        compatibilityDate: COMPATIBILITY_DATE,
        kvNamespaces: { PUMPS: "pumps" },
      },
    ],
  });
  routes = await mf.getKVNamespace("ROUTES", DISPATCHER);
  pumps = await mf.getKVNamespace("PUMPS", "fake-tenant");
}, 60_000);

afterAll(async () => {
  await mf?.dispose();
});

let tenants = 0;
/** A tenant of the test's own (its own script, so its own clock) whose pumps answer as `mode` says. */
async function tenant(
  mode: "again" | "done" | "more-once" | "fail-first",
  residency?: "eu" | "uk",
): Promise<{ host: string; script: string }> {
  const script = SCRIPTS[tenants++]!;
  const host = `${script}-${process.pid}.test`;
  await pumps.put(`mode:${host}`, mode);
  await route(host, script, "active", residency);
  return { host, script };
}

async function route(
  host: string,
  script: string,
  status: "active" | "suspended",
  residency?: "eu" | "uk",
): Promise<void> {
  await routes.put(
    `host:${host}`,
    JSON.stringify({
      tenantId: script,
      script,
      status,
      plan: "standard",
      proof: PROOF,
      rateLimit: { requestsPerMinute: 100_000, keyRequestsPerMinute: 100_000 },
      ...(residency === undefined ? {} : { residency }),
    }),
  );
}

/** A client request whose answer asks for a pump `wake` ms ahead (or carries `wake` verbatim). */
async function request(host: string, wake: string, dispatcher = DISPATCHER): Promise<Response> {
  const response = (await mf.dispatchFetch(`http://${host}/things?wake=${wake}`, {
    headers: { "MF-Route-Override": dispatcher },
  })) as unknown as Response;
  await response.arrayBuffer();
  return response;
}

async function pumpsOf(host: string): Promise<RecordedPump[]> {
  const { keys } = await pumps.list({ prefix: `pump:${host}:` });
  return Promise.all(keys.map(async (k) => JSON.parse((await pumps.get(k.name, "text")) ?? "null") as RecordedPump));
}

const pumpCount = async (host: string) => (await pumpsOf(host)).length;

/** Polls until `count` pumps (at least) reached `host`; fails at the deadline. */
async function pumpsReach(host: string, count: number): Promise<void> {
  const deadline = Date.now() + DEADLINE_MS;
  while ((await pumpCount(host)) < count) {
    if (Date.now() > deadline) throw new Error(`${host}: fewer than ${count} pumps within ${DEADLINE_MS} ms`);
    await sleep(50);
  }
}

/** Polls until no pump reaches `host` for a quiet window; answers the count then. Fails at the deadline. */
async function pumpsSettle(host: string): Promise<number> {
  const deadline = Date.now() + DEADLINE_MS;
  let count = await pumpCount(host);
  for (;;) {
    await sleep(QUIET_MS);
    const now = await pumpCount(host);
    if (now === count) return now;
    if (Date.now() > deadline) throw new Error(`${host}: pumps kept coming for ${DEADLINE_MS} ms`);
    count = now;
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe("webhook clocks", () => {
  test("the wake header never reaches the client; the pump is a POST with the proof and the pump header", async () => {
    const { host } = await tenant("done");
    const response = await request(host, String(WAKE_AHEAD_MS));
    expect(response.status).toBe(200);
    expect(response.headers.get(WEBHOOK_WAKE_HEADER)).toBeNull();
    expect(response.headers.get("x-request-id")).not.toBeNull();
    await pumpsReach(host, 1);
    const [pump] = await pumpsOf(host);
    expect(pump).toMatchObject({ method: "POST", path: WEBHOOK_PUMP_PATH });
    expect(pump!.headers["x-wfp-proof"]).toBe(PROOF);
    expect(pump!.headers[WEBHOOK_PUMP_HEADER]).toBe("1");
    expect(pump!.headers["x-request-id"]).toMatch(/^[0-9a-f-]{36}$/);
  });

  test("a pump answered with a wake header is followed by another; one answered without it, by none", async () => {
    const { host } = await tenant("more-once");
    await request(host, String(WAKE_AHEAD_MS));
    await pumpsReach(host, 2);
    expect(await pumpsSettle(host)).toBe(2);
  });

  test("an eu or uk tenant's clock (in the eu jurisdiction) pumps as any other", async () => {
    for (const residency of ["eu", "uk"] as const) {
      const { host } = await tenant("more-once", residency);
      await request(host, String(WAKE_AHEAD_MS));
      await pumpsReach(host, 2);
      expect(await pumpsSettle(host)).toBe(2);
    }
  });

  test("a pump answered with 500 is tried again", async () => {
    const { host } = await tenant("fail-first");
    await request(host, String(WAKE_AHEAD_MS));
    await pumpsReach(host, 2);
    expect(await pumpsSettle(host)).toBe(2);
  });

  test("a deleted route record stops the clock: no pump once the route is back, until a new wake", async () => {
    const { host, script } = await tenant("again");
    await request(host, String(WAKE_AHEAD_MS));
    await pumpsReach(host, 2);
    await routes.delete(`host:${host}`);
    const stopped = await pumpsSettle(host);
    // Back, but nothing woke the clock: a clock that had only paused would pump again now.
    await route(host, script, "active");
    expect(await pumpsSettle(host)).toBe(stopped);
    // A new wake starts it again (and the tenant now says it is done).
    await pumps.put(`mode:${host}`, "done");
    await request(host, "0");
    await pumpsReach(host, stopped + 1);
  });

  test("a suspended tenant is not pumped, and is pumped again once active", async () => {
    const { host, script } = await tenant("again");
    await request(host, String(WAKE_AHEAD_MS));
    await pumpsReach(host, 2);
    await route(host, script, "suspended");
    const held = await pumpsSettle(host);
    // Still suspended after several of the clock's retries: not one pump.
    await sleep(QUIET_MS);
    expect(await pumpCount(host)).toBe(held);
    await route(host, script, "active");
    await pumpsReach(host, held + 1);
    await pumps.put(`mode:${host}`, "done");
    await pumpsSettle(host);
  });

  test("without WEBHOOK_CLOCKS, or with a wake that is no time, the header is removed and nothing pumps", async () => {
    const { host } = await tenant("done");
    const unclocked = await request(host, String(WAKE_AHEAD_MS), UNCLOCKED);
    expect(unclocked.status).toBe(200);
    expect(unclocked.headers.get(WEBHOOK_WAKE_HEADER)).toBeNull();
    const garbled = await request(host, "soon");
    expect(garbled.status).toBe(200);
    expect(garbled.headers.get(WEBHOOK_WAKE_HEADER)).toBeNull();
    expect(await pumpsSettle(host)).toBe(0);
  });
});
