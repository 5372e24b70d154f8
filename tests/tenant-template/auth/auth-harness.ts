/**
 * The tenant template in Miniflare (real workerd, real D1 with every migration), called with full
 * control over the credentials: `key` is sent as a Bearer key, `headers.authorization` replaces
 * it, and `key: null` sends no Authorization header at all. Each test file owns its harness.
 *
 * `callMany` sends a batch through a small driver Worker in the same workerd, which calls the
 * tenant over a service binding several at a time: no HTTP round trip from Node per request, so a
 * test can make thousands of requests in a few seconds on two cores.
 */
import { Miniflare, type WorkerOptions } from "miniflare";
import { applyMigrationsLocally, type LocalD1 } from "../../../scripts/lib/local-migrations.ts";
import { bundleTenantTemplate } from "../../../scripts/lib/worker-bundles.ts";
import { COUNTING_WRAPPER } from "./d1-round-trips.ts";
import { TEST_ADMIN_KEY, tenantRequestHeaders, tenantSecretBindings } from "../../support/tenant-credentials.ts";

export interface Reply<T = Record<string, unknown>> {
  status: number;
  headers: Headers;
  text: string;
  /** The parsed body (undefined when it is not JSON). */
  json: T;
}

export interface CallOptions {
  /** A whole key sent as Bearer; the test admin key by default; null: no Authorization. */
  key?: string | null;
  body?: unknown;
  headers?: Record<string, string>;
}

/** One request of a batch: `call`'s arguments as one object. */
export interface BatchRequest extends CallOptions {
  method: string;
  path: string;
}

export interface AuthHarnessOptions {
  /** More Workers in the same Miniflare instance (e.g. a route table); reach them with `worker(name)`. */
  extraWorkers?: (WorkerOptions & { name: string })[];
  /** Wrap the tenant so each reply counts its D1 round trips (`ROUND_TRIPS_HEADER`, d1-round-trips.ts). */
  countRoundTrips?: boolean;
  /** More env vars for the tenant, e.g. `WEBHOOK_ALLOW_LOOPBACK` (as the local platform sets it). */
  bindings?: Record<string, string>;
}

export interface AuthHarness {
  call<T = Record<string, unknown>>(method: string, path: string, options?: CallOptions): Promise<Reply<T>>;
  /** The replies to `requests`, in order; `concurrency` of them in flight at a time (8 by default). */
  callMany(requests: readonly BatchRequest[], concurrency?: number): Promise<Reply[]>;
  /** One of `extraWorkers`, to fetch from. */
  worker(name: string): Promise<{ fetch(url: string, init?: RequestInit): Promise<Response> }>;
  d1(): Promise<LocalD1>;
  dispose(): Promise<void>;
}

const TENANT_WORKER = "tenant";
const DRIVER_WORKER = "batch-driver";
/** Requests per driver call: well under any per-request subrequest bound. */
const BATCH_CHUNK = 200;

/** Takes `{ origin, requests, concurrency }`, answers `[{ status, headers, text }]` in the same order. */
const DRIVER_SCRIPT = `
export default {
  async fetch(request, env) {
    const { origin, requests, concurrency } = await request.json();
    const results = new Array(requests.length);
    let next = 0;
    async function lane() {
      while (next < requests.length) {
        const index = next++;
        const { method, path, headers, body } = requests[index];
        const res = await env.TENANT.fetch(origin + path, { method, headers, body: body ?? undefined });
        results[index] = { status: res.status, headers: [...res.headers], text: await res.text() };
      }
    }
    await Promise.all(Array.from({ length: Math.max(1, concurrency) }, lane));
    return Response.json(results);
  },
};`;

/**
 * @example
 *   const h = await startAuthHarness("keys");
 *   await h.call("GET", "/api/products", { key: null }); // 401
 *   await h.callMany([{ method: "GET", path: "/subjects" }, { method: "GET", path: "/api/stats", key: null }]);
 */
export async function startAuthHarness(database: string, options: AuthHarnessOptions = {}): Promise<AuthHarness> {
  const mf = new Miniflare({
    workers: [
      {
        name: TENANT_WORKER,
        ...(options.countRoundTrips
          ? {
              modules: [
                { type: "ESModule" as const, path: "wrapper.js", contents: COUNTING_WRAPPER },
                { type: "ESModule" as const, path: "tenant.js", contents: await bundleTenantTemplate() },
              ],
            }
          : { modules: true, script: await bundleTenantTemplate() }),
        compatibilityDate: "2026-06-01",
        d1Databases: { DB: `auth-test-${database}` },
        kvNamespaces: { CACHE: `auth-test-${database}-cache` },
        bindings: {
          TENANT_ID: database,
          TEMPLATE_VERSION: "test",
          RESIDENCY: "global",
          CACHE_MODE: "off",
          ...tenantSecretBindings(),
          ...options.bindings,
        },
      },
      {
        name: DRIVER_WORKER,
        modules: true,
        script: DRIVER_SCRIPT,
        compatibilityDate: "2026-06-01",
        serviceBindings: { TENANT: TENANT_WORKER },
      },
      ...(options.extraWorkers ?? []),
    ],
  });
  await mf.ready;
  const d1 = () => mf.getD1Database("DB", TENANT_WORKER);
  await applyMigrationsLocally(await d1());
  const origin = `http://registry.${database}.test`;
  const sent = ({ key = TEST_ADMIN_KEY, body, headers = {} }: CallOptions) => {
    const all: Record<string, string> = { ...tenantRequestHeaders(key), ...headers };
    if (body !== undefined) all["content-type"] ??= "application/json";
    return { headers: all, body: body === undefined ? null : typeof body === "string" ? body : JSON.stringify(body) };
  };
  return {
    async call(method, path, callOptions = {}) {
      const { headers, body } = sent(callOptions);
      const res = await mf.dispatchFetch(`${origin}${path}`, { method, headers, ...(body === null ? {} : { body }) });
      return reply(res.status, [...res.headers], await res.text());
    },
    async callMany(requests, concurrency = 8) {
      const driver = await mf.getWorker(DRIVER_WORKER);
      const replies: Reply[] = [];
      for (let start = 0; start < requests.length; start += BATCH_CHUNK) {
        const chunk = requests.slice(start, start + BATCH_CHUNK).map((request) => ({
          method: request.method,
          path: request.path,
          ...sent(request),
        }));
        const res = await driver.fetch("http://driver/", {
          method: "POST",
          body: JSON.stringify({ origin, requests: chunk, concurrency }),
        });
        if (res.status !== 200) throw new Error(`batch driver answered ${res.status}: ${await res.text()}`);
        const answers = (await res.json()) as { status: number; headers: [string, string][]; text: string }[];
        for (const answer of answers) replies.push(reply(answer.status, answer.headers, answer.text));
      }
      return replies;
    },
    async worker(name) {
      const fetcher = await mf.getWorker(name);
      return { fetch: (url, init) => fetcher.fetch(url, init as never) as unknown as Promise<Response> };
    },
    d1,
    dispose: () => mf.dispose(),
  };
}

function reply<T>(status: number, headers: [string, string][], text: string): Reply<T> {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status, headers: new Headers(headers), text, json: json as T };
}
