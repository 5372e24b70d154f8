import type { Context, ErrorHandler, NotFoundHandler } from "hono";
import { HTTPException } from "hono/http-exception";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import type { DispatcherEnv } from "./env.ts";

/**
 * The error shape of the dispatcher's own answers:
 * `{ "error": { "code": "tenant_suspended", "message": "...", "requestId": "..." } }`, but for a 429
 * on a Confluent path, answered in Confluent's shape (tenant-dispatch.ts).
 */
export interface ErrorBody {
  error: { code: string; message: string; requestId: string };
}

/**
 * An error the dispatcher answers on purpose. `message` is shown to the client, so it must never
 * carry internals (script names, upstream messages, stack traces); those go to the log only.
 *
 * @example
 *   throw new PlatformError(403, "tenant_suspended", "This registry is suspended.");
 */
export class PlatformError extends HTTPException {
  /** Extra response headers, e.g. `retry-after` on a 429. */
  readonly headers: Record<string, string> | undefined;

  constructor(
    status: ContentfulStatusCode,
    readonly code: string,
    message: string,
    options: { cause?: unknown; headers?: Record<string, string> } = {},
  ) {
    super(status, { message, cause: options.cause });
    this.name = "PlatformError";
    this.headers = options.headers;
  }
}

/** Builds the JSON error response; the only place the shape is written. */
export function platformErrorResponse(
  status: ContentfulStatusCode,
  code: string,
  message: string,
  requestId: string,
  headers: Record<string, string> = {},
): Response {
  const body: ErrorBody = { error: { code, message, requestId } };
  return Response.json(body, { status, headers: { ...headers, "x-request-id": requestId } });
}

function errorResponse(
  c: Context<DispatcherEnv>,
  status: ContentfulStatusCode,
  code: string,
  message: string,
): Response {
  return platformErrorResponse(status, code, message, c.var.requestId ?? "");
}

/**
 * `app.onError`: known errors keep their status and code; anything else is logged with the request
 * id and answered as a generic 500, so an unexpected exception never leaks its message.
 */
export const onPlatformError: ErrorHandler<DispatcherEnv> = (err, c) => {
  if (err instanceof PlatformError)
    return platformErrorResponse(err.status, err.code, err.message, c.var.requestId ?? "", err.headers);
  if (err instanceof HTTPException) return errorResponse(c, err.status, "http_error", err.message);
  console.error(JSON.stringify({ event: "unhandled_error", requestId: c.var.requestId, error: String(err) }));
  return errorResponse(c, 500, "internal_error", "The platform failed to handle the request.");
};

/** `app.notFound`: the same shape as every other error. */
export const onPlatformNotFound: NotFoundHandler<DispatcherEnv> = (c) =>
  errorResponse(c, 404, "not_found", "No such endpoint.");
