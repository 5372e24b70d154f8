/**
 * `npm run fleet -- doctor [--fix] [--prune] [--json]`: every tenant's drift from its spec and the
 * fleet's orphans (fleet-drift.ts); `--fix` re-runs create for each drifted tenant, `--prune`
 * deletes the orphans. Exit 0 when nothing drifted (after `--fix`/`--prune`: when nothing is left),
 * 1 when something did.
 */
import { deleteCustomHostname } from "../custom-hostname.ts";
import { deleteD1Database } from "../d1-database.ts";
import { deleteKvNamespace } from "../kv-namespace.ts";
import { formatProgress, type ProgressListener } from "../progress.ts";
import { deleteRouteRecord } from "../route-record-store.ts";
import { createTenant } from "../tenant.ts";
import { acquireTenantLease } from "../tenant-lease.ts";
import { readTenantRecord } from "../tenant-record-store.ts";
import { deleteWorkerScript } from "../worker-script.ts";
import type { Target } from "../config.ts";
import { FLEET_EXIT, type FleetCommand, type FleetRun } from "./fleet-command.ts";
import { type Drift, type FleetDrift, findFleetDrift, type OrphanResource } from "./fleet-drift.ts";

/** What `--fix` did for one tenant. */
export interface DoctorFix {
  tenant: string;
  ok: boolean;
  /** Steps of its create that changed something ("created", "uploaded", "written" ...). */
  changed: string[];
  error?: string;
}

/** What `--prune` did with one orphan. */
export interface DoctorPrune {
  tenant: string;
  resource: OrphanResource;
  outcome: "deleted" | "already gone" | "skipped" | "failed";
  detail?: string;
}

/** The `--json` report. */
export interface DoctorReport {
  ok: boolean;
  command: "doctor";
  tenants: number;
  drift: Drift[];
  fixes?: DoctorFix[];
  pruned?: DoctorPrune[];
  /** After `--fix` / `--prune`: what is left (what the exit code says). */
  remaining?: Drift[];
}

/** Drift that makes `--fix` upload the Worker again whatever the record says about it. */
const WORKER_DRIFT = new Set<Drift["kind"]>(["bindings", "secrets", "worker-untagged"]);

export const fleetDoctor: FleetCommand = {
  name: "doctor",
  summary: "every tenant's drift from its spec, and orphans; --fix repairs, --prune deletes orphans",
  usage: [
    "Usage: npm run fleet -- doctor [--fix] [--prune] [--json]",
    "",
    "Reads every tenant's record and what exists, and prints one line per drift: missing or extra",
    "resources, bindings or secrets that differ from the spec, route records that differ or point at",
    "missing scripts, hostnames not active (with Cloudflare's reason), read replication other than the",
    "residency says; and orphans (resources with the fleet's names or tags and no tenant record).",
    "",
    "  --fix     re-run create for each drifted tenant (default: off, read-only)",
    "  --prune   delete orphans; never anything of a tenant with a record (default: off)",
    "  --json    one JSON report on stdout (default: off)",
    "",
    "Exit codes: 0 nothing drifted (after --fix/--prune: nothing left), 1 drift (or a failure), 2 bad usage.",
  ].join("\n"),
  options: {
    fix: { type: "boolean", default: false },
    prune: { type: "boolean", default: false },
  },
  run: runDoctor,
};

async function runDoctor(run: FleetRun): Promise<number> {
  const { target, io, json } = run;
  const fix = run.values.fix === true;
  const prune = run.values.prune === true;
  const out = (line: string): void => (json ? io.stderr : io.stdout)(`${line}\n`);

  const before = await findFleetDrift(target);
  out(`Checked ${before.tenants.length} tenant(s): ${summary(before.drift)}`);
  for (const d of before.drift) out(driftLine(d));

  let fixes: DoctorFix[] | undefined;
  let pruned: DoctorPrune[] | undefined;
  if (fix) fixes = await fixTenants(target, before, out);
  if (prune) pruned = await pruneOrphans(target, before.drift, out);

  let remaining: Drift[] | undefined;
  if (fix || prune) {
    remaining = (await findFleetDrift(target)).drift;
    out(`After ${[fix ? "--fix" : "", prune ? "--prune" : ""].filter(Boolean).join(" ")}: ${summary(remaining)}`);
    for (const d of remaining) out(driftLine(d));
  }
  const left = remaining ?? before.drift;
  const failed = (fixes ?? []).some((f) => !f.ok) || (pruned ?? []).some((p) => p.outcome === "failed");
  const ok = left.length === 0 && !failed;
  if (json) {
    const report: DoctorReport = {
      ok,
      command: "doctor",
      tenants: before.tenants.length,
      drift: before.drift,
      ...(fixes ? { fixes } : {}),
      ...(pruned ? { pruned } : {}),
      ...(remaining ? { remaining } : {}),
    };
    io.stdout(`${JSON.stringify(report)}\n`);
  }
  return ok ? FLEET_EXIT.ok : FLEET_EXIT.failure;
}

