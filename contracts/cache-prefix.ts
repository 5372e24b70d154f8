/**
 * The key prefix of a tenant's entries in the shared cache namespace (issue 11.7: past 1,000
 * tenants, many tenants share one KV namespace). The provisioner makes it and hands it to the
 * tenant Worker as `CACHE_PREFIX`; the Worker applies it to every cache key and checks it names
 * its own tenant. A dedicated namespace needs no prefix: "".
 *
 * The database id is part of it because cache keys name immutable facts only within one D1
 * database (row incarnations restart in a new one): a tenant deleted and created again with the
 * same id has a new database, so it never asks for its previous incarnation's entries.
 */

/**
 * What `cachePrefix` makes: `t/<tenant id>/<D1 database id>/`. Tenant ids are checked where they
 * are made (the provisioner's TENANT_ID_PATTERN); here they only must not hold a "/".
 */
const CACHE_PREFIX = /^t\/([^/]+)\/([A-Za-z0-9-]{1,64})\/$/;

/**
 * The prefix of one tenant incarnation's keys in the shared cache namespace.
 *
 * @example
 *   cachePrefix("acme", "0f2ac74b-498b-4802-8cb6-8387c421e279") // "t/acme/0f2ac74b-498b-4802-8cb6-8387c421e279/"
 */
export function cachePrefix(tenantId: string, databaseId: string): string {
  const prefix = `t/${tenantId}/${databaseId}/`;
  if (!CACHE_PREFIX.test(prefix)) {
    throw new Error(`cannot make a cache prefix of tenant '${tenantId}' and database '${databaseId}'`);
  }
  return prefix;
}

/**
 * The prefix under which every incarnation of a tenant keeps its entries: what delete clears.
 * The closing "/" keeps `t/acme/` from matching `t/acme-eu/...`.
 *
 * @example
 *   tenantCachePrefix("acme") // "t/acme/"
 */
export function tenantCachePrefix(tenantId: string): string {
  return `t/${tenantId}/`;
}

/**
 * Whether `prefix` is one the tenant Worker of `tenantId` may use: "" (a dedicated namespace) or
 * a prefix made by {@link cachePrefix} for that same tenant. Anything else means a
 * misconfiguration, and the Worker then leaves the cache off rather than touch other keys.
 *
 * @example
 *   isCachePrefixOf("t/acme/0f2a-42/", "acme") // true
 *   isCachePrefixOf("t/globex/0f2a-42/", "acme") // false
 */
export function isCachePrefixOf(prefix: string, tenantId: string): boolean {
  if (prefix === "") return true;
  return CACHE_PREFIX.exec(prefix)?.[1] === tenantId;
}
