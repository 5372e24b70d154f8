/**
 * The provisioner's public API: tenant lifecycle, target selection, the rate-limited client and
 * the per-resource modules (each with the same find / ensure / delete shape).
 */
export { createTenant, deleteTenant, dnsInstructions, listTenants, showTenant } from "./tenant.ts";
export type {
  CreateTenantResult,
  DeleteTenantResult,
  DnsRecord,
  ResidencySummary,
  RouteSummary,
  TenantDeps,
  TenantReport,
  TenantSummary,
} from "./tenant.ts";
export {
  CLOUDFLARE_API_BASE_URL,
  DEFAULT_DISPATCH_NAMESPACE,
  LOCAL_API_BASE_URL,
  readTargetSettings,
  resolveTarget,
  ROUTES_KV_TITLE,
} from "./config.ts";
export type { Target, TargetSettings } from "./config.ts";
export {
  collectAll,
  createCloudflareClient,
  createRetryingFetch,
  DEFAULT_RETRY_POLICY,
  parseRetryAfter,
} from "./cloudflare-client.ts";
export type { CloudflareClientOptions, RetryEvent, RetryingFetchOptions, RetryPolicy } from "./cloudflare-client.ts";
export { CLOUDFLARE_RATE_LIMIT, rateLimitFor, TokenBucket } from "./token-bucket.ts";
export type { TokenBucketOptions } from "./token-bucket.ts";
export {
  ApiCallError,
  ConfigError,
  formatApiError,
  InputError,
  isNotFound,
  StateConflictError,
  TenantNotFoundError,
} from "./errors.ts";
export {
  hostnameProblem,
  isLocalOnlyHostname,
  parseTenantId,
  parseTenantSpec,
  PLANS,
  tenantSpecSchema,
} from "./tenant-spec.ts";
export type { ResolvedTenantSpec, TenantSpec, TenantSpecInput } from "./tenant-spec.ts";
export { residencyProfile } from "./residency.ts";
export type { ResidencyProfile } from "./residency.ts";
export { templateTag, tenantNames } from "./tenant-names.ts";
export { routeKey } from "../../contracts/route-record.ts";
export {
  LOCATION_HINTS,
  type LocationHint,
  PLAN_NAMES,
  type Plan,
  RESIDENCIES,
  type Residency,
  tenantRecordKey,
} from "../../contracts/tenant-record.ts";
export {
  applyMigrations,
  listAppliedMigrations,
  migrationQuery,
  MIGRATIONS_TABLE_SQL,
  readMigrations,
} from "./migrations.ts";
export type { Migration, MigrationResult, MigrationResultSet, MigrationStatus } from "./migrations.ts";
export { buildTemplate, readTemplateConfig } from "./template-build.ts";
export type { TemplateBuild, TemplateConfig } from "./template-build.ts";
export type { ProgressEvent, ProgressListener, StepDone, StepName, StepOutcome } from "./progress.ts";
export * as d1Database from "./d1-database.ts";
export * as kvNamespace from "./kv-namespace.ts";
export * as workerScript from "./worker-script.ts";
export * as customHostname from "./custom-hostname.ts";
export * as regionalHostname from "./regional-hostname.ts";
export * as routeRecord from "./route-record-store.ts";
export * as tenantRecord from "./tenant-record-store.ts";
