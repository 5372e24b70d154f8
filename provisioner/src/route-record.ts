/**
 * Route records: `host:<hostname>` -> which tenant script serves it, with what limits
 * (docs/contracts.md). They are the commit point of a tenant: the dispatcher routes a hostname
 * only once its record exists, so they are written after every resource is in place and deleted
 * first on teardown.
 */
import { z } from "zod";
import type { Target } from "./config.ts";
import type { DeleteOutcome } from "./d1-database.ts";
import { deleteRoutingValue, listRoutingKeys, readRoutingValue, writeRoutingValue } from "./routing-store.ts";
import { routeRecordKey } from "./tenant-names.ts";

// `proof`, `rateLimit` and `corsOrigins` are optional here only so that a record written before
// they existed is still read as this tenant's route and rewritten by a re-run of create; the
// dispatcher refuses a record without `proof` or `rateLimit` (fails closed).
export const routeRecordSchema = z.object({
  tenantId: z.string(),
  script: z.string(),
  status: z.enum(["active", "suspended"]),
  limits: z.object({ cpuMs: z.number(), subRequests: z.number() }),
  plan: z.string(),
  /** The tenant's dispatch proof: sent to its Worker as `x-wfp-proof` (docs/security.md). */
  proof: z.string().optional(),
  /** Requests per minute, enforced by the dispatcher per tenant and per API key id. */
  rateLimit: z.object({ requestsPerMinute: z.number(), keyRequestsPerMinute: z.number() }).optional(),
  /** Browser origins the dispatcher answers CORS for. */
  corsOrigins: z.array(z.string()).optional(),
  updatedAt: z.string(),
});
export type RouteRecord = z.infer<typeof routeRecordSchema>;

/** What a hostname's key holds: nothing, a route record, or something we cannot read. */
export type RouteLookup =
  | { kind: "absent" }
  | { kind: "route"; record: RouteRecord }
  | { kind: "unreadable"; raw: unknown };

/**
 * Read the route record of a hostname.
 *
 * @example
 *   const lookup = await readRouteRecord(target, "registry.acme.com");
 *   if (lookup.kind === "route" && lookup.record.tenantId !== "acme") // owned by someone else
 */
export async function readRouteRecord(target: Target, hostname: string): Promise<RouteLookup> {
  const raw = await readRoutingValue(target, routeRecordKey(hostname));
  if (raw === undefined) return { kind: "absent" };
  const parsed = routeRecordSchema.safeParse(raw);
  return parsed.success ? { kind: "route", record: parsed.data } : { kind: "unreadable", raw };
}

/**
 * Write a hostname's route record. The tenant id also goes into the key's metadata so that the
 * hostnames of a tenant can be listed without reading every record.
 *
 * @example
 *   await writeRouteRecord(target, "registry.acme.com", record);
 */
export async function writeRouteRecord(target: Target, hostname: string, record: RouteRecord): Promise<void> {
  await writeRoutingValue(target, routeRecordKey(hostname), record, { tenantId: record.tenantId });
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
  await deleteRoutingValue(target, routeRecordKey(hostname));
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
    a.limits.cpuMs === b.limits.cpuMs &&
    a.limits.subRequests === b.limits.subRequests &&
    a.proof === b.proof &&
    a.rateLimit?.requestsPerMinute === b.rateLimit?.requestsPerMinute &&
    a.rateLimit?.keyRequestsPerMinute === b.rateLimit?.keyRequestsPerMinute &&
    (a.corsOrigins ?? []).join(" ") === (b.corsOrigins ?? []).join(" ")
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
      if (lookup.kind === "route" && lookup.record.tenantId === tenantId) hostnames.push(hostname);
    }
  }
  return hostnames;
}
