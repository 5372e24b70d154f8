/**
 * Physical names derived from a tenant id (docs/contracts.md). Because every name is a pure
 * function of the id, any run - create, a re-run after a crash, delete without a tenant record -
 * finds the same resources without remembering anything.
 */
import { tenantRecordKey } from "../../contracts/tenant-record.ts";

export const TENANT_ID_PATTERN = /^[a-z][a-z0-9-]{1,30}[a-z0-9]$/;

/**
 * The cache namespace tenants in the shared KV mode share, each under its own key prefix
 * (contracts/cache-prefix.ts): one per account, made by the first tenant that needs it.
 */
export const SHARED_CACHE_KV_TITLE = "wfp-cache-shared";

/** The tag every tenant script carries, so the fleet can be listed by tag. */
export const FLEET_TAG = "wfp-tenant";

/**
 * The tag a suspended tenant's script carries, so the fleet counts suspended tenants from one
 * listing by tag (`GET .../scripts?tags=suspended:yes`) instead of reading every tenant record.
 */
export const SUSPENDED_TAG = "suspended";

export interface TenantNames {
  d1Database: string;
  kvNamespace: string;
  script: string;
  /** Tags on the script, without the template tag (which depends on the build). */
  scriptTags: readonly [string, string];
  /** Routing-store key of the tenant record. */
  tenantKey: string;
}

/**
 * The names of every resource of one tenant.
 *
 * @example
 *   tenantNames("acme").d1Database // "wfp-tenant-acme"
 */
export function tenantNames(tenantId: string): TenantNames {
  return {
    d1Database: `wfp-tenant-${tenantId}`,
    kvNamespace: `wfp-tenant-${tenantId}-cache`,
    script: `tenant-${tenantId}`,
    scriptTags: [FLEET_TAG, `tenant-${tenantId}`],
    tenantKey: tenantRecordKey(tenantId),
  };
}

/**
 * The script tag that identifies a template build.
 *
 * @example
 *   templateTag("3f2a9c0d1b2e4f...") // "tpl-3f2a9c0d1b2e"
 */
export function templateTag(buildHash: string): string {
  return `tpl-${buildHash.slice(0, 12)}`;
}

/**
 * The script tag that says which migrations a tenant's database has: the number of the last one
 * applied, so the fleet's migration levels come from the same listing as its versions.
 *
 * @example
 *   migrationTag("0007_document_incarnations.sql") // "mig-0007"
 */
export function migrationTag(lastMigration: string | undefined): string {
  return `mig-${lastMigration === undefined ? "0000" : lastMigration.slice(0, 4)}`;
}
