import type { Context } from "hono";
import { HTTPException } from "hono/http-exception";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import type { RequestIdVariables } from "./request-id.ts";

/** Errors need nothing of the tenant but the request id, so any app with `requestId()` can use them. */
type ErrorEnv = { Variables: RequestIdVariables };

/** Where a request went wrong: a JSON pointer-ish path into the body, query or path, and why. */
export interface ErrorDetail {
  /** e.g. `body/name`, `query/limit`, `path/productId`. */
  path: string;
  message: string;
  /** 1-based position in a text field (e.g. a specification) when the problem has one. */
  line?: number;
  column?: number;
}

/**
 * The error shape shared with the dispatcher: `{ "error": { "code", "message", "requestId" } }`,
 * plus `details` (one entry per field that is wrong) when the request itself was at fault.
 */
export interface ErrorBody {
  error: { code: string; message: string; requestId: string; details?: ErrorDetail[] };
}

/**
 * An error the tenant API answers on purpose; `message` is client-facing, so no internals.
 *
 * @example
 *   throw new ApiError(404, "not_found", "No such schema.");
 *   throw new ApiError(400, "unknown_fields", "Unknown field: colour.", {
 *     details: [{ path: "body/colour", message: "not allowed" }],
 *   });
 */
export class ApiError extends HTTPException {
  readonly details: ErrorDetail[] | undefined;

  constructor(
    status: ContentfulStatusCode,
    readonly code: string,
    message: string,
    options: { cause?: unknown; details?: ErrorDetail[] } = {},
  ) {
    super(status, { message, cause: options.cause });
    this.name = "ApiError";
    this.details = options.details;
  }
}

/** The only place the error body is built. */
export function errorResponse<E extends ErrorEnv>(
  c: Context<E>,
  status: ContentfulStatusCode,
  code: string,
  message: string,
  details?: ErrorDetail[],
): Response {
  const body: ErrorBody = {
    error: { code, message, requestId: c.var.requestId ?? "", ...(details === undefined ? {} : { details }) },
  };
  return c.json(body, status);
}

/** `app.onError`: known errors keep their status, code and details; anything else is a bare 500. */
export function onApiError<E extends ErrorEnv>(err: Error, c: Context<E>): Response {
  if (err instanceof ApiError) return errorResponse(c, err.status, err.code, err.message, err.details);
  if (err instanceof HTTPException) return errorResponse(c, err.status, "http_error", err.message);
  console.error(JSON.stringify({ event: "unhandled_error", requestId: c.var.requestId, error: String(err) }));
  return errorResponse(c, 500, "internal_error", "The registry failed to handle the request.");
}

/** `app.notFound`: the same shape as every other error. */
export function onApiNotFound<E extends ErrorEnv>(c: Context<E>): Response {
  return errorResponse(c, 404, "not_found", "No such endpoint.");
}
