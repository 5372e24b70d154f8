/**
 * A document id, as the tenant's store accepts it and the operator CLI checks it (e.g. the product
 * a key is scoped to): short, printable, URL-safe, and never "/", so it can stand in paths and
 * cache keys unescaped. Caller-chosen on import, generated otherwise.
 *
 * @example
 *   DOCUMENT_ID.test("00000000-0000-7000-8000-000000000001") // true
 *   DOCUMENT_ID.test("a/b") // false
 */
export const DOCUMENT_ID = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$/;
