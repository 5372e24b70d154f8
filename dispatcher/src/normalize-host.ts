/**
 * Host normalisation shared by the dispatcher (reading the routing store) and anything that writes
 * it: a route key is `host:` + the value this function returns, so both sides must agree.
 */

// RFC 1123 labels: letters, digits and inner hyphens, 1-63 characters each, 253 in all.
// Internationalised names arrive already punycoded (`xn--...`) because they come from a parsed URL.
const HOSTNAME = /^(?=.{1,253}$)[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*$/;
const IPV6_LITERAL = /^\[[0-9a-f:.]{2,45}\]$/;
const PORT = /^\d{0,5}$/;

/**
 * Normalises a URL authority or Host header to the hostname the routing store is keyed by:
 * lower-case, without the port and without one trailing dot. Returns `null` for anything that is
 * not a plain DNS name or IP literal (user info, spaces, empty labels...), so callers fail closed.
 *
 * @example
 *   normalizeHost("Registry.Acme.COM.:8443") // "registry.acme.com"
 *   normalizeHost("evil@acme.com")           // null
 */
export function normalizeHost(authority: string): string | null {
  let host = authority.toLowerCase();
  if (host.startsWith("[")) {
    const close = host.indexOf("]");
    if (close === -1) return null;
    const rest = host.slice(close + 1);
    if (rest !== "" && !(rest.startsWith(":") && PORT.test(rest.slice(1)))) return null;
    host = host.slice(0, close + 1);
    return IPV6_LITERAL.test(host) ? host : null;
  }
  const colon = host.lastIndexOf(":");
  if (colon !== -1) {
    if (!PORT.test(host.slice(colon + 1))) return null;
    host = host.slice(0, colon);
  }
  if (host.endsWith(".")) host = host.slice(0, -1);
  return HOSTNAME.test(host) ? host : null;
}

/**
 * The normalised host of an absolute URL, read by slicing rather than `new URL()` because it runs
 * on every request and the runtime hands us an already-canonical URL.
 *
 * The URL rather than the Host header is the source of truth: in production they agree, and under
 * Miniflare's `dispatchFetch()` only the URL carries the host the caller asked for.
 *
 * @example
 *   hostOfUrl("http://Registry.Acme.com:8787/health") // "registry.acme.com"
 */
export function hostOfUrl(url: string): string | null {
  const schemeEnd = url.indexOf("://");
  if (schemeEnd === -1) return null;
  const start = schemeEnd + 3;
  // A parsed http(s) URL always has a path, so the authority ends at the first "/".
  const slash = url.indexOf("/", start);
  const end = slash === -1 ? url.length : slash;
  return normalizeHost(url.slice(start, end));
}
