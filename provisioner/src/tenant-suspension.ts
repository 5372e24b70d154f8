/**
 * `tenant suspend` / `tenant resume`: the dispatcher answers 403 `tenant_suspended` for every
 * hostname of a suspended tenant; its data, Worker and keys are untouched. Three places say it, in
 * this order (so a run stopped anywhere is finished by running the same command again, and a
 * `tenant create` meanwhile keeps what the record says):
 *   the tenant record's `suspension` -> each route record's `status` (what the dispatcher reads)
 *   -> the script's `suspended` tag (what the fleet counts from one listing by tag).
 */
import { TenantNotFoundError } from "./errors.ts";
import { StepRunner, type ProgressListener, type StepDone } from "./progress.ts";
import { readRouteRecord, routeOwnerOf, writeRouteRecord } from "./route-record-store.ts";
import { takeLease, type TenantDeps } from "./tenant.ts";
import { SUSPENDED_TAG, tenantNames } from "./tenant-names.ts";
import { readTenantRecord, writeTenantRecord } from "./tenant-record-store.ts";
import { parseTenantId } from "./tenant-spec.ts";
import { addWorkerScriptTag, removeWorkerScriptTag } from "./worker-script.ts";

export interface SuspensionResult {
  id: string;
  status: "suspended" | "active";
  /** Why it is suspended (`--reason`), when suspended with one. */
  reason: string | null;
  /** When it was suspended (kept through repeated suspends). */
  since?: string;
  /** False when the tenant already was as asked. */
  changed: boolean;
  steps: StepDone[];
}

/**
 * Suspend a tenant: its hostnames answer 403 `tenant_suspended`. Idempotent; a reason given again
 * replaces the old one, none keeps it.
 *
 * @example
 *   await suspendTenant("acme", { reason: "unpaid invoice" }, { target });
 */
export async function suspendTenant(
  id: string,
  options: { reason?: string },
  deps: TenantDeps,
  onProgress?: ProgressListener,
): Promise<SuspensionResult> {
  return withLease(id, "suspend", deps, onProgress, (tenantId, steps) =>
    applySuspension(tenantId, true, options.reason, deps, steps),
  );
}

/**
 * Resume a suspended tenant (idempotent: an active one is left as it is).
 *
 * @example
 *   await resumeTenant("acme", { target });
 */
export async function resumeTenant(
  id: string,
  deps: TenantDeps,
  onProgress?: ProgressListener,
): Promise<SuspensionResult> {
  return withLease(id, "resume", deps, onProgress, (tenantId, steps) =>
    applySuspension(tenantId, false, undefined, deps, steps),
  );
}

async function withLease<T>(
  id: string,
  operation: "suspend" | "resume",
  deps: TenantDeps,
  onProgress: ProgressListener | undefined,
  body: (tenantId: string, steps: StepRunner) => Promise<T>,
): Promise<T> {
  const tenantId = parseTenantId(id);
  const steps = new StepRunner(onProgress);
  const lease = await takeLease(deps.target, tenantId, operation, steps, deps.lease);
  try {
    return await body(tenantId, steps);
  } finally {
    await lease.release();
  }
}

async function applySuspension(
  tenantId: string,
  suspend: boolean,
  reason: string | undefined,
  deps: TenantDeps,
  steps: StepRunner,
): Promise<SuspensionResult> {
  const { target } = deps;
  const now = deps.now ?? (() => new Date());
  const names = tenantNames(tenantId);
  const record = await readTenantRecord(target, tenantId);
  if (!record) throw new TenantNotFoundError(tenantId);

  const before = record.suspension;
  const suspension = suspend
    ? { reason: reason ?? before?.reason ?? null, since: before?.since ?? now().toISOString() }
    : undefined;
  await steps.run("tenant-record", `Tenant record ${names.tenantKey}`, async () => {
    const same = suspend ? before?.reason === suspension?.reason && before !== undefined : before === undefined;
    const detail = suspend ? `suspended${suspension?.reason ? `: ${suspension.reason}` : ""}` : "active";
    if (same) return { value: undefined, outcome: "unchanged", detail };
    const { suspension: _old, ...rest } = record;
    await writeTenantRecord(target, {
      ...rest,
      ...(suspension ? { suspension } : {}),
      updatedAt: now().toISOString(),
    });
    return { value: undefined, outcome: "written", detail };
  });

  const status = suspend ? "suspended" : "active";
  for (const hostname of record.spec.domains) {
    await steps.run("route-record", `Route host:${hostname}`, async () => {
      const lookup = await readRouteRecord(target, hostname);
      const owner = routeOwnerOf(lookup);
      if (owner !== undefined && owner !== tenantId) {
        return { value: undefined, outcome: "skipped", detail: `routed to tenant '${owner}', left alone` };
      }
      if (lookup.kind !== "route") {
        // No record: not reachable anyway. Outdated: the dispatcher refuses it until create rewrites
        // it, and create writes it with the record's suspension.
        const why = lookup.kind === "absent" ? "no route record" : "route record predates dispatch proofs";
        return { value: undefined, outcome: "skipped", detail: `${why}: re-run create to write it` };
      }
      if (lookup.record.status === status) return { value: undefined, outcome: "unchanged", detail: status };
      await writeRouteRecord(target, hostname, { ...lookup.record, status, updatedAt: now().toISOString() });
      return { value: undefined, outcome: "written", detail: status };
    });
  }

  await steps.run("worker", `Worker ${names.script} tag ${SUSPENDED_TAG}`, async () => {
    const outcome = suspend
      ? await addWorkerScriptTag(target, names.script, SUSPENDED_TAG)
      : await removeWorkerScriptTag(target, names.script, SUSPENDED_TAG);
    if (outcome === "missing") return { value: undefined, outcome: "skipped", detail: "no Worker: re-run create" };
    return {
      value: undefined,
      outcome: outcome === "unchanged" ? "unchanged" : "updated",
      detail: suspend ? "tagged" : "untagged",
    };
  });

  return {
    id: tenantId,
    status,
    reason: suspension?.reason ?? null,
    ...(suspension ? { since: suspension.since } : {}),
    changed: steps.changedAnything(),
    steps: steps.done,
  };
}
