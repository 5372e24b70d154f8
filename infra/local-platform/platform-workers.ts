/**
 * Bundles the local platform's own Workers (worker-shims/) into single modules for workerd, the
 * way the dispatcher is bundled.
 */
import { build } from "esbuild";
import { fileURLToPath } from "node:url";
import { WORKER_BUILD_OPTIONS } from "../../contracts/worker-build-options.ts";

async function bundle(shim: string): Promise<string> {
  const result = await build({
    ...WORKER_BUILD_OPTIONS,
    entryPoints: [fileURLToPath(new URL(`./worker-shims/${shim}`, import.meta.url))],
  });
  return result.outputFiles[0]!.text;
}

/** The front Worker of the path form. @example const code = await buildTenantPathWorker() */
export function buildTenantPathWorker(): Promise<string> {
  return bundle("tenant-path.ts");
}

/**
 * The tenant host, and the module it loads into every tenant Worker beside the tenant's own.
 *
 * @example const { code, tenantBindings } = await buildTenantHostWorker()
 */
export async function buildTenantHostWorker(): Promise<{ code: string; tenantBindings: string }> {
  const [code, tenantBindings] = await Promise.all([bundle("tenant-host.ts"), bundle("tenant-bindings.ts")]);
  return { code, tenantBindings };
}

/**
 * The dispatch namespace shim as a module of its own, which the zone's Worker imports beside the
 * uploaded dispatcher's unchanged modules.
 *
 * @example const shim = await buildDispatchNamespaceShim() // exports withLocalDispatchNamespace
 */
export function buildDispatchNamespaceShim(): Promise<string> {
  return bundle("dispatch-namespace.ts");
}

/**
 * The local Workers Analytics Engine binding as a module of its own, imported by the zone's Worker
 * when its upload binds a dataset.
 *
 * @example const shim = await buildAnalyticsEngineShim() // exports withLocalAnalyticsEngine
 */
export function buildAnalyticsEngineShim(): Promise<string> {
  return bundle("analytics-engine.ts");
}
