/**
 * Runs the tenant template Worker, exactly as tenants run it, in Miniflare (real workerd) with one
 * real D1 database per name given and every tenant migration applied, and calls it over HTTP the
 * way the dispatcher does. Each test file owns its harness; tests own their databases or data.
 */
import { Miniflare } from "miniflare";
import { applyMigrationsLocally, type LocalD1 } from "../../../scripts/lib/local-migrations.ts";
import { bundleTenantTemplate } from "../../../scripts/lib/worker-bundles.ts";
import { tenantRequestHeaders, tenantSecretBindings } from "../../support/tenant-credentials.ts";

export interface ApiResponse<T = Record<string, unknown>> {
  status: number;
  headers: Headers;
  text: string;
  /** The parsed body (undefined when it is not JSON). */
  json: T;
}

export interface RegistryHarness {
  /** One request to the tenant Worker bound to `database`; `body` is sent as JSON unless it is a string. */
  call<T = Record<string, unknown>>(
    database: string,
    method: string,
    path: string,
    body?: unknown,
    headers?: Record<string, string>,
  ): Promise<ApiResponse<T>>;
  d1(database: string): Promise<LocalD1>;
  /** The tenant's read-cache KV namespace (`CACHE`), to inspect or plant entries by hand. */
  kv(database: string): Promise<Awaited<ReturnType<Miniflare["getKVNamespace"]>>>;
  dispose(): Promise<void>;
}

export interface RegistryHarnessOptions {
  /** The Workers' `CACHE_MODE`: "off" (default) reads D1 only; "on" answers item reads from KV when it can. */
  cacheMode?: "on" | "off";
}

/**
 * @example
 *   const api = await startRegistryHarness(["crud"]);
 *   const res = await api.call("crud", "POST", "/api/products", { name: "Shop" });
 */
export async function startRegistryHarness(
  databases: readonly string[],
  options: RegistryHarnessOptions = {},
): Promise<RegistryHarness> {
  const code = await bundleTenantTemplate();
  const mf = new Miniflare({
    workers: databases.map((database) => ({
      name: `tenant-${database}`,
      modules: true,
      script: code,
      compatibilityDate: "2026-06-01",
      d1Databases: { DB: `registry-test-${database}` },
      kvNamespaces: { CACHE: `registry-test-${database}-cache` },
      bindings: {
        TENANT_ID: database,
        TEMPLATE_VERSION: "test",
        RESIDENCY: "global",
        CACHE_MODE: options.cacheMode ?? "off",
        ...tenantSecretBindings(),
      },
    })),
  });
  await mf.ready;
  const d1 = (database: string) => mf.getD1Database("DB", `tenant-${database}`);
  for (const database of databases) await applyMigrationsLocally(await d1(database));
  return {
    async call(database, method, path, body, headers = {}) {
      const worker = await mf.getWorker(`tenant-${database}`);
      const init: { method: string; headers: Record<string, string>; body?: string } = {
        method,
        headers: { ...tenantRequestHeaders(), ...headers },
      };
      if (body !== undefined) {
        init.body = typeof body === "string" ? body : JSON.stringify(body);
        init.headers = { ...tenantRequestHeaders(), "content-type": "application/json", ...headers };
      }
      const res = await worker.fetch(`http://registry.${database}.test${path}`, init);
      const text = await res.text();
      let json: unknown;
      try {
        json = JSON.parse(text);
      } catch {
        json = undefined;
      }
      return { status: res.status, headers: new Headers(res.headers), text, json: json as never };
    },
    d1,
    kv: (database) => mf.getKVNamespace("CACHE", `tenant-${database}`),
    dispose: () => mf.dispose(),
  };
}
