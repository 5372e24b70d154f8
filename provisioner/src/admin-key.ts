/**
 * The tenant's initial admin API key. Only its sha-256 ever leaves this process (as the
 * ADMIN_KEY_HASH secret); the key itself is shown to the operator once.
 */
import { createHash, randomBytes } from "node:crypto";

/** Prefix that makes a leaked key recognisable to secret scanners. */
export const ADMIN_KEY_PREFIX = "wfp_admin_";

/**
 * A fresh admin key: 256 random bits, base64url.
 *
 * @example
 *   generateAdminKey() // "wfp_admin_Vq3...43 chars"
 */
export function generateAdminKey(): string {
  return `${ADMIN_KEY_PREFIX}${randomBytes(32).toString("base64url")}`;
}

/**
 * Lower-case hex sha-256 of a key, as the tenant Worker compares it (docs/contracts.md).
 *
 * @example
 *   hashAdminKey("wfp_admin_x") // "5c0e..."
 */
export function hashAdminKey(key: string): string {
  return createHash("sha256").update(key, "utf8").digest("hex");
}
