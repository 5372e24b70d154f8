import { apiKeyIdOf } from "./api-key-id.ts";
import type { AuthFailureTracker } from "./auth-failures.ts";
import { allowedOrigin, applyCors, isPreflight, preflightResponse } from "./cors.ts";
import type { DispatcherBindings } from "./env.ts";
import { discardBody } from "../../contracts/discard-body.ts";
import { PlatformError, platformErrorResponse } from "./platform-error.ts";
import type { RateDecision, RateLimiter } from "./rate-limiter.ts";
import { requestIdOf } from "./request-id.ts";
import { counterCall } from "./rate-limit-counter.ts";
import type { SharedRateLimiter } from "./shared-rate-limiter.ts";
import type { RouteCache } from "./route-cache.ts";
import { readRoute } from "./read-route.ts";
import { logEvent } from "./log-event.ts";
import { tenantWorker } from "./tenant-worker.ts";
import {
  DISPATCH_PROOF_HEADER,
  INTERNAL_HEADER_PREFIX,
  RATE_LIMIT_ECHO_HEADER,
  REQUEST_ID_HEADER,
} from "../../contracts/dispatch-headers.ts";
import type { RouteRecord } from "../../contracts/route-record.ts";
import { quotaRefusal, recordUsage } from "./usage.ts";
import { wakeClock } from "./webhook-clock.ts";
import { WEBHOOK_WAKE_HEADER, wakeTimeOf } from "../../contracts/webhook-pump.ts";
import { CONFLUENT_CONTENT_TYPE, confluentErrorBody, isConfluentPath } from "../../contracts/confluent-paths.ts";

/** The client address Cloudflare sets (clients cannot); absent locally, where every client is one. */
const CLIENT_ADDRESS_HEADER = "cf-connecting-ip";
const LOCAL_CLIENT = "local";

/** The per-isolate state the dispatch path reads and updates. */
export interface DispatchState {
  routes: RouteCache;
  /** Per isolate: the limits when there is no RATE_LIMITS binding, and the fallback when its object fails. */
  limiter: RateLimiter;
  /** Across isolates, through the RATE_LIMITS objects (used when the binding is there). */
  sharedLimiter?: SharedRateLimiter;
  authFailures: AuthFailureTracker;
}

const DEFAULT_PLATFORM_HOSTS = "localhost,127.0.0.1";

/**
 * Hands a request for a tenant host to that tenant's user Worker. This is the dispatcher's hot
 * path, so it is a plain function rather than Hono middleware: no router, no context object, no
 * JSON parse on a cache hit, one Request copy (to strip reserved headers and add the id).
 *
 * Fails closed: a malformed host (400), an unknown host (404), an unreadable or invalid route
 * record (503, a record without a dispatch proof included) and a suspended tenant (403) are
 * answered here, and no tenant code runs. Then, in this order: a CORS preflight is answered
 * (204, or 403 `cors_origin_not_allowed`), a tenant past its monthly quota gets 429
 * `quota_exceeded` (usage.ts), a client blocked for repeated authentication failures gets 429
 * `too_many_auth_failures`, and the tenant's and the key's rate limits are counted (429
 * `rate_limited`). A 429 on a Confluent path (every path outside /api) is in Confluent's shape,
 * `{"error_code": 429, "message"}`, every other error in the platform's. The tenant receives the
 * request with `x-request-id` and its dispatch proof `x-wfp-proof` set and every client `x-wfp-*`
 * header removed; every response, the tenant's included, carries the same `x-request-id`, and the
 * tenant's carries `X-RateLimit-*` (echoed by the tenant from `x-wfp-ratelimit`, or set here when
 * it did not). Every request whose route record was found is recorded as usage (usage.ts), after
 * its answer is known and without waiting on it.
 *
 * @example
 *   const state = { routes: new RouteCache(), limiter: new RateLimiter(), authFailures: new AuthFailureTracker() };
 *   return dispatchToTenant(request, env, hostOfUrl(request.url), state);
 */
export async function dispatchToTenant(
  request: Request,
  env: DispatcherBindings,
  host: string | null,
  state: DispatchState,
  ctx?: ExecutionContext,
): Promise<Response> {
  const started = Date.now();
  const served: Served = {};
  const response = await dispatch(request, env, host, state, served, ctx);
  // Usage is the tenant's whenever its route record was found: refusals (429, 403) included.
  if (served.record !== undefined)
    recordUsage(env.USAGE, served.record, request, response.status, Date.now() - started);
  return response;
}

