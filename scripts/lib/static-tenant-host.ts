/**
 * A stand-in for the local platform's tenant host (infra/local-platform/worker-shims/tenant-host.ts)
 * for suites and benchmarks that run the dispatcher with their own tenant Workers in one Miniflare
 * configuration: it answers the dispatch namespace shim's `dispatch(name, request)` from a fixed
 * table of Workers, and throws "Worker not found." for any other name, as the real host does.
 *
 * @example
 *   const host = staticTenantHost({ "tenant-a": "tenant-a" });
 *   new Miniflare({ workers: [{ ...dispatcher, serviceBindings: host.dispatcherBindings }, host.worker, tenantA] });
 */
import type { WorkerOptions } from "miniflare";
import { TENANTS_BINDING } from "../../infra/local-platform/dispatch-namespace-names.ts";

const HOST_NAME = "wfp-static-tenant-host";

/** `scripts`: script name in the namespace -> the Miniflare name of the Worker that runs it. */
export function staticTenantHost(
  scripts: Record<string, string>,
  compatibilityDate = "2026-06-01",
): { worker: WorkerOptions; dispatcherBindings: Record<string, { name: string; entrypoint: string }> } {
  const table = Object.fromEntries(Object.keys(scripts).map((script, index) => [script, `SCRIPT_${index}`]));
  const worker: WorkerOptions = {
    name: HOST_NAME,
    modules: true,
    compatibilityDate,
    script: `import { WorkerEntrypoint } from "cloudflare:workers";
const TABLE = ${JSON.stringify(table)};
export class Dispatch extends WorkerEntrypoint {
  dispatch(name, request) {
    const binding = Object.hasOwn(TABLE, name) ? TABLE[name] : undefined;
    if (binding === undefined) throw new Error("Worker not found.");
    return this.env[binding].fetch(request);
  }
}
export default { fetch: () => new Response(null, { status: 404 }) };`,
    serviceBindings: Object.fromEntries(Object.entries(scripts).map(([script, worker]) => [table[script], worker])),
  };
  return { worker, dispatcherBindings: { [TENANTS_BINDING]: { name: HOST_NAME, entrypoint: "Dispatch" } } };
}
