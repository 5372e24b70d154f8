/**
 * The local platform's path form (contracts/local-tenant-url.ts), read: which tenant hostname a
 * `/_tenant/<hostname>/...` request on a platform host is for, the request URL the dispatcher is
 * given instead (the one `http://<hostname>:<port>/...` would have produced), and how the tenant's
 * `Location` headers are written back into the path form so a client can follow them.
 *
 * Pure string work, shared by the front Worker (worker-shims/tenant-path.ts) and its tests.
 */
import { LOCAL_TENANT_PATH_PREFIX } from "../../contracts/local-tenant-url.ts";
import { normalizeHost } from "../../dispatcher/src/normalize-host.ts";

/** What a request on the traffic port is, seen by the front Worker. */
export type TenantPathTarget =
  /** Not the path form: handed to the dispatcher as it came. */
  | { kind: "pass" }
  /** The path form with something that is not a DNS hostname where the hostname goes. */
  | { kind: "bad_host" }
  /** The path form: `url` is the request as the tenant's hostname would have made it. */
  | { kind: "tenant"; hostname: string; url: string; authority: string; pathOrigin: string };

/**
 * The hosts the path form is read on: the dispatcher's own hosts (`PLATFORM_HOSTS`), where the
 * dispatcher answers nothing but `GET /health`, so the prefix never shadows a tenant's path.
 *
 * @example
 *   platformHostList(" localhost,127.0.0.1 ") // ["localhost", "127.0.0.1"]
 */
export function platformHostList(source: string): string[] {
  return source
    .split(",")
    .map((host) => host.trim().toLowerCase())
    .filter((host) => host.length > 0);
}

/**
 * Reads a request URL. Only a platform host's `/_tenant/` path is the path form; the segment after
 * the prefix must be a DNS hostname (no port, no IP literal, no escapes): anything else is
 * `bad_host`. The rest of the path (at least `/`) and the query string are kept as sent; the
 * scheme and port are the request's own.
 *
 * @example
 *   resolveTenantPath("http://127.0.0.1:8787/_tenant/Registry.Acme.localhost/subjects?deleted=true", hosts)
 *   // { kind: "tenant", hostname: "registry.acme.localhost",
 *   //   url: "http://registry.acme.localhost:8787/subjects?deleted=true", ... }
 *   resolveTenantPath("http://127.0.0.1:8787/_tenant/evil@acme.localhost/", hosts) // { kind: "bad_host" }
 */
export function resolveTenantPath(url: string, platformHosts: readonly string[]): TenantPathTarget {
  const parsed = new URL(url);
  const host = normalizeHost(parsed.host);
  if (host === null || !platformHosts.includes(host) || !parsed.pathname.startsWith(LOCAL_TENANT_PATH_PREFIX)) {
    return { kind: "pass" };
  }
  const after = parsed.pathname.slice(LOCAL_TENANT_PATH_PREFIX.length);
  const slash = after.indexOf("/");
  const segment = slash === -1 ? after : after.slice(0, slash);
  const rest = slash === -1 ? "/" : after.slice(slash);
  // normalizeHost would drop a port and accept an IPv6 literal; neither names a tenant.
  const hostname = /[:[\]]/.test(segment) ? null : normalizeHost(segment);
  if (hostname === null) return { kind: "bad_host" };
  const authority = parsed.port === "" ? hostname : `${hostname}:${parsed.port}`;
  return {
    kind: "tenant",
    hostname,
    // Concatenated, never resolved: a rest of `//other.host/x` stays a path of this hostname.
    url: `${parsed.protocol}//${authority}${rest}${parsed.search}`,
    authority,
    pathOrigin: `${parsed.origin}${LOCAL_TENANT_PATH_PREFIX}${hostname}`,
  };
}

/**
 * A tenant's `Location` header as the path-form client must follow it: a root-relative path
 * (`/api/keys/k1`) or an absolute URL on the tenant's hostname gets the path form's prefix; a
 * relative path already resolves under it, and any other URL is left alone.
 *
 * @example
 *   tenantPathLocation("/api/keys/k1", target) // "/_tenant/registry.acme.localhost/api/keys/k1"
 */
export function tenantPathLocation(location: string, target: Extract<TenantPathTarget, { kind: "tenant" }>): string {
  if (location.startsWith("/") && !location.startsWith("//")) {
    return `${new URL(target.pathOrigin).pathname}${location}`;
  }
  let absolute: URL;
  try {
    absolute = new URL(location);
  } catch {
    return location;
  }
  if (normalizeHost(absolute.host) !== target.hostname) return location;
  return `${target.pathOrigin}${absolute.pathname}${absolute.search}${absolute.hash}`;
}
