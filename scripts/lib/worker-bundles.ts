/**
 * Builds Worker bundles in memory with esbuild, for the tests and benchmarks that run them in
 * Miniflare. (The provisioner has its own build for uploads; this one only needs to be faithful.)
 */
import { build } from "esbuild";
import { fileURLToPath } from "node:url";

export const REPO_ROOT = fileURLToPath(new URL("../../", import.meta.url));
export const DISPATCHER_ENTRY = fileURLToPath(new URL("../../dispatcher/src/index.ts", import.meta.url));
export const DISPATCH_SHIM = fileURLToPath(new URL("../../infra/local-platform/worker-shims/dispatch-namespace.ts", import.meta.url));
export const TENANT_TEMPLATE_ENTRY = fileURLToPath(new URL("../../tenant-template/src/index.ts", import.meta.url));
export const TENANT_MIGRATIONS_DIR = fileURLToPath(new URL("../../tenant-template/migrations/", import.meta.url));

/**
 * Bundles TypeScript module source into one ES module for workerd.
 *
 * @example
 *   const code = await bundleWorker({ contents: 'export { default } from "./tenant-template/src/index.ts"' });
 */
export async function bundleWorker({ contents, resolveDir = REPO_ROOT }: { contents: string; resolveDir?: string }): Promise<string> {
  const result = await build({
    stdin: { contents, resolveDir, loader: "ts", sourcefile: "worker-entry.ts" },
    bundle: true,
    write: false,
    format: "esm",
    platform: "neutral",
    target: "es2022",
    conditions: ["workerd", "worker", "browser"],
    mainFields: ["module", "main"],
    logLevel: "silent",
  });
  const output = result.outputFiles[0];
  if (output === undefined) throw new Error("esbuild produced no output");
  return output.text;
}

/** The dispatcher as the local platform runs it: its own handler wrapped by the dispatch namespace shim. */
export function bundleLocalDispatcher(): Promise<string> {
  return bundleWorker({
    contents: [
      `import dispatcher from ${JSON.stringify(DISPATCHER_ENTRY)};`,
      `import { withLocalDispatchNamespace } from ${JSON.stringify(DISPATCH_SHIM)};`,
      `export default withLocalDispatchNamespace(dispatcher, "DISPATCHER");`,
    ].join("\n"),
  });
}

/** The tenant template's Worker, as every tenant runs it. */
export function bundleTenantTemplate(): Promise<string> {
  return bundleWorker({ contents: `export { default } from ${JSON.stringify(TENANT_TEMPLATE_ENTRY)};` });
}
