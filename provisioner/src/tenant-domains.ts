/**
 * `tenant domains add|remove`: one hostname more or less on an existing tenant, without touching
 * its Worker or data. Adding runs create's steps for that hostname alone, in create's order (the
 * tenant record lists it before anything is made, so delete always finds it): record -> custom
 * hostname -> the residency's regional CNAME target -> route record (the commit point: the
 * dispatcher routes it from then on). Removing is the reverse: route record first (traffic stops),
 * then the hostnames, and the record last. Both are idempotent; either, stopped anywhere, is
 * finished by running it again.
 */
import { cnameTarget as lookupCnameTarget, deleteCustomHostname, ensureCustomHostname } from "./custom-hostname.ts";
import { InputError, StateConflictError, TenantNotFoundError } from "./errors.ts";
import { StepRunner, type ProgressListener, type StepDone } from "./progress.ts";
import {
  deleteRegionalHostname,
  ensureRegionalHostname,
  findRegion,
  regionalCnameTarget,
  zoneNameOf,
} from "./regional-hostname.ts";
import { residencyProfile } from "./residency.ts";
import { deleteRouteRecord, readRouteRecord, routeOwnerOf, sameRoute, writeRouteRecord } from "./route-record-store.ts";
import { dnsInstructions, routeRecordFor, takeLease, type TenantDeps, type TenantReport } from "./tenant.ts";
import { tenantNames } from "./tenant-names.ts";
import { readTenantRecord, writeTenantRecord, type TenantRecord } from "./tenant-record-store.ts";
import { hostnameProblem, isLocalOnlyHostname, parseTenantId } from "./tenant-spec.ts";

export interface DomainChange {
  id: string;
  hostname: string;
  /** False when the tenant already had (or already did not have) the hostname. */
  changed: boolean;
  /** The tenant's domains afterwards. */
  domains: string[];
  steps: StepDone[];
  /** Adding: the DNS records the hostname's owner must publish. */
  dns?: TenantReport["dns"];
}

/**
 * A hostname as create takes it (trimmed, lower case); an {@link InputError} when it is not one.
 *
 * @example
 *   parseHostname(" Registry.Acme.com ") // "registry.acme.com"
 */
export function parseHostname(value: string | undefined): string {
  if (value === undefined) throw new InputError(["give the hostname, e.g. registry.acme.com"]);
  const hostname = value.trim().toLowerCase();
  const problem = hostnameProblem(hostname);
  if (problem !== undefined) throw new InputError([`'${hostname}' is not a valid hostname: ${problem}`]);
  return hostname;
}

/**
 * Add a hostname to an existing tenant. A hostname routed to another tenant is refused before any
 * write ({@link StateConflictError}, exit 3).
 *
 * @example
 *   const { dns } = await addTenantDomain("acme", "api.acme.com", { target });
 */
