/**
 * The local platform's path form of a tenant's URL, for clients that cannot resolve the tenant's
 * hostname (Node and Java do not resolve `*.localhost`):
 * `http://127.0.0.1:8787/_tenant/registry.acme.localhost/subjects` reaches tenant `acme` as
 * `http://registry.acme.localhost:8787/subjects` would. The local platform maps it back to the
 * hostname before the dispatcher sees the request (infra/local-platform/tenant-path.ts); the
 * provisioner prints it beside each hostname. Production has no path form: it routes by hostname.
 */

/** What starts a path-form URL's path; the tenant's hostname follows, then the tenant's own path. */
export const LOCAL_TENANT_PATH_PREFIX = "/_tenant/";

/**
 * The base URL a client uses for a tenant hostname on the local platform whose traffic port is at
 * `trafficUrl`. Clients append their paths to it (`<base>/subjects`), as they do to any base URL.
 *
 * @example
 *   localTenantUrl("http://127.0.0.1:8787", "registry.acme.localhost")
 *   // "http://127.0.0.1:8787/_tenant/registry.acme.localhost"
 */
export function localTenantUrl(trafficUrl: string, hostname: string): string {
  return `${new URL(trafficUrl).origin}${LOCAL_TENANT_PATH_PREFIX}${hostname}`;
}
