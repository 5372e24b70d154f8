/**
 * Route records: `host:<hostname>` -> which tenant script serves it, with what limits
 * (docs/contracts.md). They are the commit point of a tenant: the dispatcher routes a hostname
 * only once its record exists, so they are written after every resource is in place and deleted
 * first on teardown.
 */
import {
  parseRouteOwner,
  parseRouteRecord,
  type RouteOwner,
  type RouteRecord,
  routeKey,
} from "../../contracts/route-record.ts";
import type { Target } from "./config.ts";
import type { DeleteOutcome } from "./d1-database.ts";
import { deleteRoutingValue, listRoutingKeys, readRoutingValue, writeRoutingValue } from "./routing-store.ts";

export type { RouteRecord };

/**
 * What a hostname's key holds: nothing, a route record the dispatcher accepts, a record of a
 * tenant written before a field the dispatcher now requires (a re-run of create rewrites it), or
 * something we cannot read.
 */
export type RouteLookup =
  | { kind: "absent" }
  | { kind: "route"; record: RouteRecord }
  | { kind: "outdated"; owner: RouteOwner }
  | { kind: "unreadable"; raw: unknown };

/**
 * Read the route record of a hostname.
 *
 * @example
 *   const lookup = await readRouteRecord(target, "registry.acme.com");
 *   if (lookup.kind === "route" && lookup.record.tenantId !== "acme") // owned by someone else
 */
export async function readRouteRecord(target: Target, hostname: string): Promise<RouteLookup> {
  const raw = await readRoutingValue(target, routeKey(hostname));
  if (raw === undefined) return { kind: "absent" };
  const record = parseRouteRecord(raw);
  if (record !== null) return { kind: "route", record };
  const owner = parseRouteOwner(raw);
  return owner === null ? { kind: "unreadable", raw } : { kind: "outdated", owner };
}

/**
 * Write a hostname's route record. The tenant id also goes into the key's metadata so that the
 * hostnames of a tenant can be listed without reading every record.
 *
 * @example
 *   await writeRouteRecord(target, "registry.acme.com", record);
 */
export async function writeRouteRecord(target: Target, hostname: string, record: RouteRecord): Promise<void> {
  await writeRoutingValue(target, routeKey(hostname), record, { tenantId: record.tenantId });
}

/**
 * Delete a hostname's route record; absent counts as deleted.
 *
 * @example
 *   await deleteRouteRecord(target, "registry.acme.com", lookup); // "deleted" | "already gone"
 */
export async function deleteRouteRecord(target: Target, hostname: string, known?: RouteLookup): Promise<DeleteOutcome> {
  const lookup = known ?? (await readRouteRecord(target, hostname));
  if (lookup.kind === "absent") return "already gone";
  await deleteRoutingValue(target, routeKey(hostname));
  return "deleted";
}

/**
 * True when two route records route the same way (the timestamp aside), proof and limits included.
 *
 * @example
 *   sameRoute(existing, desired) // true -> no write needed
 */
export function sameRoute(a: RouteRecord, b: RouteRecord): boolean {
  return (
    a.tenantId === b.tenantId &&
    a.script === b.script &&
    a.status === b.status &&
    a.plan === b.plan &&
    a.limits?.cpuMs === b.limits?.cpuMs &&
    a.limits?.subRequests === b.limits?.subRequests &&
    a.proof === b.proof &&
    a.rateLimit.requestsPerMinute === b.rateLimit.requestsPerMinute &&
    a.rateLimit.keyRequestsPerMinute === b.rateLimit.keyRequestsPerMinute &&
    a.corsOrigins.join(" ") === b.corsOrigins.join(" ") &&
    a.residency === b.residency
  );
}

/**
 * Hostnames routed to a tenant, found by listing `host:` keys (their metadata names the tenant;
 * keys written without metadata are read). Used when a tenant record is missing.
 *
 * @example
 *   await findRoutedHostnames(target, "acme") // ["registry.acme.com"]
 */
export async function findRoutedHostnames(target: Target, tenantId: string): Promise<string[]> {
  const keys = await listRoutingKeys(target, "host:");
  const hostnames: string[] = [];
  for (const key of keys) {
    const hostname = key.name.slice("host:".length);
    const owner = (key.metadata as { tenantId?: unknown } | undefined)?.tenantId;
    if (owner === tenantId) {
      hostnames.push(hostname);
    } else if (owner === undefined) {
      const lookup = await readRouteRecord(target, hostname);
      if (routeOwnerOf(lookup) === tenantId) hostnames.push(hostname);
    }
  }
  return hostnames;
}

/**
 * The tenant a lookup routes to, current or outdated; undefined when there is no record to own.
 *
 * @example
 *   routeOwnerOf(await readRouteRecord(target, "registry.acme.com")) // "acme"
 */
export function routeOwnerOf(lookup: RouteLookup): string | undefined {
  if (lookup.kind === "route") return lookup.record.tenantId;
  if (lookup.kind === "outdated") return lookup.owner.tenantId;
  return undefined;
}
