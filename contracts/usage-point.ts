/**
 * The usage data point the dispatcher writes to Workers Analytics Engine for every request to a
 * tenant, and how the SQL API's columns read it back (docs/usage.md). Written by
 * dispatcher/src/usage.ts, read by `npm run fleet -- usage` (provisioner/src/usage/), so both
 * name the columns from here.
 *
 * Analytics Engine's limits (developers.cloudflare.com/analytics/analytics-engine/limits/): one
 * index per point (at most 96 bytes), up to 20 blobs (16 KB together) and 20 doubles, 250 points
 * per invocation, kept three months. Here: one point per request, 5 short blobs, 2 doubles.
 */

/** The dataset (the SQL API's table) and the dispatcher's binding name. */
export const USAGE_DATASET = "wfp_usage";
export const USAGE_BINDING = "USAGE";

/**
 * Which column holds what. The index (the sampling key) is the tenant id, so a tenant's figures
 * (all its registries) are read with `WHERE index1 = '<tenant>'` and sampling never mixes two
 * tenants; the registry (contracts/registry-ref.ts: `default` for the tenant's own) is a blob.
 */
export const USAGE_COLUMNS = {
  tenant: "blob1",
  registry: "blob2",
  route: "blob3",
  statusClass: "blob4",
  method: "blob5",
  durationMs: "double1",
  status: "double2",
} as const;

/** What one request is recorded as. */
export interface UsagePoint {
  tenantId: string;
  registry: string;
  /** contracts/route-template.ts: never the raw path. */
  route: string;
  method: string;
  status: number;
  durationMs: number;
}

/** Methods recorded as they are; any other is recorded as `OTHER` (a client picks the method). */
const METHODS = new Set(["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]);

/**
 * `2xx` .. `5xx`.
 *
 * @example statusClass(404) // "4xx"
 */
export function statusClass(status: number): string {
  return `${Math.floor(status / 100)}xx`;
}

/**
 * The data point as `writeDataPoint` takes it, in the order of {@link USAGE_COLUMNS}.
 *
 * @example
 *   dataset.writeDataPoint(usageDataPoint({ tenantId: "acme", registry: "default", route: "/subjects",
 *     method: "GET", status: 200, durationMs: 12 }))
 */
export function usageDataPoint(point: UsagePoint): { indexes: string[]; blobs: string[]; doubles: number[] } {
  return {
    indexes: [point.tenantId],
    blobs: [
      point.tenantId,
      point.registry,
      point.route,
      statusClass(point.status),
      METHODS.has(point.method) ? point.method : "OTHER",
    ],
    doubles: [point.durationMs, point.status],
  };
}

/** Requests, errors and latency of a tenant or of one of its routes, as published to the tenant. */
export interface PublishedFigures {
  requests: number;
  clientErrors: number;
  serverErrors: number;
  p50Ms: number;
  p99Ms: number;
}

/**
 * A tenant's usage as `npm run fleet -- usage --publish` writes it into the tenant's own database
 * (table `platform_usage`, migration 0009) and `GET /api/usage` answers it: the month so far.
 */
export interface PublishedUsage extends PublishedFigures {
  /** The period counted, ISO 8601: the start of the month (UTC) and the publication's time. */
  since: string;
  until: string;
  routes: (PublishedFigures & { route: string })[];
}

/** The statement that replaces a tenant's published usage (params: the JSON body, the time). */
export const PUBLISH_USAGE_SQL =
  "INSERT INTO platform_usage (id, body, published_at) VALUES (1, ?, ?) " +
  "ON CONFLICT (id) DO UPDATE SET body = excluded.body, published_at = excluded.published_at";
