import type { MiddlewareHandler } from "hono";
import { errorResponse } from "../api-error.ts";
import { DISPATCH_PROOF_HEADER } from "../../../contracts/dispatch-headers.ts";
import type { TenantEnv } from "../env.ts";

// The digest of the bound proof, computed once per isolate (a binding does not change under a
// running isolate; the source string is kept to notice if it ever does, e.g. in tests).
let expectedSource: string | undefined;
let expectedDigest: Promise<ArrayBuffer> | undefined;

/** workerd's non-standard constant-time comparison (declared here so Node-side typechecks of the app pass too). */
type WorkersSubtleCrypto = typeof crypto.subtle & { timingSafeEqual(a: ArrayBuffer, b: ArrayBuffer): boolean };

function sha256(text: string): Promise<ArrayBuffer> {
  return crypto.subtle.digest("SHA-256", new TextEncoder().encode(text));
}

/**
 * True when `presented` equals `expected`, in time that does not depend on where they differ:
 * both are hashed, and the two 32-byte digests are compared with `timingSafeEqual`, so neither
 * the length nor a common prefix of the secret leaks through timing.
 *
 * @example
 *   await proofMatches("abc", "abc") // true
 */
async function proofMatches(presented: string, expected: string): Promise<boolean> {
  if (expected !== expectedSource || expectedDigest === undefined) {
    expectedSource = expected;
    expectedDigest = sha256(expected);
  }
  const [a, b] = await Promise.all([sha256(presented), expectedDigest]);
  return (crypto.subtle as WorkersSubtleCrypto).timingSafeEqual(a, b);
}

/**
 * Refuses every request that does not carry this tenant's dispatch proof: the `x-wfp-proof`
 * header the dispatcher adds from the route record, equal to the DISPATCH_PROOF secret binding.
 * Defence in depth behind the dispatcher's routing: a request that reaches the Worker in any
 * other way (another tenant's route, a misconfigured route, a direct call) runs no tenant code.
 * A missing binding refuses everything (fail closed). The answer is 403 `not_routed` and names
 * no tenant; it is the same for a missing and a wrong proof.
 *
 * @example
 *   app.use(requestId());
 *   app.use(dispatchProof());
 */
export function dispatchProof(): MiddlewareHandler<TenantEnv> {
  return async function dispatchProof(c, next) {
    const expected = c.env.DISPATCH_PROOF;
    const presented = c.req.header(DISPATCH_PROOF_HEADER);
    const routed =
      typeof expected === "string" &&
      expected.length > 0 &&
      presented !== undefined &&
      (await proofMatches(presented, expected));
    if (!routed) return errorResponse(c, 403, "not_routed", "This request did not come through the platform.");
    await next();
  };
}
