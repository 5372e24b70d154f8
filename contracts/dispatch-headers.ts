/**
 * The headers the dispatcher and the tenant Worker speak to each other with (docs/contracts.md).
 * Clients cannot send any `x-wfp-*` header: the dispatcher strips them, so a tenant may trust one
 * it receives.
 */

/** Request headers the platform reserves. */
export const INTERNAL_HEADER_PREFIX = "x-wfp-";

/** The tenant's dispatch proof, added by the dispatcher; the tenant Worker refuses a request without it. */
export const DISPATCH_PROOF_HEADER = "x-wfp-proof";

/** The rate-limit figures the tenant echoes as `X-RateLimit-*`: `<limit>,<remaining>,<reset seconds>`. */
export const RATE_LIMIT_ECHO_HEADER = "x-wfp-ratelimit";

/** The request's id: set by the dispatcher, kept by the tenant, on every answer of both. */
export const REQUEST_ID_HEADER = "x-request-id";