export async function addTenantDomain(
  id: string,
  host: string,
  deps: TenantDeps,
  onProgress?: ProgressListener,
): Promise<DomainChange> {
  const tenantId = parseTenantId(id);
  const hostname = parseHostname(host);
  const { target } = deps;
  if (target.kind === "cloudflare" && isLocalOnlyHostname(hostname)) {
    throw new InputError([`'${hostname}' only resolves on this machine: use a real domain when targeting Cloudflare`]);
  }
  const now = deps.now ?? (() => new Date());
  const names = tenantNames(tenantId);
  const steps = new StepRunner(onProgress);
  const lease = await takeLease(target, tenantId, "domains", steps, deps.lease);
  try {
    const record = await activeRecord(target, tenantId);
    const proof = record.dispatchProof;
    if (proof === undefined) {
      throw new StateConflictError(`tenant '${tenantId}' predates dispatch proofs: re-run create first`);
    }
    const existing = await steps.run("check", `Hostname ${hostname}`, async () => {
      const lookup = await readRouteRecord(target, hostname);
      const owner = routeOwnerOf(lookup);
      if (owner !== undefined && owner !== tenantId) {
        throw new StateConflictError(
          `hostname '${hostname}' is already routed to tenant '${owner}': ` +
            `use another hostname, or remove it from tenant '${owner}' first`,
        );
      }
      if (lookup.kind === "unreadable") {
        throw new StateConflictError(
          `hostname '${hostname}' has a route record that is not valid (key host:${hostname}); inspect it first`,
        );
      }
      return { value: lookup, outcome: "checked", detail: lookup.kind === "absent" ? "free" : `routed to ${tenantId}` };
    });

    const spec = { ...record.spec, domains: unique([...record.spec.domains, hostname]) };
    let current: TenantRecord = record;
    await steps.run("tenant-record", `Tenant record ${names.tenantKey}`, async () => {
      if (record.spec.domains.includes(hostname)) return { value: undefined, outcome: "unchanged", detail: "listed" };
      current = { ...record, spec, updatedAt: now().toISOString() };
      await writeTenantRecord(target, current);
      return { value: undefined, outcome: "written", detail: `domains ${spec.domains.join(", ")}` };
    });

    const custom = await steps.run("custom-hostname", `Custom hostname ${hostname}`, async () => {
      const { hostname: h, action } = await ensureCustomHostname(target, hostname);
      return { value: h, outcome: action, detail: `status ${h.status ?? "unknown"}, ssl ${h.sslStatus ?? "unknown"}` };
    });

    // An eu or uk tenant's hostnames CNAME to its residency's shared regional target.
    const profile = residencyProfile(spec.residency, spec.locationHint ? { locationHint: spec.locationHint } : {});
    let cname: string | undefined;
    if (profile.regionalHostname && (spec.residency === "eu" || spec.residency === "uk")) {
      const regionalTarget = regionalCnameTarget(spec.residency, await zoneNameOf(target));
      const region = await findRegion(target, profile.regionalHostname);
      await steps.run("regional-hostname", `Regional CNAME target ${regionalTarget}`, async () => {
        const { action } = await ensureRegionalHostname(target, regionalTarget, region);
        return { value: undefined, outcome: action, detail: `region ${region.key}; ${hostname} points here` };
      });
      cname = regionalTarget;
    } else {
      cname = await lookupCnameTarget(target);
    }

    await steps.run("route-record", `Route host:${hostname}`, async () => {
      const desired = routeRecordFor(spec, proof, record.suspension ? "suspended" : "active", now());
      if (existing.kind === "route" && sameRoute(existing.record, desired)) {
        return { value: undefined, outcome: "unchanged", detail: `-> ${names.script}` };
      }
      await writeRouteRecord(target, hostname, desired);
      return { value: undefined, outcome: "written", detail: `-> ${names.script}, ${desired.status}` };
    });

    const known = current.resources.customHostnames ?? [];
    if (!known.some((h) => h.hostname === hostname)) {
      await steps.run("tenant-record", `Tenant record ${names.tenantKey}`, async () => {
        await writeTenantRecord(target, {
          ...current,
          resources: { ...current.resources, customHostnames: [...known, { hostname, id: custom.id }] },
          updatedAt: now().toISOString(),
        });
        return { value: undefined, outcome: "written", detail: `custom hostname ${hostname} recorded` };
      });
    }
    return {
      id: tenantId,
      hostname,
      changed: steps.changedAnything(),
      domains: spec.domains,
      steps: steps.done,
      dns: dnsInstructions(target, [custom], cname, tenantId),
    };
  } finally {
    await lease.release();
  }
}

/**
 * Remove a hostname from a tenant. Its last hostname is refused ({@link InputError}, exit 2): a
 * tenant is reached only through its hostnames, so add the new one first, or delete the tenant.
 *
 * @example
 *   await removeTenantDomain("acme", "old.acme.com", { target });
 */
