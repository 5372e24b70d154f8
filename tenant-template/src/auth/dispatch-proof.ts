import type { MiddlewareHandler } from "hono";
import { errorResponse } from "../api-error.ts";
import { DISPATCH_PROOF_HEADER } from "../../../contracts/dispatch-headers.ts";
import type { TenantEnv } from "../env.ts";
import { fixedWidthEqual, paddedSecret, type PaddedSecret } from "./fixed-width-equal.ts";

// The bound proof as compared, made once per isolate (a binding does not change under a running
// isolate; the source string is kept to notice if it ever does, e.g. in tests).
let expectedSource: string | undefined;
let expectedPadded: PaddedSecret | null = null;
let expectedDigest: Promise<ArrayBuffer> | undefined;

/** workerd's non-standard constant-time comparison (declared here so Node-side typechecks of the app pass too). */
type WorkersSubtleCrypto = typeof crypto.subtle & { timingSafeEqual(a: ArrayBuffer, b: ArrayBuffer): boolean };

function sha256(text: string): Promise<ArrayBuffer> {
  return crypto.subtle.digest("SHA-256", new TextEncoder().encode(text));
}

/**
 * True when `presented` equals `expected`, in time that does not depend on where they differ or
 * on either length: both are compared over a fixed width (fixed-width-equal.ts), which needs no
 * hashing per request. A proof wider than that (the provisioner's are far shorter) is hashed
 * instead, and the two 32-byte digests compared with `timingSafeEqual`.
 *
 * @example
 *   await proofMatches("abc", "abc") // true
 */
async function proofMatches(presented: string, expected: string): Promise<boolean> {
  if (expected !== expectedSource) {
    expectedSource = expected;
    expectedPadded = paddedSecret(expected);
    expectedDigest = expectedPadded === null ? sha256(expected) : undefined;
  }
  if (expectedPadded !== null) return fixedWidthEqual(presented, expectedPadded);
  const [a, b] = await Promise.all([sha256(presented), expectedDigest!]);
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
