/**
 * The strong ETag of a document: its `_version`, quoted (`"3"`). The version changes on every
 * write, so it is exactly as precise as a content hash and costs nothing to compute. `If-Match`
 * compares against it: src/http/if-match.ts.
 *
 * @example
 *   c.header("ETag", entityTag(document.version)); // "3"
 */
export function entityTag(version: number): string {
  return `"${version}"`;
}
