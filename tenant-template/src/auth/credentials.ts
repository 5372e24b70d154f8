/**
 * Reads the API key a request presents in `Authorization` (docs/security.md):
 * - `Bearer wfp_<keyId>_<secret>` (the whole key);
 * - `Basic base64(<keyId>:<secret>)`, what Confluent clients send (`basic.auth.user.info`); a
 *   password that is itself a whole key of the same id (or with an empty user name) is accepted too.
 */
import { joinKey, keyIdOf } from "../../../contracts/api-key.ts";

/** What a request presented. */
export type Credentials =
  /** No Authorization header at all. */
  | { kind: "none" }
  /** A header that is not a well-formed key in either scheme. */
  | { kind: "malformed" }
  | { kind: "key"; keyId: string; key: string };

// A header longer than this cannot hold a key (128-character secrets, base64 of Basic included).
const MAX_HEADER_LENGTH = 512;

/**
 * @example
 *   presentedCredentials("Bearer wfp_admin_Vq3...") // { kind: "key", keyId: "admin", key: "wfp_admin_Vq3..." }
 *   presentedCredentials(null)                      // { kind: "none" }
 */
export function presentedCredentials(header: string | null | undefined): Credentials {
  if (header === null || header === undefined) return { kind: "none" };
  if (header.length > MAX_HEADER_LENGTH) return { kind: "malformed" };
  const match = /^([A-Za-z]+) +(\S+) *$/.exec(header);
  if (match === null) return { kind: "malformed" };
  const scheme = match[1]!.toLowerCase();
  const value = match[2]!;
  if (scheme === "bearer") {
    const keyId = keyIdOf(value);
    return keyId === null ? { kind: "malformed" } : { kind: "key", keyId, key: value };
  }
  if (scheme === "basic") return basicCredentials(value);
  return { kind: "malformed" };
}

function basicCredentials(encoded: string): Credentials {
  let decoded: string;
  try {
    decoded = atob(encoded);
  } catch {
    return { kind: "malformed" };
  }
  const colon = decoded.indexOf(":");
  if (colon < 0) return { kind: "malformed" };
  const user = decoded.slice(0, colon);
  const password = decoded.slice(colon + 1);
  const wholeKeyId = keyIdOf(password);
  if (wholeKeyId !== null && (user === "" || user === wholeKeyId))
    return { kind: "key", keyId: wholeKeyId, key: password };
  const key = joinKey(user, password);
  return key === null ? { kind: "malformed" } : { kind: "key", keyId: user, key };
}
