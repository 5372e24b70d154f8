/**
 * Physical names derived from a registry's ref (docs/contracts.md): the tenant id for a tenant's
 * default registry, `<tenant>:<registry>` for another (contracts/registry-ref.ts). Because every
 * name is a pure function of the ref, any run - create, a re-run after a crash, delete without a
 * tenant record - finds the same resources without remembering anything. The default registry's
 * names are exactly a tenant's names from before registries, so existing tenants need no change.
 */
import { DEFAULT_REGISTRY_ID, registryRef, splitRegistryRef } from "../../contracts/registry-ref.ts";
import { tenantRecordKey } from "../../contracts/tenant-record.ts";

export const TENANT_ID_PATTERN = /^[a-z][a-z0-9-]{1,30}[a-z0-9]$/;

/**
 * A registry id: 1-19 characters, so that with the longest tenant id (32) the D1 database name
 * (`wfp-tenant-<tenant>_<registry>`) stays within 63 characters, as does the Worker's name
 * (Cloudflare: `^[a-z0-9_][a-z0-9-_]*$`, at most 63; D1 names `^[a-z0-9][a-z0-9-_]*$`).
 */
export const REGISTRY_ID_PATTERN = /^[a-z](?:[a-z0-9-]{0,17}[a-z0-9])?$/;

/**
 * A registry ref as the CLI takes it: `acme` (the default registry) or `acme:staging`.
 */
export const REGISTRY_REF_PATTERN = /^[a-z][a-z0-9-]{1,30}[a-z0-9](?::[a-z](?:[a-z0-9-]{0,17}[a-z0-9])?)?$/;

/**
 * Between tenant and registry in physical names: `_` is allowed in Worker, D1 and KV names but
 * never in a tenant id, so `acme` + `staging` (`acme_staging`) cannot be any tenant's own name.
 */
const NAME_SEPARATOR = "_";

/**
 * The part of every physical name a registry contributes: the tenant id for its default
 * registry, `<tenant>_<registry>` for another.
 *
 * @example
 *   nameStem("acme") // "acme"
 *   nameStem("acme:staging") // "acme_staging"
 */
export function nameStem(ref: string): string {
  const { tenantId, registryId } = splitRegistryRef(ref);
  return registryId === DEFAULT_REGISTRY_ID ? tenantId : `${tenantId}${NAME_SEPARATOR}${registryId}`;
}

/**
 * The registry ref a name stem stands for (the inverse of {@link nameStem}), for the fleet's
 * listings, which find resources by name.
 *
 * @example
 *   refOfStem("acme_staging") // "acme:staging"
 */
export function refOfStem(stem: string): string {
  const at = stem.indexOf(NAME_SEPARATOR);
  return at < 0 ? stem : registryRef(stem.slice(0, at), stem.slice(at + 1));
}

/**
 * The registry ref of a tenant Worker's name, D1 database's name or cache namespace's title;
 * undefined for a name the fleet did not make.
 *
 * @example
 *   refOfName("script", "tenant-acme_staging") // "acme:staging"
 *   refOfName("d1", "wfp-tenant-acme") // "acme"
 */
export function refOfName(kind: "script" | "d1" | "kv", name: string): string | undefined {
  const stem = (
    kind === "script" ? /^tenant-(.+)$/ : kind === "d1" ? /^wfp-tenant-(.+)$/ : /^wfp-tenant-(.+)-cache$/
  ).exec(name)?.[1];
  return stem === undefined ? undefined : refOfStem(stem);
}

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
 * The names of every resource of one registry: a tenant's default registry (`acme`) has the
 * names tenants always had; another (`acme:staging`) has its stem `acme_staging` in each.
 *
 * @example
 *   tenantNames("acme").d1Database // "wfp-tenant-acme"
 *   tenantNames("acme:staging").script // "tenant-acme_staging"
 *   tenantNames("acme:staging").tenantKey // "tenant:acme:staging"
 */
export function tenantNames(ref: string): TenantNames {
  const stem = nameStem(ref);
  return {
    d1Database: `wfp-tenant-${stem}`,
    kvNamespace: `wfp-tenant-${stem}-cache`,
    script: `tenant-${stem}`,
    scriptTags: [FLEET_TAG, `tenant-${stem}`],
    tenantKey: tenantRecordKey(ref),
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
