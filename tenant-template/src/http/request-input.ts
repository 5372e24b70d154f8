/**
 * The tenant API's input layer: every body, query and path parameter is validated with zod, and
 * every way a request can be wrong gets the API's one error shape (code, message, per-field
 * details, request id) with the right 4xx. Nothing here touches stored data, so a bad request can
 * never change it.
 */
import type { Context, MiddlewareHandler } from "hono";
import { bodyLimit } from "hono/body-limit";
import type { ZodError } from "zod";
import { ApiError, type ErrorDetail } from "../api-error.ts";

/** The largest body the API reads (the registry's documents are schemas, not blobs). */
export const DEFAULT_MAX_BODY_BYTES = 1024 * 1024;

const BODY_METHODS = new Set(["POST", "PUT", "PATCH"]);

export interface RequestInputOptions {
  /** Bodies larger than this are refused with 413 before they are read whole. */
  maxBodyBytes?: number;
}

/**
 * Guards every request body: 413 when it is too large, 415 when it is not JSON, 400 when it is not
 * well-formed JSON. The parsed body is cached by Hono, so validators read it without parsing twice.
 *
 * @example
 *   app.use("/api/*", requestInput({ maxBodyBytes: 512 * 1024 }));
 */
export function requestInput({ maxBodyBytes = DEFAULT_MAX_BODY_BYTES }: RequestInputOptions = {}): MiddlewareHandler {
  const limit = bodyLimit({
    maxSize: maxBodyBytes,
    onError: () => {
      throw new ApiError(413, "payload_too_large", `The request body is larger than ${maxBodyBytes} bytes.`);
    },
  });
  return async function requestInput(c, next) {
    if (!BODY_METHODS.has(c.req.method)) return next();
    return limit(c, async () => {
      const type = c.req.header("content-type");
      const hasBody = c.req.raw.body !== null;
      if (hasBody && type !== undefined && !/^application\/(?:[\w.+-]+\+)?json\b/i.test(type)) {
        throw new ApiError(415, "unsupported_media_type", "Send the body as JSON (Content-Type: application/json).");
      }
      if (hasBody) await parseJsonOnce(c);
      await next();
    });
  };
}

async function parseJsonOnce(c: Context): Promise<void> {
  // bodyLimit aborts the stream of an oversized chunked body: the error goes up and bodyLimit's
  // own onError answers 413.
  const text = await c.req.text();
  if (text.trim() === "") return;
  try {
    JSON.parse(text);
  } catch (cause) {
    const where = /position (\d+)/.exec(String((cause as Error).message))?.[1];
    throw new ApiError(
      400,
      "malformed_json",
      `The body is not valid JSON${where === undefined ? "" : ` (at character ${where})`}.`,
      { cause },
    );
  }
}

type Target = "json" | "query" | "param" | "header" | "form" | "cookie";
const TARGET_PATH: Record<Target, string> = {
  json: "body",
  query: "query",
  param: "path",
  header: "header",
  form: "body",
  cookie: "cookie",
};

/**
 * Turns a zod failure into the API's 400: `unknown_fields` naming every unexpected field, or
 * `invalid_request` with one detail per problem.
 *
 * @example
 *   const parsed = schema.safeParse(body);
 *   if (!parsed.success) throw invalidInput(parsed.error, "json");
 */
export function invalidInput(error: ZodError, target: Target): ApiError {
  const base = TARGET_PATH[target];
  const unknown: ErrorDetail[] = [];
  const other: ErrorDetail[] = [];
  for (const issue of error.issues) {
    const at = [base, ...issue.path.map(String)].join("/");
    if (issue.code === "unrecognized_keys") {
      for (const key of issue.keys) unknown.push({ path: `${at}/${key}`, message: "unknown field" });
    } else {
      other.push({ path: at, message: issue.message });
    }
  }
  if (unknown.length > 0) {
    const names = unknown.map((d) => d.path.slice(base.length + 1)).join(", ");
    return new ApiError(
      400,
      "unknown_fields",
      `Unknown field${unknown.length > 1 ? "s" : ""} in the ${base}: ${names}.`,
      { details: [...unknown, ...other] },
    );
  }
  const first = other[0];
  return new ApiError(
    400,
    "invalid_request",
    first === undefined ? `Invalid ${base}.` : `Invalid ${base}: ${first.path} ${first.message}.`,
    { details: other },
  );
}

/**
 * The hook for `@hono/zod-openapi` / `@hono/zod-validator`: a failed validation becomes the API's
 * own 400 instead of the library's default body.
 *
 * @example
 *   const api = new OpenAPIHono<TenantEnv>({ defaultHook: validationHook });
 */
export function validationHook(result: { success: true } | { success: false; error: ZodError; target: Target }): void {
  if (!result.success) throw invalidInput(result.error, result.target);
}
