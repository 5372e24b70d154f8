// docs/contracts.md: an API key is `wfp_<keyId>_<secret>`, keyId `^[a-z0-9]{1,32}$`.
const BEARER_KEY = /^[Bb][Ee][Aa][Rr][Ee][Rr]\s+wfp_([a-z0-9]{1,32})_/;
const KEY_ID = /^[a-z0-9]{1,32}$/;
const WHOLE_KEY = /^wfp_([a-z0-9]{1,32})_/;

/**
 * The API key id a request claims, read without validating the key (the tenant Worker does that):
 * enough to give each key its own rate limit. `Authorization: Bearer wfp_<keyId>_...`, or HTTP
 * Basic with user = keyId (or a whole `wfp_` key as the password). Undefined when there is none;
 * such requests count against the tenant's limit only.
 *
 * A client can claim any id, so a per-key limit only protects keys from each other's honest
 * traffic; the tenant-wide limit is what bounds a client that makes ids up.
 *
 * @example
 *   apiKeyIdOf("Bearer wfp_ci_Zm9v...")          // "ci"
 *   apiKeyIdOf("Basic " + btoa("ci:Zm9v..."))    // "ci"
 *   apiKeyIdOf(null)                             // undefined
 */
export function apiKeyIdOf(authorization: string | null): string | undefined {
  if (authorization === null) return undefined;
  const bearer = BEARER_KEY.exec(authorization);
  if (bearer !== null) return bearer[1];
  if (authorization.length > 6 && authorization.slice(0, 6).toLowerCase() === "basic ") {
    let decoded: string;
    try {
      decoded = atob(authorization.slice(6).trim());
    } catch {
      return undefined;
    }
    const colon = decoded.indexOf(":");
    if (colon === -1) return undefined;
    const user = decoded.slice(0, colon);
    if (KEY_ID.test(user)) return user;
    return WHOLE_KEY.exec(decoded.slice(colon + 1))?.[1];
  }
  return undefined;
}
