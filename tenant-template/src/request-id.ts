import type { MiddlewareHandler } from "hono";

import { RATE_LIMIT_ECHO_HEADER, REQUEST_ID_HEADER } from "../../contracts/dispatch-headers.ts";
import { setAnswerHeader } from "./http/response-header.ts";

const RATE_LIMIT_FIGURES = /^(\d{1,12}),(\d{1,12}),(\d{1,6})$/;

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
 * exposes it as `c.var.requestId` and echoes it on every response, with the dispatcher's
 * `X-RateLimit-*` figures when it sent them (`x-wfp-ratelimit`).
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
    const rateLimit = c.req.raw.headers.get(RATE_LIMIT_ECHO_HEADER);
    await next();
    setAnswerHeader(c, REQUEST_ID_HEADER, id);
    // The dispatcher's rate-limit figures, echoed so it can hand this response back uncopied.
    const figures = rateLimit === null ? null : RATE_LIMIT_FIGURES.exec(rateLimit);
    if (figures !== null) {
      setAnswerHeader(c, "x-ratelimit-limit", figures[1]!);
      setAnswerHeader(c, "x-ratelimit-remaining", figures[2]!);
      setAnswerHeader(c, "x-ratelimit-reset", figures[3]!);
    }
  };
}
