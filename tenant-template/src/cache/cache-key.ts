/**
 * The KV key of one cached document version. It names an immutable fact, "row `incarnation` of
 * document `id` of `collection`, at `_version` N", so an entry never needs to be invalidated to
 * stay correct: a write makes a new version, a delete and re-insert of the id makes a new
 * incarnation (a number no earlier row had: migration 0007), and readers then ask for a different
 * key. The `d2` segment is the layout of the key and the value; changing either means changing the
 * segment, so old entries are never misread (`d1` entries, keyed without the incarnation, are
 * never asked for). Ids cannot contain "/" (DOCUMENT_ID), so the key splits back unambiguously.
 *
 * @example
 *   cacheKey("products", "0196...", 42, 3); // "doc/d2/products/0196.../42/3"
 */
export function cacheKey(collection: string, id: string, incarnation: number, version: number): string {
  return `doc/d2/${collection}/${id}/${incarnation}/${version}`;
}
