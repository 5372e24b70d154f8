import { ApiError } from "../api-error.ts";

/**
 * The strong ETag of a document: its `_version`, quoted (`"3"`). The version changes on every
 * write, so it is exactly as precise as a content hash and costs nothing to compute.
 *
 * @example
 *   c.header("ETag", entityTag(document.version)); // "3"
 */
export function entityTag(version: number): string {
  return `"${version}"`;
}

/**
 * The version an `If-Match` header requires: a number, `null` when there is no header (or `*`,
 * which any existing document matches). A weak tag (`W/"3"`) is read as its version: the ETag is
 * the version either way. Anything else is a 400, so a typo never turns into an unconditional write.
 *
 * @example
 *   requiredVersion('"3"'); // 3
 *   requiredVersion(undefined); // null
 */
export function requiredVersion(ifMatch: string | undefined): number | null {
  if (ifMatch === undefined || ifMatch.trim() === "*") return null;
  const match = /^\s*(?:W\/)?"(\d{1,15})"\s*$/.exec(ifMatch);
  if (!match) {
    throw new ApiError(400, "invalid_request", 'If-Match must be one entity tag as sent in ETag, e.g. "3".', {
      details: [{ path: "header/if-match", message: 'expected a quoted version, e.g. "3"' }],
    });
  }
  return Number(match[1]);
}
