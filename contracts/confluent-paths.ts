/**
 * Which request paths belong to the Confluent-compatible API, and so answer their errors in
 * Confluent's shape (docs/contracts.md, "Error shapes"): every path outside `/api`. The tenant Worker
 * serves the hierarchical registry API under `/api` and Confluent's API at the root, where Confluent
 * clients (and tools pointed at a registry's root) look; one rule, imported by the tenant Worker
 * (its 404 for unknown paths, its 401/403, its OpenAPI document) and by the dispatcher (its 429s),
 * so the two Workers never disagree about which shape a client on a path gets.
 */

/** Where the hierarchical registry API lives; its errors are `{ "error": { code, message, requestId } }`. */
export const REGISTRY_API_PREFIX = "/api";

/** What Confluent answers with; its clients also accept application/vnd.schemaregistry+json and application/json. */
export const CONFLUENT_CONTENT_TYPE = "application/vnd.schemaregistry.v1+json";

/**
 * @example
 *   isConfluentPath("/subjects/orders-value/versions") // true
 *   isConfluentPath("/this/path/does/not/exist")       // true: Confluent's 404
 *   isConfluentPath("/api/products")                   // false
 *   isConfluentPath("/apis")                           // true: not under /api
 */
export function isConfluentPath(path: string): boolean {
  return !(path === REGISTRY_API_PREFIX || path.startsWith(`${REGISTRY_API_PREFIX}/`));
}

/**
 * Confluent's error body: `{"error_code": <code>, "message": <message>}`. Confluent's codes carry
 * their HTTP status in the first three digits (40401 -> 404); a bare status (404, 429) is its code
 * for errors of HTTP itself.
 *
 * @example
 *   confluentErrorBody(404, "HTTP 404 Not Found") // '{"error_code":404,"message":"HTTP 404 Not Found"}'
 */
export function confluentErrorBody(errorCode: number, message: string): string {
  return JSON.stringify({ error_code: errorCode, message });
}
