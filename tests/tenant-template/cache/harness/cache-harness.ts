/**
 * Starts the cache harness Worker (cache-harness.worker.ts) twice in Miniflare, as tenant `on`
 * (CACHE_MODE "on") and tenant `off` (CACHE_MODE "off"), both bound to the SAME real D1 database
 * (migrations applied) and the SAME real KV namespace, so a test can compare the two modes on the
 * same data and inspect or plant KV entries by hand.
 */
import { build } from "esbuild";
import { Miniflare } from "miniflare";
import { fileURLToPath } from "node:url";
import { WORKER_BUILD_OPTIONS } from "../../../../contracts/worker-build-options.ts";
import { applyMigrationsLocally } from "../../../../scripts/lib/local-migrations.ts";

const ENTRY = fileURLToPath(new URL("./cache-harness.worker.ts", import.meta.url));

export type CacheMode = "on" | "off";

export interface CacheHarness {
  call<T>(
    mode: CacheMode,
    method: "GET" | "POST",
    path: string,
    body?: unknown,
    headers?: Record<string, string>,
  ): Promise<{ status: number; headers: Headers; json: T }>;
  kv(): Promise<Awaited<ReturnType<Miniflare["getKVNamespace"]>>>;
  dispose(): Promise<void>;
}

/**
 * @example
 *   const harness = await startCacheHarness();
 *   const res = await harness.call("on", "GET", "/c/products/<id>");
 */
export async function startCacheHarness(): Promise<CacheHarness> {
  const result = await build({ ...WORKER_BUILD_OPTIONS, entryPoints: [ENTRY] });
  const code = result.outputFiles[0]?.text;
  if (code === undefined) throw new Error("esbuild produced no cache harness bundle");
  const worker = (mode: CacheMode) => ({
    name: `cache-${mode}`,
    modules: true,
    script: code,
    compatibilityDate: "2026-06-01",
    d1Databases: { DB: "cache-test-db" },
    kvNamespaces: { CACHE: "cache-test-kv" },
    bindings: { CACHE_MODE: mode },
  });
  const mf = new Miniflare({ workers: [worker("on"), worker("off")] });
  await mf.ready;
  await applyMigrationsLocally(await mf.getD1Database("DB", "cache-on"));
  return {
    async call(mode, method, path, body, headers = {}) {
      const target = await mf.getWorker(`cache-${mode}`);
      const init =
        body === undefined
          ? { method, headers }
          : { method, headers: { "content-type": "application/json", ...headers }, body: JSON.stringify(body) };
      const res = await target.fetch(`http://harness${path}`, init);
      return { status: res.status, headers: new Headers(res.headers), json: JSON.parse(await res.text()) };
    },
    kv: () => mf.getKVNamespace("CACHE", "cache-on"),
    dispose: () => mf.dispose(),
  };
}