export async function removeTenantDomain(
  id: string,
  host: string,
  deps: TenantDeps,
  onProgress?: ProgressListener,
): Promise<DomainChange> {
  const tenantId = parseTenantId(id);
  const hostname = parseHostname(host);
  const { target } = deps;
  const now = deps.now ?? (() => new Date());
  const names = tenantNames(tenantId);
  const steps = new StepRunner(onProgress);
  const lease = await takeLease(target, tenantId, "domains", steps, deps.lease);
  try {
    const record = await readTenantRecord(target, tenantId);
    if (!record) throw new TenantNotFoundError(tenantId);
    const listed = record.spec.domains.includes(hostname);
    if (listed && record.spec.domains.length === 1) {
      throw new InputError([
        `'${hostname}' is the only domain of tenant '${tenantId}', and a tenant is reached only through its ` +
          `domains: add the new one first (npm run tenant -- domains add ${tenantId} <host>), then remove this ` +
          `one; or delete the tenant (npm run tenant -- delete ${tenantId}).`,
      ]);
    }

    let ours = true;
    await steps.run("route-record", `Route host:${hostname}`, async () => {
      const lookup = await readRouteRecord(target, hostname);
      const owner = routeOwnerOf(lookup);
      if (owner !== undefined && owner !== tenantId) {
        ours = false;
        return { value: undefined, outcome: "skipped", detail: `routed to tenant '${owner}', left alone` };
      }
      return { value: undefined, outcome: await deleteRouteRecord(target, hostname, lookup) };
    });
    // Only what this tenant made: a hostname routed to another tenant is that tenant's.
    if (ours && (listed || (record.resources.customHostnames ?? []).some((h) => h.hostname === hostname))) {
      if ((record.resources.regionalHostnames ?? []).some((h) => h.hostname === hostname)) {
        await steps.run("regional-hostname", `Regional hostname ${hostname}`, async () => ({
          value: undefined,
          outcome: await deleteRegionalHostname(target, hostname),
        }));
      }
      await steps.run("custom-hostname", `Custom hostname ${hostname}`, async () => ({
        value: undefined,
        outcome: await deleteCustomHostname(target, hostname),
      }));
    }
    const domains = record.spec.domains.filter((h) => h !== hostname);
    await steps.run("tenant-record", `Tenant record ${names.tenantKey}`, async () => {
      const resources = {
        ...record.resources,
        ...(record.resources.customHostnames
          ? { customHostnames: record.resources.customHostnames.filter((h) => h.hostname !== hostname) }
          : {}),
        ...(record.resources.regionalHostnames
          ? { regionalHostnames: record.resources.regionalHostnames.filter((h) => h.hostname !== hostname) }
          : {}),
      };
      if (JSON.stringify(resources) === JSON.stringify(record.resources) && !listed) {
        return { value: undefined, outcome: "unchanged", detail: `${hostname} was not one of its domains` };
      }
      await writeTenantRecord(target, {
        ...record,
        spec: { ...record.spec, domains },
        resources,
        updatedAt: now().toISOString(),
      });
      return { value: undefined, outcome: "written", detail: `domains ${domains.join(", ")}` };
    });
    return { id: tenantId, hostname, changed: steps.changedAnything(), domains, steps: steps.done };
  } finally {
    await lease.release();
  }
}

/**
 * The tenant's record, when it finished provisioning.
 *
 * @example
 *   const record = await activeRecord(target, "acme");
 */
export async function activeRecord(target: TenantDeps["target"], tenantId: string): Promise<TenantRecord> {
  const record = await readTenantRecord(target, tenantId);
  if (!record) throw new TenantNotFoundError(tenantId);
  if (record.status !== "active") {
    throw new StateConflictError(
      `tenant '${tenantId}' did not finish provisioning: re-run create with its domains first`,
    );
  }
  return record;
}

function unique(values: string[]): string[] {
  return [...new Set(values)];
}
