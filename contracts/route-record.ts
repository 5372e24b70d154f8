/**
 * The routing store's record, as docs/contracts.md defines it: `host:<hostname>` -> RouteRecord.
 * The provisioner writes it; the dispatcher only reads it. Both import this module, so the shape,
 * the key and the check of what is read are defined once.
 */
import type { Residency } from "./tenant-record.ts";

export interface RouteRecord {
  tenantId: string;
  /** The user Worker's name in the dispatch namespace, e.g. `tenant-acme`. */
  script: string;
  status: "active" | "suspended";
  /** Passed verbatim to `DISPATCHER.get()`; absent means the namespace's defaults. */
  limits?: { cpuMs?: number; subRequests?: number };
  plan?: string;
  /** The tenant's dispatch proof, sent to its Worker as `x-wfp-proof`. Required: a record without it is refused. */
  proof: string;
  /** Requests per minute for the tenant and for each API key id. Required, like the plan it comes from. */
  rateLimit: { requestsPerMinute: number; keyRequestsPerMinute: number };
  /** Browser origins allowed to call the tenant (CORS); empty: none. */
  corsOrigins: readonly string[];
  /**
   * Set while the tenant is past its plan's monthly request quota: the instant it resets (the start
   * of the next month, UTC, ISO 8601). The dispatcher answers 429 `quota_exceeded` until then
   * (docs/usage.md); `npm run fleet -- usage --enforce` sets and clears it.
   */
  quotaExceededUntil?: string;
  /**
   * Where the tenant's data must stay (its `--residency`). The dispatcher keeps an eu or uk
   * tenant's webhook clock in Durable Objects' `eu` jurisdiction, so the deliveries it drives are
   * made in the EU (docs/webhooks.md). Absent in records written before it: treated as global.
   */
  residency?: Residency;
  updatedAt?: string;
}

/**
 * The KV key the record for a hostname is stored under. Hostnames are case-insensitive; the
 * dispatcher's are already lower case, so this costs it nothing.
 *
 * @example
 *   routeKey("Registry.Acme.com") // "host:registry.acme.com"
 */
export function routeKey(hostname: string): string {
  return `host:${hostname.toLowerCase()}`;
}

/** What every record names, whatever fields it predates: the owner and whether it is suspended. */
export interface RouteOwner {
  tenantId: string;
  status: "active" | "suspended";
}

/**
 * The owner and status of a value read from the routing store, or null when it is not a route
 * record at all. The provisioner uses it to adopt and rewrite a record written before a field the
 * dispatcher now requires (e.g. `proof`), which {@link parseRouteRecord} refuses.
 *
 * @example
 *   parseRouteOwner({ tenantId: "acme", script: "tenant-acme", status: "active" })
 *   // { tenantId: "acme", status: "active" }
 */
export function parseRouteOwner(value: unknown): RouteOwner | null {
  if (typeof value !== "object" || value === null) return null;
  const { tenantId, script, status } = value as Record<string, unknown>;
  if (!isNonEmptyString(tenantId) || !isNonEmptyString(script)) return null;
  if (status !== "active" && status !== "suspended") return null;
  return { tenantId, status };
}

const isPositiveNumber = (value: unknown): value is number =>
  typeof value === "number" && Number.isFinite(value) && value > 0;

const isNonEmptyString = (value: unknown): value is string => typeof value === "string" && value.length > 0;

/**
 * Checks a value read from the routing store (once per cache miss: a cached hit reuses the parsed
 * record, so the hot path never parses JSON). Hand-written rather than zod because it runs on
 * every cache miss and the dispatcher bundle should stay small; anything unexpected is `null` so
 * the dispatcher fails closed instead of guessing (an unknown status is never treated as active).
 *
 * @example
 *   parseRouteRecord({ tenantId: "acme", script: "tenant-acme", status: "active", proof, rateLimit }) // RouteRecord
 *   parseRouteRecord({ tenantId: "acme", script: "tenant-acme", status: "paused" }) // null
 */
export function parseRouteRecord(value: unknown): RouteRecord | null {
  if (typeof value !== "object" || value === null) return null;
  const {
    tenantId,
    script,
    status,
    limits,
    plan,
    proof,
    rateLimit,
    corsOrigins,
    quotaExceededUntil,
    residency,
    updatedAt,
  } = value as Record<string, unknown>;
  if (!isNonEmptyString(tenantId) || !isNonEmptyString(script)) return null;
  if (status !== "active" && status !== "suspended") return null;
  // No proof: a record written before dispatch proofs. The tenant Worker would refuse it anyway;
  // failing here says so plainly (503) until `tenant create` is re-run and writes one.
  if (!isNonEmptyString(proof)) return null;
  if (typeof rateLimit !== "object" || rateLimit === null) return null;
  const { requestsPerMinute, keyRequestsPerMinute } = rateLimit as Record<string, unknown>;
  if (!isPositiveNumber(requestsPerMinute) || !isPositiveNumber(keyRequestsPerMinute)) return null;
  let origins: string[] = [];
  if (corsOrigins !== undefined && corsOrigins !== null) {
    if (!Array.isArray(corsOrigins) || !corsOrigins.every(isNonEmptyString)) return null;
    origins = corsOrigins;
  }
  const record: RouteRecord = {
    tenantId,
    script,
    status,
    proof,
    rateLimit: { requestsPerMinute, keyRequestsPerMinute },
    corsOrigins: origins,
  };
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
  if (quotaExceededUntil !== undefined && quotaExceededUntil !== null) {
    // A date that does not parse fails closed rather than being ignored (the tenant is past its quota).
    if (typeof quotaExceededUntil !== "string" || Number.isNaN(Date.parse(quotaExceededUntil))) return null;
    record.quotaExceededUntil = quotaExceededUntil;
  }
  if (residency !== undefined && residency !== null) {
    // An unknown residency fails closed: guessing "global" could take an EU tenant's work elsewhere.
    if (residency !== "eu" && residency !== "uk" && residency !== "global") return null;
    record.residency = residency;
  }
  if (typeof updatedAt === "string") record.updatedAt = updatedAt;
  return record;
}
