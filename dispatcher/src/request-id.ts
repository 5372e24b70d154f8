import type { MiddlewareHandler } from "hono";

import { REQUEST_ID_HEADER } from "../../contracts/dispatch-headers.ts";

// Ids we accept from a client: short and inert, so they are safe to log and to echo in a header.
const WELL_FORMED_ID = /^[A-Za-z0-9][A-Za-z0-9._:=-]{0,127}$/;

export interface RequestIdOptions {
  /** Makes an id when the client sent none or a malformed one. */
  generate?: () => string;
}

export interface RequestIdVariables {
  requestId: string;
}

/**
 * Gives every request an id (the client's `x-request-id` when well-formed, otherwise a new UUID),
 * exposes it as `c.var.requestId`, and sets it on whatever response leaves the app: a route's, the
 * error handler's, or a tenant Worker's response passed through unchanged.
 *
 * Unlike `hono/request-id`, the header is set after `next()`, because a Response returned as-is
 * (the tenant's) does not pick up headers prepared on the context beforehand. The tenant cannot
 * choose another id: a different value it sets is overwritten.
 *
 * @example
 *   app.use(requestId());
 *   app.get("/", (c) => c.text(c.var.requestId));
 */
/**
 * The id of a request: the client's `x-request-id` when well-formed, otherwise a new UUID.
 *
 * @example
 *   requestIdOf(new Request("https://a.example", { headers: { "x-request-id": "abc-1" } })) // "abc-1"
 */
export function requestIdOf(request: Request, generate: () => string = () => crypto.randomUUID()): string {
  const incoming = request.headers.get(REQUEST_ID_HEADER);
  return incoming !== null && WELL_FORMED_ID.test(incoming) ? incoming : generate();
}

export function requestId({ generate = () => crypto.randomUUID() }: RequestIdOptions = {}): MiddlewareHandler<{
  Variables: RequestIdVariables;
}> {
  return async function requestId(c, next) {
    const id = requestIdOf(c.req.raw, generate);
    c.set("requestId", id);
    await next();
    // A tenant built from the template already echoes the id it was given; setting the header
    // anyway would copy its (immutable) Response for nothing.
    if (c.res.headers.get(REQUEST_ID_HEADER) !== id) c.header(REQUEST_ID_HEADER, id);
  };
}