/** What {@link dispatch} found out that the caller records: the tenant, once its record is read. */
interface Served {
  record?: RouteRecord;
}

async function dispatch(
  request: Request,
  env: DispatcherBindings,
  host: string | null,
  state: DispatchState,
  served: Served,
  ctx: ExecutionContext | undefined,
): Promise<Response> {
  const { routes } = state;
  const requestId = requestIdOf(request);
  let corsOrigin: string | undefined;
  try {
    if (host === null) throw new PlatformError(400, "bad_host", "The request's host name is not valid.");
    const lookup = routes.get(host) ?? (await routes.load(host, (h) => readRoute(env.ROUTES, h)));
    if (lookup.kind === "unknown") throw new PlatformError(404, "unknown_host", "No registry is served at this host.");
    if (lookup.kind === "invalid") {
      logEvent("invalid_route", requestId, host);
      throw new PlatformError(503, "tenant_unavailable", "This registry is temporarily unavailable.");
    }
    const { record } = lookup;
    served.record = record;
    if (record.status === "suspended") {
      throw new PlatformError(403, "tenant_suspended", "This registry is suspended. Contact the platform operator.");
    }

    const origin = request.headers.get("origin");
    corsOrigin = allowedOrigin(origin, record.corsOrigins);
    if (isPreflight(request)) {
      await discardBody(request);
      if (corsOrigin !== undefined) return preflightResponse(corsOrigin, requestId);
      return platformErrorResponse(
        403,
        "cors_origin_not_allowed",
        "This origin may not call this registry.",
        requestId,
      );
    }

    if (record.quotaExceededUntil !== undefined) {
      const refusal = quotaRefusal(record, Date.now());
      if (refusal !== undefined) throw refusal;
    }

    const client = `${record.tenantId}\u0000${request.headers.get(CLIENT_ADDRESS_HEADER) ?? LOCAL_CLIENT}`;
    const blockedMs = state.authFailures.blockedForMs(client);
    if (blockedMs > 0) {
      throw new PlatformError(
        429,
        "too_many_auth_failures",
        "Too many failed authentication attempts. Try again later.",
        {
          headers: { "retry-after": String(Math.ceil(blockedMs / 1000)) },
        },
      );
    }

    const authorization = request.headers.get("authorization");
    const keyId = apiKeyIdOf(authorization);
    const { requestsPerMinute, keyRequestsPerMinute } = record.rateLimit;
    const checks =
      keyId === undefined
        ? [{ key: record.tenantId, limit: requestsPerMinute }]
        : [
            { key: `${record.tenantId}\u0000${keyId}`, limit: keyRequestsPerMinute },
            { key: record.tenantId, limit: requestsPerMinute },
          ];
    const counters = env.RATE_LIMITS;
    let rate: RateDecision | Promise<RateDecision> =
      counters === undefined || state.sharedLimiter === undefined
        ? state.limiter.take(checks)
        : state.sharedLimiter.take(record.tenantId, checks, counterCall(counters), ctx);
    // Most requests are decided without waiting (shared-rate-limiter.ts); only the rest await.
    if (rate instanceof Promise) rate = await rate;
    if (!rate.allowed) {
      throw new PlatformError(429, "rate_limited", "Too many requests. Try again later.", {
        headers: { "retry-after": String(rate.resetSeconds), ...rateLimitHeaders(rate) },
      });
    }

    let response: Response;
    try {
      response = await tenantWorker(env.DISPATCHER, record).fetch(
        forwardedRequest(request, requestId, record.proof, rate),
      );
    } catch (cause) {
      const failure = tenantFailure(cause);
      logEvent(failure.code, requestId, host, record.tenantId, cause);
      throw failure;
    }
    // Only a request that presented credentials can be a guess: a 401 to one without any (a
    // probe, a client not configured yet) is not counted, so it never locks anyone out.
    if (response.status === 401 && authorization !== null && state.authFailures.recordFailure(client) > 0) {
      logEvent("auth_failures_blocked", requestId, host, record.tenantId);
    }
    // A tenant built from the template echoes the id and the rate-limit figures it was given
    // (x-wfp-ratelimit), so its response goes back as it is; any other (or a tenant with CORS
    // origins, or an answer carrying a webhook wake) costs one copy of the immutable response, the
    // body streaming through.
    const limit = String(rate.limit);
    const remaining = String(rate.remaining);
    const reset = String(rate.resetSeconds);
    const received = response.headers;
    const wake = received.get(WEBHOOK_WAKE_HEADER);
    if (
      wake === null &&
      record.corsOrigins.length === 0 &&
      received.get(REQUEST_ID_HEADER) === requestId &&
      received.get("x-ratelimit-remaining") === remaining &&
      received.get("x-ratelimit-limit") === limit &&
      received.get("x-ratelimit-reset") === reset
    ) {
      return response;
    }
    const answer = new Response(response.body, response);
    const headers = answer.headers;
    headers.set(REQUEST_ID_HEADER, requestId);
    headers.set("x-ratelimit-limit", limit);
    headers.set("x-ratelimit-remaining", remaining);
    headers.set("x-ratelimit-reset", reset);
    if (record.corsOrigins.length > 0) applyCors(headers, corsOrigin);
    if (wake !== null) {
      headers.delete(WEBHOOK_WAKE_HEADER);
      wakeTenantClock(env, ctx, record, host, wake, requestId);
    }
    return answer;
  } catch (error) {
    await discardBody(request);
    if (error instanceof PlatformError) {
      const response =
        error.status === 429 && isConfluentPath(pathOf(request.url))
          ? confluentRefusal(error, requestId)
          : platformErrorResponse(error.status, error.code, error.message, requestId, error.headers);
      // A browser page may read the platform's refusals (a 429 above all) when its origin is allowed.
      if (corsOrigin !== undefined) applyCors(response.headers, corsOrigin);
      return response;
    }
    logEvent("internal_error", requestId, host ?? "", undefined, error);
    return platformErrorResponse(500, "internal_error", "The platform failed to handle the request.", requestId);
  }
}

