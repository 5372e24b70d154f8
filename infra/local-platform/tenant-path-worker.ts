/**
 * Bundles the local platform's front Worker for the path form (worker-shims/tenant-path.ts) into
 * one module for workerd, the way the dispatcher is bundled.
 */
import { build } from "esbuild";
import { fileURLToPath } from "node:url";
import { WORKER_BUILD_OPTIONS } from "../../contracts/worker-build-options.ts";

/** @example const code = await buildTenantPathWorker() */
export async function buildTenantPathWorker(): Promise<string> {
  const result = await build({
    ...WORKER_BUILD_OPTIONS,
    entryPoints: [fileURLToPath(new URL("./worker-shims/tenant-path.ts", import.meta.url))],
  });
  return result.outputFiles[0]!.text;
}
