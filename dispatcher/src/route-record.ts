/**
 * The routing store's record, as docs/contracts.md defines it: `host:<hostname>` -> RouteRecord.
 * The provisioner writes it; the dispatcher only reads it.
 */
export interface RouteRecord {
  tenantId: string;
  /** The user Worker's name in the dispatch namespace, e.g. `tenant-acme`. */
  script: string;
  status: "active" | "suspended";
  /** Passed verbatim to `DISPATCHER.get()`; absent means the namespace's defaults. */
  limits?: { cpuMs?: number; subRequests?: number };
  plan?: string;
  updatedAt?: string;
}

/** The KV key the record for `host` (already normalised) is stored under. */
export function routeKey(host: string): string {
  return `host:${host}`;
}

const isPositiveNumber = (value: unknown): value is number =>
  typeof value === "number" && Number.isFinite(value) && value > 0;

const isNonEmptyString = (value: unknown): value is string => typeof value === "string" && value.length > 0;

/**
 * Checks a value read from the routing store. Hand-written rather than zod because it runs on
 * every cache miss and the dispatcher bundle should stay small; anything unexpected is `null` so
 * the dispatcher fails closed instead of guessing (an unknown status is never treated as active).
 *
 * @example
 *   parseRouteRecord({ tenantId: "acme", script: "tenant-acme", status: "active" }) // RouteRecord
 *   parseRouteRecord({ tenantId: "acme", script: "tenant-acme", status: "paused" }) // null
 */
export function parseRouteRecord(value: unknown): RouteRecord | null {
  if (typeof value !== "object" || value === null) return null;
  const { tenantId, script, status, limits, plan, updatedAt } = value as Record<string, unknown>;
  if (!isNonEmptyString(tenantId) || !isNonEmptyString(script)) return null;
  if (status !== "active" && status !== "suspended") return null;
  const record: RouteRecord = { tenantId, script, status };
  if (limits !== undefined && limits !== null) {
    if (typeof limits !== "object") return null;
    const { cpuMs, subRequests } = limits as Record<string, unknown>;
    if (cpuMs !== undefined && !isPositiveNumber(cpuMs)) return null;
    if (subRequests !== undefined && !isPositiveNumber(subRequests)) return null;
    record.limits = {};
    if (cpuMs !== undefined) record.limits.cpuMs = cpuMs;
    if (subRequests !== undefined) record.limits.subRequests = subRequests;
  }
  if (typeof plan === "string") record.plan = plan;
  if (typeof updatedAt === "string") record.updatedAt = updatedAt;
  return record;
}
