import type { MiddlewareHandler } from "hono";

export const REQUEST_ID_HEADER = "x-request-id";

// The dispatcher always sends one; anything else (a direct call, a bad value) gets a fresh id.
const WELL_FORMED_ID = /^[A-Za-z0-9][A-Za-z0-9._:=-]{0,127}$/;

export interface RequestIdOptions {
  generate?: () => string;
}

export interface RequestIdVariables {
  requestId: string;
}

/**
 * Adopts the dispatcher's `x-request-id` (so one id follows a request across both Workers),
 * exposes it as `c.var.requestId` and echoes it on every response.
 *
 * @example
 *   app.use(requestId());
 */
export function requestId({ generate = () => crypto.randomUUID() }: RequestIdOptions = {}): MiddlewareHandler<{
  Variables: RequestIdVariables;
}> {
  return async function requestId(c, next) {
    const incoming = c.req.raw.headers.get(REQUEST_ID_HEADER);
    const id = incoming !== null && WELL_FORMED_ID.test(incoming) ? incoming : generate();
    c.set("requestId", id);
    await next();
    c.header(REQUEST_ID_HEADER, id);
  };
}
