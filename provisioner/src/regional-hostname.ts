/**
 * Regional hostname (Regional Services / Data Localization Suite): pins where TLS is terminated
 * and requests are processed for one hostname of the zone. A tenant's own domain is outside the
 * SaaS zone, and Cloudflare regionalises a custom hostname by the target of its alias ("Regional
 * Services for SaaS"): so each residency has one CNAME target in the zone, `eu.<zone>` or
 * `uk.<zone>`, which is the regional hostname, and its tenants' hostnames point there
 * ({@link regionalCnameTarget}). The region's key is always looked up from the
 * account's regions list by the profile's matcher - never hard-coded - because keys are
 * Cloudflare's to change and the list is what the account is entitled to.
 */
import type { AccountTarget } from "./config.ts";
import type { DeleteOutcome } from "./d1-database.ts";
import { apiCall, isNotFound, mayAlreadyExist, StateConflictError } from "./errors.ts";
import type { RegionRequirement } from "./residency.ts";

const KIND = "regional hostname";

export interface Region {
  key: string;
  label: string;
}

export interface RegionalHostname {
  hostname: string;
  regionKey: string;
}

export type RegionalEnsureAction = "created" | "adopted" | "updated";

/**
 * The CNAME target in the SaaS zone for a residency's tenants.
 *
 * @example
 *   regionalCnameTarget("uk", "saas.example.com") // "uk.saas.example.com"
 */
export function regionalCnameTarget(residency: "eu" | "uk", zoneName: string): string {
  return `${residency}.${zoneName}`;
}

/**
 * The SaaS zone's name: known when the target was discovered, else read from the zone.
 *
 * @example
 *   await zoneNameOf(target) // "saas.example.com"
 */
export async function zoneNameOf(target: AccountTarget): Promise<string> {
  if (target.zoneName !== undefined) return target.zoneName;
  const zone = await apiCall("reading", "zone", target.zoneId, () =>
    target.client.zones.get({ zone_id: target.zoneId }),
  );
  target.zoneName = zone.name;
  return zone.name;
}

/**
 * The account's regions (`GET /accounts/{a}/addressing/regional_hostnames/regions`).
 *
 * @example
 *   await listRegions(target) // [{ key: "eu", label: "European Union" }, { key: "uk", label: "United Kingdom" }, ...]
 */
export async function listRegions(target: AccountTarget): Promise<Region[]> {
  const page = await apiCall("listing", "regions for", "regional hostnames", () =>
    target.client.addressing.regionalHostnames.regions.list({ account_id: target.accountId }),
  );
  return page.getPaginatedItems().flatMap((r) => (r.key ? [{ key: r.key, label: r.label ?? r.key }] : []));
}

/**
 * The region a residency needs, from the account's regions list.
 *
 * @example
 *   const region = await findRegion(target, residencyProfile("uk").regionalHostname!);
 *   // { key: "uk", label: "United Kingdom" }
 */
export async function findRegion(
  target: AccountTarget,
  requirement: RegionRequirement,
  regions?: Region[],
): Promise<Region> {
  const available = regions ?? (await listRegions(target));
  const match = available.find((r) => requirement.matches(r));
  if (!match) {
    const listed = available.map((r) => `${r.key} (${r.label})`).join(", ") || "none";
    throw new StateConflictError(
      `no ${requirement.region.toUpperCase()} region is available for regional hostnames ` +
        `in account ${target.accountId} ` +
        `(regions listed: ${listed}). ` +
        `Regional Services must be enabled for the account before a ${requirement.region} tenant can be created.`,
    );
  }
  return match;
}

/**
 * The regional hostname, or undefined when there is none.
 *
 * @example
 *   await getRegionalHostname(target, "registry.acme.com") // { hostname, regionKey: "eu" }
 */
export async function getRegionalHostname(
  target: AccountTarget,
  hostname: string,
): Promise<RegionalHostname | undefined> {
  try {
    const found = await apiCall("reading", KIND, hostname, () =>
      target.client.addressing.regionalHostnames.get(hostname, { zone_id: target.zoneId }),
    );
    return { hostname: found.hostname, regionKey: found.region_key };
  } catch (error) {
    if (isNotFound(error)) return undefined;
    throw error;
  }
}

/**
 * Make the hostname regional in this region: create it, adopt it, or move it to the region.
 *
 * @example
 *   const { action } = await ensureRegionalHostname(target, "registry.acme.com", region);
 */
export async function ensureRegionalHostname(
  target: AccountTarget,
  hostname: string,
  region: Region,
): Promise<{ regionalHostname: RegionalHostname; action: RegionalEnsureAction }> {
  const found = await getRegionalHostname(target, hostname);
  if (found?.regionKey === region.key) return { regionalHostname: found, action: "adopted" };
  if (found) {
    const edited = await apiCall("moving", KIND, hostname, () =>
      target.client.addressing.regionalHostnames.edit(hostname, { zone_id: target.zoneId, region_key: region.key }),
    );
    return { regionalHostname: { hostname, regionKey: edited.region_key }, action: "updated" };
  }
  try {
    const created = await apiCall("creating", KIND, hostname, () =>
      target.client.addressing.regionalHostnames.create({ zone_id: target.zoneId, hostname, region_key: region.key }),
    );
    return { regionalHostname: { hostname: created.hostname, regionKey: created.region_key }, action: "created" };
  } catch (error) {
    if (mayAlreadyExist(error)) {
      const again = await getRegionalHostname(target, hostname);
      if (again?.regionKey === region.key) return { regionalHostname: again, action: "adopted" };
    }
    throw error;
  }
}

/**
 * Remove the regional hostname; absent counts as deleted.
 *
 * @example
 *   await deleteRegionalHostname(target, "registry.acme.com"); // "deleted" | "already gone"
 */
export async function deleteRegionalHostname(target: AccountTarget, hostname: string): Promise<DeleteOutcome> {
  try {
    await apiCall("deleting", KIND, hostname, () =>
      target.client.addressing.regionalHostnames.delete(hostname, { zone_id: target.zoneId }),
    );
    return "deleted";
  } catch (error) {
    if (isNotFound(error)) return "already gone";
    throw error;
  }
}
