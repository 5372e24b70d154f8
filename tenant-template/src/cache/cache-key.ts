/**
 * The KV key of one cached document version. It names an immutable fact, "document `id` of
 * `collection` at `_version` N", so an entry never needs to be invalidated to stay correct: a write
 * makes a new version, and readers then ask for a different key. The `d1` segment is the layout
 * of the value; changing that layout means changing the segment, so old entries are never misread.
 * Ids cannot contain "/" (DOCUMENT_ID), so the key splits back into its parts unambiguously.
 *
 * @example
 *   cacheKey("products", "0196...", 3); // "doc/d1/products/0196.../3"
 */
export function cacheKey(collection: string, id: string, version: number): string {
  return `doc/d1/${collection}/${id}/${version}`;
}
