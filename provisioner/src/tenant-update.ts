/**
 * `tenant update`: change an existing tenant's plan, rate limit, CORS origins or cache mode; what
 * is not given stays as it is. Plan, rate limit and CORS live in the route records (the dispatcher
 * reads them; its cache keeps a record up to 10 s), so those are the record then each route record,
 * with no build and no upload. The cache mode is the Worker's CACHE_MODE variable, so `--cache`
 * converges the tenant with create's steps instead (which uploads the Worker built from this
 * checkout's template, as a re-run of create does).
 */
import { StepRunner, type ProgressListener, type StepDone } from "./progress.ts";
import { readRouteRecord, routeOwnerOf, sameRoute, writeRouteRecord } from "./route-record-store.ts";
import { activeRecord } from "./tenant-domains.ts";
import { createTenant, routeRecordFor, takeLease, type TenantDeps } from "./tenant.ts";
import { tenantNames } from "./tenant-names.ts";
import { writeTenantRecord } from "./tenant-record-store.ts";
import { type ResolvedTenantSpec, parseTenantId, type TenantChanges } from "./tenant-spec.ts";
import { StateConflictError } from "./errors.ts";

export interface TenantUpdate {
  id: string;
  changed: boolean;
  spec: ResolvedTenantSpec;
  steps: StepDone[];
}

/**
 * Apply changes to an existing, active tenant.
 *
 * @example
 *   await updateTenant("acme", { requestsPerMinute: 100 }, { target });
 */
export async function updateTenant(
  id: string,
  changes: TenantChanges,
  deps: TenantDeps,
  onProgress?: ProgressListener,
): Promise<TenantUpdate> {
  const tenantId = parseTenantId(id);
  const { target } = deps;
  if (changes.cacheMode !== undefined) {
    const record = await activeRecord(target, tenantId);
    if (record.spec.cacheMode !== changes.cacheMode) {
      const result = await createTenant({ id: tenantId, domains: record.spec.domains, ...changes }, deps, onProgress);
      return { id: tenantId, changed: result.changed, spec: result.spec!, steps: result.steps };
    }
  }
  const now = deps.now ?? (() => new Date());
  const names = tenantNames(tenantId);
  const steps = new StepRunner(onProgress);
  const lease = await takeLease(target, tenantId, "update", steps, deps.lease);
  try {
    const record = await activeRecord(target, tenantId);
    const proof = record.dispatchProof;
    if (proof === undefined) {
      throw new StateConflictError(`tenant '${tenantId}' predates dispatch proofs: re-run create first`);
    }
    const spec: ResolvedTenantSpec = {
      ...record.spec,
      ...(changes.plan !== undefined ? { plan: changes.plan } : {}),
      ...(changes.corsOrigins !== undefined ? { corsOrigins: changes.corsOrigins } : {}),
      ...(changes.requestsPerMinute !== undefined ? { requestsPerMinute: changes.requestsPerMinute } : {}),
    };
    await steps.run("tenant-record", `Tenant record ${names.tenantKey}`, async () => {
      if (JSON.stringify(spec) === JSON.stringify(record.spec)) {
        return { value: undefined, outcome: "unchanged", detail: describe(spec) };
      }
      await writeTenantRecord(target, { ...record, spec, updatedAt: now().toISOString() });
      return { value: undefined, outcome: "written", detail: describe(spec) };
    });
    for (const hostname of spec.domains) {
      await steps.run("route-record", `Route host:${hostname}`, async () => {
        const lookup = await readRouteRecord(target, hostname);
        const owner = routeOwnerOf(lookup);
        if (owner !== undefined && owner !== tenantId) {
          return { value: undefined, outcome: "skipped", detail: `routed to tenant '${owner}', left alone` };
        }
        const status = record.suspension || (lookup.kind === "route" && lookup.record.status === "suspended");
        const desired = routeRecordFor(spec, proof, status ? "suspended" : "active", now());
        if (lookup.kind === "route" && sameRoute(lookup.record, desired)) {
          return { value: undefined, outcome: "unchanged", detail: describe(spec) };
        }
        await writeRouteRecord(target, hostname, desired);
        return { value: undefined, outcome: "written", detail: describe(spec) };
      });
    }
    return { id: tenantId, changed: steps.changedAnything(), spec, steps: steps.done };
  } finally {
    await lease.release();
  }
}

function describe(spec: ResolvedTenantSpec): string {
  const rate = spec.requestsPerMinute === undefined ? "the plan's rate limit" : `${spec.requestsPerMinute}/min`;
  const cors = spec.corsOrigins.length > 0 ? `CORS ${spec.corsOrigins.join(" ")}` : "no CORS origins";
  return `plan ${spec.plan}, ${rate}, ${cors}`;
}