/**
 * Hands a tenant's wake time to its webhook clock without delaying its answer (the client never
 * sees the header). A value that is not a time is logged and dropped; so is every wake while the
 * dispatcher has no WEBHOOK_CLOCKS binding.
 */
function wakeTenantClock(
  env: DispatcherBindings,
  ctx: ExecutionContext | undefined,
  record: RouteRecord,
  host: string,
  wake: string,
  requestId: string,
): void {
  const clocks = env.WEBHOOK_CLOCKS;
  if (clocks === undefined) return;
  const at = wakeTimeOf(wake);
  if (at === null) {
    logEvent("invalid_webhook_wake", requestId, host, record.tenantId, wake);
    return;
  }
  const woken = wakeClock(clocks, record, host, at, requestId);
  ctx?.waitUntil(woken);
}

/**
 * A 429 on a path of the Confluent API (contracts/confluent-paths.ts: every path outside /api) in
 * Confluent's shape, `{"error_code": 429, "message"}` with its content type, as the tenant answers
 * every error there: a Confluent client parses it (and reads Retry-After). The headers are the
 * platform's as ever (Retry-After, X-RateLimit-*, x-request-id).
 */
function confluentRefusal(error: PlatformError, requestId: string): Response {
  return new Response(confluentErrorBody(error.status, error.message), {
    status: error.status,
    headers: { ...error.headers, "content-type": CONFLUENT_CONTENT_TYPE, "x-request-id": requestId },
  });
}

/** The path of a request URL, without parsing more of it than that. */
function pathOf(url: string): string {
  try {
    return new URL(url).pathname;
  } catch {
    return "/";
  }
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

/** `X-RateLimit-*`: the limit that decided, what is left of it, and seconds until its window ends. */
function rateLimitHeaders(rate: RateDecision): Record<string, string> {
  return {
    "x-ratelimit-limit": String(rate.limit),
    "x-ratelimit-remaining": String(rate.remaining),
    "x-ratelimit-reset": String(rate.resetSeconds),
  };
}

function forwardedRequest(request: Request, requestId: string, proof: string, rate: RateDecision): Request {
  const headers = new Headers(request.headers);
  let reserved: string[] | undefined;
  for (const name of headers.keys()) {
    if (name.startsWith(INTERNAL_HEADER_PREFIX)) {
      reserved ??= [];
      reserved.push(name);
    }
  }
  if (reserved !== undefined) for (const name of reserved) headers.delete(name);
  headers.set(REQUEST_ID_HEADER, requestId);
  headers.set(DISPATCH_PROOF_HEADER, proof);
  headers.set(RATE_LIMIT_ECHO_HEADER, `${rate.limit},${rate.remaining},${rate.resetSeconds}`);
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
