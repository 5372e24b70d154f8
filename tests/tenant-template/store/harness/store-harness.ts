/**
 * Starts the store harness Worker (store-harness.worker.ts) in Miniflare: real workerd, one real
 * D1 database per name given, the tenant migrations applied to each. Each test file owns its
 * harness and each test its database or its own documents, so files run in any order.
 */
import { build } from "esbuild";
import { Miniflare } from "miniflare";
import { fileURLToPath } from "node:url";
import { WORKER_BUILD_OPTIONS } from "../../../../contracts/worker-build-options.ts";
import { applyMigrationsLocally, type LocalD1 } from "../../../../scripts/lib/local-migrations.ts";

const HARNESS_ENTRY = fileURLToPath(new URL("./store-harness.worker.ts", import.meta.url));

export interface HarnessResponse<T> {
  status: number;
  headers: Headers;
  json: T;
}

export interface StoreHarness {
  /** Calls the harness Worker bound to `database`. */
  call<T = Record<string, unknown>>(
    database: string,
    method: "GET" | "POST",
    path: string,
    body?: unknown,
    headers?: Record<string, string>,
  ): Promise<HarnessResponse<T>>;
  d1(database: string): Promise<LocalD1>;
  dispose(): Promise<void>;
}

/**
 * @example
 *   const harness = await startStoreHarness(["crud"]);
 *   const res = await harness.call("crud", "POST", "/c/products/insert", { body: { name: "p" } });
 */
export async function startStoreHarness(databases: readonly string[]): Promise<StoreHarness> {
  const result = await build({ ...WORKER_BUILD_OPTIONS, entryPoints: [HARNESS_ENTRY] });
  const code = result.outputFiles[0]?.text;
  if (code === undefined) throw new Error("esbuild produced no harness bundle");
  const mf = new Miniflare({
    workers: databases.map((database) => ({
      name: `harness-${database}`,
      modules: true,
      script: code,
      compatibilityDate: "2026-06-01",
      d1Databases: { DB: `store-test-${database}` },
    })),
  });
  await mf.ready;
  const d1 = (database: string) => mf.getD1Database("DB", `harness-${database}`);
  for (const database of databases) {
    await applyMigrationsLocally(await d1(database));
    const worker = await mf.getWorker(`harness-${database}`);
    const setup = await worker.fetch("http://harness/setup", { method: "POST" });
    if (setup.status !== 200) throw new Error(`harness setup failed: ${await setup.text()}`);
  }
  return {
    async call(database, method, path, body, headers = {}) {
      const worker = await mf.getWorker(`harness-${database}`);
      const init =
        body === undefined
          ? { method, headers }
          : { method, headers: { "content-type": "application/json", ...headers }, body: JSON.stringify(body) };
      const res = await worker.fetch(`http://harness${path}`, init);
      const text = await res.text();
      return { status: res.status, headers: new Headers(res.headers), json: JSON.parse(text) };
    },
    d1,
    dispose: () => mf.dispose(),
  };
}
