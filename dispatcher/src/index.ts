/**
 * The dispatch Worker: every request to a tenant's hostname lands here (a `*\/*` route on the SaaS
 * zone), is matched to a route record in the routing store, and is handed to that tenant's user
 * Worker in the dispatch namespace. Requests to PLATFORM_HOSTS are answered by the routes below.
 *
 * Responses made here (status, `error.code`):
 *   200 (no error)          GET /health on a platform host
 *   400 bad_host           malformed Host
 *   204 (no error)          a CORS preflight from an origin the tenant allows
 *   403 tenant_suspended   the route record's status is "suspended"
 *   403 cors_origin_not_allowed a CORS preflight from any other origin
 *   404 unknown_host       no route record for the host (no tenant code runs)
 *   404 not_found          any other path on a platform host
 *   429 too_many_auth_failures the client had too many 401s from this tenant (Retry-After)
 *   429 quota_exceeded     the tenant is past its plan's monthly requests (Retry-After, X-Quota-Reset)
 *   429 rate_limited       the tenant's or the API key's requests per minute, counted across isolates
 *                          (Retry-After, X-RateLimit-*)
 *                          (a 429 on a Confluent path, outside /api: `{"error_code": 429, "message"}`)
 *   502 tenant_error       the tenant Worker threw
 *   503 tenant_unavailable the tenant's script is missing, or its route record is invalid (no proof)
 *   503 tenant_over_limit  the tenant Worker exceeded its CPU / subrequest limits
 *   503 routing_unavailable the routing store could not be read
 *   500 internal_error     anything unexpected
 * Every response, a tenant's included, carries `x-request-id`.
 *
 * Webhooks (contracts/webhook-pump.ts): a tenant answer carrying `x-wfp-webhook-wake` reaches the
 * client without it, and sets that tenant's `WebhookClock` (WEBHOOK_CLOCKS) without delaying the
 * answer; the clock's alarm sends `POST /__wfp/webhooks/pump` to the tenant until it has nothing due.
 */
import { Hono } from "hono";
import type { DispatcherBindings, DispatcherEnv } from "./env.ts";
import { discardBody } from "../../contracts/discard-body.ts";
import { hostOfUrl } from "./normalize-host.ts";
import { onPlatformError, onPlatformNotFound } from "./platform-error.ts";
import { requestId } from "./request-id.ts";
import { AuthFailureTracker } from "./auth-failures.ts";
import { RateLimiter } from "./rate-limiter.ts";
import { RouteCache } from "./route-cache.ts";
import { SharedRateLimiter } from "./shared-rate-limiter.ts";
import { dispatchToTenant, platformHosts, type DispatchState } from "./tenant-dispatch.ts";

// 10 s: a suspension or a moved host is obeyed at most 10 s after KV serves it.
// 2 s: a newly onboarded host goes live within 2 s of a "no such host" being cached.
// Rate limits per minute (docs/security.md): across isolates through the RATE_LIMITS objects, each
// isolate admitting at most 1% of a limit before its object has counted it; per isolate when the
// binding is missing or its object fails. Auth failures are per isolate. All memory-bounded.
// Auth failures: 10 401s within a minute block the client for 30 s, doubling up to 15 min.
const limiter = new RateLimiter({ windowMs: 60_000, maxEntries: 20_000 });
const state: DispatchState = {
  routes: new RouteCache({ positiveTtlMs: 10_000, negativeTtlMs: 2_000, maxEntries: 1_000 }),
  limiter,
  sharedLimiter: new SharedRateLimiter(limiter, { windowMs: 60_000, maxTenants: 10_000, maxKeysPerTenant: 1_000 }),
  authFailures: new AuthFailureTracker({
    threshold: 10,
    windowMs: 60_000,
    baseBlockMs: 30_000,
    maxBlockMs: 15 * 60_000,
    maxEntries: 10_000,
  }),
};

/** The platform's own routes, answered only on PLATFORM_HOSTS, so they never shadow a tenant's paths. */
const platform = new Hono<DispatcherEnv>();
platform.use(requestId());
platform.use(async (c, next) => {
  await next();
  await discardBody(c.req.raw);
});
platform.get("/health", (c) => c.json({ status: "ok", service: "wfp-dispatcher", requestId: c.var.requestId }));
platform.notFound(onPlatformNotFound);
platform.onError(onPlatformError);

export default {
  fetch(request, env, ctx) {
    const host = hostOfUrl(request.url);
    if (host !== null && platformHosts(env.PLATFORM_HOSTS).has(host)) return platform.fetch(request, env, ctx);
    // Tenant traffic takes the lean path: no router on the hot path (see dispatchToTenant).
    return dispatchToTenant(request, env, host, state, ctx);
  },
} satisfies ExportedHandler<DispatcherBindings>;

/** The tenants' shared request counters (the RATE_LIMITS binding's class). */
export { RateLimitCounter } from "./rate-limit-counter.ts";
/** The tenants' webhook clocks (the WEBHOOK_CLOCKS binding's class). */
export { WebhookClock } from "./webhook-clock.ts";
