import type { Context, ErrorHandler, NotFoundHandler } from "hono";
import { HTTPException } from "hono/http-exception";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import type { TenantEnv } from "./env.ts";

/** The error shape shared with the dispatcher: `{ "error": { "code", "message", "requestId" } }`. */
export interface ErrorBody {
  error: { code: string; message: string; requestId: string };
}

/**
 * An error the tenant API answers on purpose; `message` is client-facing, so no internals.
 *
 * @example
 *   throw new ApiError(404, "not_found", "No such schema.");
 */
export class ApiError extends HTTPException {
  constructor(
    status: ContentfulStatusCode,
    readonly code: string,
    message: string,
    options: { cause?: unknown } = {},
  ) {
    super(status, { message, cause: options.cause });
    this.name = "ApiError";
  }
}

/** The only place the error body is built. */
export function errorResponse(c: Context<TenantEnv>, status: ContentfulStatusCode, code: string, message: string): Response {
  const body: ErrorBody = { error: { code, message, requestId: c.var.requestId ?? "" } };
  return c.json(body, status);
}

export const onApiError: ErrorHandler<TenantEnv> = (err, c) => {
  if (err instanceof ApiError) return errorResponse(c, err.status, err.code, err.message);
  if (err instanceof HTTPException) return errorResponse(c, err.status, "http_error", err.message);
  console.error(JSON.stringify({ event: "unhandled_error", requestId: c.var.requestId, error: String(err) }));
  return errorResponse(c, 500, "internal_error", "The registry failed to handle the request.");
};

export const onApiNotFound: NotFoundHandler<TenantEnv> = (c) => errorResponse(c, 404, "not_found", "No such endpoint.");
