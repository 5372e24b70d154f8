/**
 * A tenant owns one or more registries, each isolated as a tenant was before registries existed
 * (its own D1 database, cache, Worker, hostnames, keys, audit log). A registry is named by its
 * ref: the tenant id alone for the tenant's default registry (so every tenant made before
 * registries is its own default registry, with the same names), `<tenant>:<registry>` for any
 * other. The ref is what the route record's and the tenant record's `tenantId` and the tenant
 * Worker's `TENANT_ID` hold, so a reader that needs the tenant and the registry apart splits it
 * here. Which ids are valid is the provisioner's business (provisioner/src/tenant-names.ts).
 */

/** The registry every tenant has, named by the tenant id alone. */
export const DEFAULT_REGISTRY_ID = "default";

/** Between the tenant id and the registry id in a ref; never in either id. */
export const REGISTRY_REF_SEPARATOR = ":";

/** A registry ref, split. */
export interface RegistryRefParts {
  tenantId: string;
  /** {@link DEFAULT_REGISTRY_ID} for a ref without a registry part. */
  registryId: string;
}

/**
 * The ref of a tenant's registry.
 *
 * @example
 *   registryRef("acme", "staging") // "acme:staging"
 *   registryRef("acme", "default") // "acme"
 */
export function registryRef(tenantId: string, registryId: string = DEFAULT_REGISTRY_ID): string {
  return registryId === DEFAULT_REGISTRY_ID ? tenantId : `${tenantId}${REGISTRY_REF_SEPARATOR}${registryId}`;
}

/**
 * A ref's tenant and registry.
 *
 * @example
 *   splitRegistryRef("acme:staging") // { tenantId: "acme", registryId: "staging" }
 *   splitRegistryRef("acme") // { tenantId: "acme", registryId: "default" }
 */
export function splitRegistryRef(ref: string): RegistryRefParts {
  const at = ref.indexOf(REGISTRY_REF_SEPARATOR);
  return at < 0
    ? { tenantId: ref, registryId: DEFAULT_REGISTRY_ID }
    : { tenantId: ref.slice(0, at), registryId: ref.slice(at + 1) };
}