function summary(drift: readonly Drift[]): string {
  if (drift.length === 0) return "no drift";
  const tenants = new Set(drift.map((d) => d.tenant)).size;
  return `${drift.length} drift(s) in ${tenants} tenant(s) or orphan id(s)`;
}

/**
 * One drift as a line: the tenant, what, and the fix.
 *
 * @example
 *   driftLine(drift) // "acme  kv-missing: KV namespace wfp-tenant-acme-cache is missing (fix: --fix re-runs ...)"
 */
export function driftLine(d: Drift): string {
  return `${d.tenant}  ${d.kind}: ${d.what} (fix: ${d.how})`;
}

/** Re-run create for every tenant with drift create repairs, one after the other. */
async function fixTenants(target: Target, found: FleetDrift, out: (line: string) => void): Promise<DoctorFix[]> {
  const fixes: DoctorFix[] = [];
  for (const tenant of found.tenants) {
    const drift = found.drift.filter((d) => d.tenant === tenant.id && d.fix === "create");
    if (drift.length === 0) continue;
    out(`Fixing ${tenant.id} (re-running its create):`);
    const onProgress: ProgressListener = (event) => {
      const line = formatProgress(event);
      if (line !== undefined) out(`  ${line}`);
    };
    try {
      // The record supplies everything the request leaves out: residency, plan, KV mode ...
      const result = await createTenant(
        { id: tenant.id, domains: tenant.domains },
        { target, reuploadWorker: drift.some((d) => WORKER_DRIFT.has(d.kind)) },
        onProgress,
      );
      const changed = result.steps
        .filter((s) => !["unchanged", "adopted", "checked", "built", "skipped", "waited"].includes(s.outcome))
        .map((s) => `${s.label} (${s.outcome})`);
      fixes.push({ tenant: tenant.id, ok: true, changed });
    } catch (error) {
      const message = (error as Error).message;
      out(`  ✗ ${tenant.id} not fixed: ${message}`);
      fixes.push({ tenant: tenant.id, ok: false, changed: [], error: message });
    }
  }
  return fixes;
}

/** Delete's order: traffic first, data last. */
const PRUNE_ORDER: readonly OrphanResource["type"][] = ["route-record", "custom-hostname", "worker", "kv", "d1"];

/**
 * Delete every orphan, one orphan id at a time under that id's lease (as delete takes it), after
 * reading its tenant record once more: a create that started since the check owns the names now,
 * and nothing of it is touched.
 */
async function pruneOrphans(
  target: Target,
  drift: readonly Drift[],
  out: (line: string) => void,
): Promise<DoctorPrune[]> {
  const byTenant = new Map<string, OrphanResource[]>();
  for (const d of drift) {
    if (d.fix !== "prune" || d.resource === undefined) continue;
    byTenant.set(d.tenant, [...(byTenant.get(d.tenant) ?? []), d.resource]);
  }
  const pruned: DoctorPrune[] = [];
  for (const [tenant, resources] of byTenant) {
    resources.sort((a, b) => PRUNE_ORDER.indexOf(a.type) - PRUNE_ORDER.indexOf(b.type));
    const lease = await acquireTenantLease(target, tenant, "delete");
    try {
      if ((await readTenantRecord(target, tenant)) !== undefined) {
        for (const resource of resources) {
          pruned.push({ tenant, resource, outcome: "skipped", detail: "a tenant record appeared since the check" });
          out(`  - ${resource.type} ${resource.name}: skipped, tenant '${tenant}' has a record now`);
        }
        continue;
      }
      for (const resource of resources) {
        try {
          const outcome = await deleteOrphan(target, resource);
          pruned.push({ tenant, resource, outcome });
          out(`  ✓ ${resource.type} ${resource.name} (${outcome})`);
        } catch (error) {
          const detail = (error as Error).message;
          pruned.push({ tenant, resource, outcome: "failed", detail });
          out(`  ✗ ${resource.type} ${resource.name}: ${detail}`);
        }
      }
    } finally {
      await lease.release();
    }
  }
  return pruned;
}

async function deleteOrphan(target: Target, resource: OrphanResource): Promise<"deleted" | "already gone"> {
  switch (resource.type) {
    case "route-record":
      return deleteRouteRecord(target, resource.name);
    case "custom-hostname":
      return deleteCustomHostname(target, resource.name);
    case "worker":
      return deleteWorkerScript(target, resource.name);
    case "kv":
      return deleteKvNamespace(target, resource.name);
    case "d1":
      return deleteD1Database(target, resource.name);
  }
}
