import type { RouteRecord } from "../../contracts/route-record.ts";

/**
 * The tenant's user Worker in the dispatch namespace, with the limits its route record names (none:
 * the namespace's defaults). Lazy, as `get()` is: a missing script fails on `fetch()`.
 *
 * @example
 *   const response = await tenantWorker(env.DISPATCHER, record).fetch(request);
 */
export function tenantWorker(namespace: DispatchNamespace, record: RouteRecord): Fetcher {
  return namespace.get(record.script, {}, record.limits === undefined ? undefined : { limits: record.limits });
}
