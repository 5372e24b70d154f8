import type { DispatcherBindings } from "./env.ts";
import { discardBody } from "./discard-body.ts";
import { PlatformError, platformErrorResponse } from "./platform-error.ts";
import { REQUEST_ID_HEADER, requestIdOf } from "./request-id.ts";
import { INVALID_ROUTE, type RouteCache, type RouteLookup, UNKNOWN_ROUTE } from "./route-cache.ts";
import { parseRouteRecord, routeKey } from "./route-record.ts";

/** Request headers the platform reserves: a tenant may trust any it receives, so clients cannot send them. */
export const INTERNAL_HEADER_PREFIX = "x-wfp-";

export const DEFAULT_PLATFORM_HOSTS = "localhost,127.0.0.1";

/**
 * Hands a request for a tenant host to that tenant's user Worker. This is the dispatcher's hot
 * path, so it is a plain function rather than Hono middleware: no router, no context object, no
 * JSON parse on a cache hit, one Request copy (to strip reserved headers and add the id).
 *
 * Fails closed: a malformed host (400), an unknown host (404), an unreadable or invalid route
 * record (503) and a suspended tenant (403) are answered here, and no tenant code runs.
 * The tenant receives the request with `x-request-id` set and every `x-wfp-*` header removed;
 * every response, the tenant's included, carries the same `x-request-id`.
 *
 * @example
 *   const routes = new RouteCache({ positiveTtlMs: 10_000, negativeTtlMs: 2_000 });
 *   return dispatchToTenant(request, env, hostOfUrl(request.url), routes);
 */
export async function dispatchToTenant(request: Request, env: DispatcherBindings, host: string | null, routes: RouteCache): Promise<Response> {
  const requestId = requestIdOf(request);
  try {
    if (host === null) throw new PlatformError(400, "bad_host", "The request's host name is not valid.");
    const lookup = routes.get(host) ?? (await routes.load(host, (h) => readRoute(env.ROUTES, h)));
    if (lookup.kind === "unknown") throw new PlatformError(404, "unknown_host", "No registry is served at this host.");
    if (lookup.kind === "invalid") {
      log("invalid_route", requestId, host);
      throw new PlatformError(503, "tenant_unavailable", "This registry is temporarily unavailable.");
    }
    const { record } = lookup;
    if (record.status === "suspended") {
      throw new PlatformError(403, "tenant_suspended", "This registry is suspended. Contact the platform operator.");
    }
    let response: Response;
    try {
      const tenant = env.DISPATCHER.get(record.script, {}, record.limits === undefined ? undefined : { limits: record.limits });
      response = await tenant.fetch(forwardedRequest(request, requestId));
    } catch (cause) {
      const failure = tenantFailure(cause);
      log(failure.code, requestId, host, record.tenantId, cause);
      throw failure;
    }
    // A tenant built from the template already echoes the id it was given; only a response that
    // does not is copied to set it (a Response's headers are immutable).
    if (response.headers.get(REQUEST_ID_HEADER) === requestId) return response;
    const withId = new Response(response.body, response);
    withId.headers.set(REQUEST_ID_HEADER, requestId);
    return withId;
  } catch (error) {
    await discardBody(request);
    if (error instanceof PlatformError) return platformErrorResponse(error.status, error.code, error.message, requestId);
    log("internal_error", requestId, host ?? "", undefined, error);
    return platformErrorResponse(500, "internal_error", "The platform failed to handle the request.", requestId);
  }
}

async function readRoute(store: KVNamespace, host: string): Promise<RouteLookup> {
  let text: string | null;
  try {
    text = await store.get(routeKey(host), "text");
  } catch (cause) {
    throw new PlatformError(503, "routing_unavailable", "Routing is temporarily unavailable.", { cause });
  }
  if (text === null) return UNKNOWN_ROUTE;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return INVALID_ROUTE;
  }
  const record = parseRouteRecord(value);
  return record === null ? INVALID_ROUTE : { kind: "route", record };
}

let platformHostsSource: string | undefined;
let platformHostsSet = new Set<string>();

/** PLATFORM_HOSTS as a set, parsed once per isolate (env vars do not change under a running isolate). */
export function platformHosts(source: string | undefined): Set<string> {
  const raw = source ?? DEFAULT_PLATFORM_HOSTS;
  if (raw !== platformHostsSource) {
    platformHostsSet = new Set(
      raw
        .split(",")
        .map((h) => h.trim().toLowerCase())
        .filter((h) => h.length > 0),
    );
    platformHostsSource = raw;
  }
  return platformHostsSet;
}

function forwardedRequest(request: Request, requestId: string): Request {
  const headers = new Headers(request.headers);
  let reserved: string[] | undefined;
  for (const name of headers.keys()) {
    if (name.startsWith(INTERNAL_HEADER_PREFIX)) (reserved ??= []).push(name);
  }
  if (reserved !== undefined) for (const name of reserved) headers.delete(name);
  headers.set(REQUEST_ID_HEADER, requestId);
  return new Request(request, { headers });
}

// Limit failures carry no type either; these are the messages Cloudflare documents and logs
// ("Worker exceeded CPU time limit.", "... memory limit.", "Too many subrequests.").
const LIMIT_MESSAGE = /exceeded (?:cpu|memory|resource|subrequest)|too many subrequests/i;

/**
 * Maps a failed `DISPATCHER.get(...).fetch()` to the client's answer. Cloudflare exposes no typed
 * error for a missing script: `fetch()` rejects with a plain Error whose message starts with
 * "Worker not found", so the message is the only signal. The upstream message is logged, never sent.
 */
function tenantFailure(cause: unknown): PlatformError {
  const message = cause instanceof Error ? cause.message : String(cause);
  if (message.startsWith("Worker not found")) {
    return new PlatformError(503, "tenant_unavailable", "This registry is temporarily unavailable.", { cause });
  }
  if (LIMIT_MESSAGE.test(message)) {
    return new PlatformError(503, "tenant_over_limit", "This registry exceeded its resource limits.", { cause });
  }
  return new PlatformError(502, "tenant_error", "This registry failed to handle the request.", { cause });
}

function log(event: string, requestId: string, host: string, tenantId?: string, cause?: unknown): void {
  const error = cause instanceof Error ? cause.message : cause === undefined ? undefined : String(cause);
  console.error(JSON.stringify({ event, requestId, host, tenantId, error }));
}
