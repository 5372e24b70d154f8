/**
 * The Worker bundles tests and benchmarks run in Miniflare: exactly what the platform runs, built
 * by the same code (the provisioner's template build, the local platform's dispatcher build).
 */
import { fileURLToPath } from "node:url";
import { buildDispatcherWorker } from "../../infra/local-platform/dispatcher-worker.ts";
import { buildTemplate } from "../../provisioner/src/template-build.ts";

export const REPO_ROOT = fileURLToPath(new URL("../../", import.meta.url));
export const TENANT_MIGRATIONS_DIR = fileURLToPath(new URL("../../tenant-template/migrations/", import.meta.url));

/** The dispatcher as the local platform runs it: its own handler wrapped by the dispatch namespace shim. */
export async function bundleLocalDispatcher(): Promise<string> {
  return (await buildDispatcherWorker(REPO_ROOT)).code;
}

/** The tenant template's Worker, as every tenant runs it. */
export async function bundleTenantTemplate(): Promise<string> {
  return (await buildTemplate()).code;
}
