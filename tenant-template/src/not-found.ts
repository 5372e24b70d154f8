import type { Context } from "hono";
import { onApiNotFound } from "./api-error.ts";
import type { RequestIdVariables } from "./request-id.ts";
import { CONFLUENT_CONTENT_TYPE, confluentErrorBody, isConfluentPath } from "../../contracts/confluent-paths.ts";

/** What Confluent Schema Registry (its Jersey server) answers for a path it does not serve. */
const CONFLUENT_NOT_FOUND_MESSAGE = "HTTP 404 Not Found";

/**
 * `app.notFound`: a path no route serves is answered in the shape of the API the path belongs to
 * (contracts/confluent-paths.ts): under `/api` the API's own error shape with the request id, as
 * every /api error; anywhere else Confluent's `{"error_code":404,"message":"HTTP 404 Not Found"}`,
 * what a Confluent client (or a tool pointed at the registry's root) parses. Both carry
 * `x-request-id` as a header.
 *
 * @example
 *   app.notFound(onNotFound);
 */
export function onNotFound<E extends { Variables: RequestIdVariables }>(c: Context<E>): Response {
  if (!isConfluentPath(c.req.path)) return onApiNotFound(c);
  return c.body(confluentErrorBody(404, CONFLUENT_NOT_FOUND_MESSAGE), 404, {
    "content-type": CONFLUENT_CONTENT_TYPE,
  });
}
