/**
 * The credentials a test gives a tenant Worker it runs directly (without the dispatcher and the
 * provisioner): the per-tenant dispatch proof the dispatcher would add, and an admin API key whose
 * hash is bound as ADMIN_KEY_HASH (docs/contracts.md, docs/security.md). Fixed values: tests only.
 */
import { createHash } from "node:crypto";

/** The dispatch proof bound as DISPATCH_PROOF and sent as `x-wfp-proof` by the harnesses. */
export const TEST_DISPATCH_PROOF = "test-dispatch-proof-0123456789abcdefghijklmnopqrstuv";
/** An admin key in the product's format `wfp_<keyId>_<secret>` (key id `admin`). */
export const TEST_ADMIN_KEY = "wfp_admin_TestAdminSecret0123456789abcdefghijklmnopq";
const TEST_ADMIN_KEY_HASH = createHash("sha256").update(TEST_ADMIN_KEY, "utf8").digest("hex");

/**
 * The secret bindings a directly-run tenant Worker needs.
 *
 * @example
 *   bindings: { TENANT_ID: "t", ...tenantSecretBindings() }
 */
export function tenantSecretBindings(): { ADMIN_KEY_HASH: string; DISPATCH_PROOF: string } {
  return { ADMIN_KEY_HASH: TEST_ADMIN_KEY_HASH, DISPATCH_PROOF: TEST_DISPATCH_PROOF };
}

/**
 * Headers a request to a directly-run tenant Worker carries: the dispatch proof and, unless
 * `key` is null, `Authorization: Bearer <key>` (the test admin key by default).
 *
 * @example
 *   fetch(url, { headers: { ...tenantRequestHeaders(), "content-type": "application/json" } })
 */
export function tenantRequestHeaders(key: string | null = TEST_ADMIN_KEY): Record<string, string> {
  return { "x-wfp-proof": TEST_DISPATCH_PROOF, ...(key === null ? {} : { authorization: `Bearer ${key}` }) };
}
