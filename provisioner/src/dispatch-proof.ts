/**
 * The dispatch proof: a per-tenant secret that only the platform knows. The provisioner uploads
 * it to the tenant Worker as the DISPATCH_PROOF secret and writes it into every route record of
 * the tenant; the dispatcher sends it as `x-wfp-proof`, and the tenant Worker refuses any request
 * without it (docs/security.md). A request that reaches the Worker some other way has no proof.
 */
import { randomBytes } from "node:crypto";

/**
 * A fresh dispatch proof: 256 random bits, base64url (43 characters).
 *
 * @example
 *   generateDispatchProof() // "q0s4...", 43 characters
 */
export function generateDispatchProof(): string {
  return randomBytes(32).toString("base64url");
}
