import type { Context } from "hono";

/**
 * Sets a header on the answer, from a middleware after `next()`. Once a handler has answered,
 * Hono's `c.header()` copies the whole Response on every call (a request that passes through the
 * request id and D1 session middlewares would be copied up to five times); the Response the
 * tenant's handlers make has mutable headers, so they are set in place. An answer whose headers
 * are immutable (one fetched from elsewhere) goes through `c.header()`.
 *
 * @example
 *   await next();
 *   setAnswerHeader(c, "x-request-id", id);
 */
export function setAnswerHeader(c: Context, name: string, value: string): void {
  if (!c.finalized) {
    c.header(name, value);
    return;
  }
  try {
    c.res.headers.set(name, value);
  } catch {
    c.header(name, value);
  }
}
