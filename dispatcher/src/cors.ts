/**
 * CORS per tenant: the route record's `corsOrigins` are the browser origins allowed to call the
 * tenant's API. The dispatcher answers preflights itself and adds the response headers, so a
 * tenant Worker never deals with CORS, and an origin that is not listed gets no CORS header at
 * all (the browser then refuses to hand the response to the page).
 *
 * Never `*`, and never `Access-Control-Allow-Credentials`: the API authenticates with an
 * `Authorization` header the page sets itself, not with cookies, so credentials mode is not needed.
 */

const ALLOWED_METHODS = "GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS";
const ALLOWED_HEADERS = "authorization, content-type, accept, if-match, if-none-match, x-request-id, x-d1-bookmark";
/** Response headers a page may read: ids, bookmarks, versions and the rate limit state. */
const EXPOSED_HEADERS =
  "x-request-id, x-d1-bookmark, etag, retry-after, x-ratelimit-limit, x-ratelimit-remaining, x-ratelimit-reset";
/** How long a browser may reuse a preflight answer, in seconds. */
const PREFLIGHT_MAX_AGE = "600";

// CORS headers a tenant Worker might set itself: removed, so the route record alone decides.
const TENANT_CORS_HEADERS = [
  "access-control-allow-origin",
  "access-control-allow-credentials",
  "access-control-expose-headers",
];

/**
 * The origin to answer CORS for: the request's `Origin` when the tenant allows it, else undefined.
 *
 * @example
 *   allowedOrigin(request, ["https://app.acme.com"]) // "https://app.acme.com" or undefined
 */
export function allowedOrigin(origin: string | null, corsOrigins: readonly string[]): string | undefined {
  if (origin === null || corsOrigins.length === 0) return undefined;
  return corsOrigins.includes(origin) ? origin : undefined;
}

/** True for a CORS preflight: OPTIONS with `Origin` and `Access-Control-Request-Method`. */
export function isPreflight(request: Request): boolean {
  return (
    request.method === "OPTIONS" &&
    request.headers.has("origin") &&
    request.headers.has("access-control-request-method")
  );
}

/**
 * The answer to an allowed preflight: 204 with the methods, headers and max-age the API accepts.
 *
 * @example
 *   return preflightResponse("https://app.acme.com", requestId);
 */
export function preflightResponse(origin: string, requestId: string): Response {
  return new Response(null, {
    status: 204,
    headers: {
      "access-control-allow-origin": origin,
      "access-control-allow-methods": ALLOWED_METHODS,
      "access-control-allow-headers": ALLOWED_HEADERS,
      "access-control-max-age": PREFLIGHT_MAX_AGE,
      vary: "Origin, Access-Control-Request-Method, Access-Control-Request-Headers",
      "x-request-id": requestId,
    },
  });
}

/**
 * Sets the CORS headers of a response to a tenant that has CORS origins: the tenant's own CORS
 * headers are dropped, `Vary: Origin` is added (the answer depends on it), and for an allowed
 * origin `Access-Control-Allow-Origin` and `-Expose-Headers` are set. Headers must be mutable.
 */
export function applyCors(headers: Headers, origin: string | undefined): void {
  for (const name of TENANT_CORS_HEADERS) headers.delete(name);
  const vary = headers.get("vary");
  if (vary === null) headers.set("vary", "Origin");
  else if (!/(^|,)\s*origin\s*(,|$)/i.test(vary)) headers.set("vary", `${vary}, Origin`);
  if (origin !== undefined) {
    headers.set("access-control-allow-origin", origin);
    headers.set("access-control-expose-headers", EXPOSED_HEADERS);
  }
}
