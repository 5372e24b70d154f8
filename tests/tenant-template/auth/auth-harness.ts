/**
 * The tenant template in Miniflare (real workerd, real D1 with every migration), called with full
 * control over the credentials: `key` is sent as a Bearer key, `headers.authorization` replaces
 * it, and `key: null` sends no Authorization header at all. Each test file owns its harness.
 */
import { Miniflare } from "miniflare";
import { applyMigrationsLocally, type LocalD1 } from "../../../scripts/lib/local-migrations.ts";
import { bundleTenantTemplate } from "../../../scripts/lib/worker-bundles.ts";
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

export interface AuthHarness {
  call<T = Record<string, unknown>>(method: string, path: string, options?: CallOptions): Promise<Reply<T>>;
  d1(): Promise<LocalD1>;
  dispose(): Promise<void>;
}

/**
 * @example
 *   const h = await startAuthHarness("keys");
 *   await h.call("GET", "/api/products", { key: null }); // 401
 */
export async function startAuthHarness(database: string): Promise<AuthHarness> {
  const mf = new Miniflare({
    modules: true,
    script: await bundleTenantTemplate(),
    compatibilityDate: "2026-06-01",
    d1Databases: { DB: `auth-test-${database}` },
    kvNamespaces: { CACHE: `auth-test-${database}-cache` },
    bindings: {
      TENANT_ID: database,
      TEMPLATE_VERSION: "test",
      RESIDENCY: "global",
      CACHE_MODE: "off",
      ...tenantSecretBindings(),
    },
  });
  await mf.ready;
  const d1 = () => mf.getD1Database("DB");
  await applyMigrationsLocally(await d1());
  return {
    async call(method, path, { key = TEST_ADMIN_KEY, body, headers = {} } = {}) {
      const sent: Record<string, string> = { ...tenantRequestHeaders(key), ...headers };
      if (body !== undefined) sent["content-type"] ??= "application/json";
      const res = await mf.dispatchFetch(`http://registry.${database}.test${path}`, {
        method,
        headers: sent,
        ...(body === undefined ? {} : { body: typeof body === "string" ? body : JSON.stringify(body) }),
      });
      const text = await res.text();
      let json: unknown;
      try {
        json = JSON.parse(text);
      } catch {
        json = undefined;
      }
      return { status: res.status, headers: new Headers([...res.headers]), text, json: json as never };
    },
    d1,
    dispose: () => mf.dispose(),
  };
}
