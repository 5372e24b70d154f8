/**
 * Cloudflare's v4 API envelope: `{ success, errors, messages, result, result_info }`.
 * Every answer of the local API is built here so that the shape cannot drift between modules.
 */
import type { Context } from "hono";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import type { z } from "zod";

export interface ResultInfo {
  page?: number;
  per_page?: number;
  count: number;
  total_count?: number;
  total_pages?: number;
  cursor?: string;
}

/** An error the API answers with Cloudflare's status and error code. */
export class ApiError extends Error {
  constructor(
    readonly status: ContentfulStatusCode,
    readonly code: number,
    message: string,
  ) {
    super(message);
    this.name = "ApiError";
  }
}

/** @example return ok(c, database) */
export function ok(c: Context, result: unknown, resultInfo?: ResultInfo, status: ContentfulStatusCode = 200): Response {
  const body: Record<string, unknown> = { success: true, errors: [], messages: [], result };
  if (resultInfo !== undefined) body.result_info = resultInfo;
  return c.json(body, status);
}

/**
 * A success with no `result` at all, as Cloudflare documents a few deletes (a regional hostname's:
 * `{ errors, messages, success }`); the SDK hands such a body back whole.
 *
 * @example return okWithoutResult(c)
 */
export function okWithoutResult(c: Context): Response {
  return c.json({ success: true, errors: [], messages: [] });
}

/** The body Cloudflare sends for a failed call. */
export function errorBody(code: number, message: string): Record<string, unknown> {
  return { success: false, errors: [{ code, message }], messages: [], result: null };
}

export const notFound = (code: number, message: string) => new ApiError(404, code, message);
export const badRequest = (code: number, message: string) => new ApiError(400, code, message);
export const conflict = (code: number, message: string) => new ApiError(409, code, message);

/** Reads a JSON body and validates it, answering 400 with what is wrong. */
export async function jsonBody<T extends z.ZodType>(c: Context, schema: T): Promise<z.output<T>> {
  let raw: unknown;
  try {
    raw = await c.req.json();
  } catch {
    throw badRequest(6007, "Malformed JSON in request body");
  }
  const parsed = schema.safeParse(raw);
  if (!parsed.success) {
    const detail = parsed.error.issues
      .map((issue) => `${issue.path.length > 0 ? issue.path.join(".") : "body"}: ${issue.message}`)
      .join("; ");
    throw badRequest(10001, `Invalid request body: ${detail}`);
  }
  return parsed.data;
}

/** Page-number pagination the way Cloudflare's list endpoints do it. */
export function paginate<T>(
  c: Context,
  items: T[],
  defaultPerPage = 20,
  maxPerPage = 1000,
): { page: T[]; info: ResultInfo } {
  const page = positiveInt(c.req.query("page"), 1, "page");
  const perPage = Math.min(positiveInt(c.req.query("per_page"), defaultPerPage, "per_page"), maxPerPage);
  const start = (page - 1) * perPage;
  const slice = items.slice(start, start + perPage);
  return {
    page: slice,
    info: {
      page,
      per_page: perPage,
      count: slice.length,
      total_count: items.length,
      total_pages: Math.max(1, Math.ceil(items.length / perPage)),
    },
  };
}

function positiveInt(value: string | undefined, fallback: number, name: string): number {
  if (value === undefined || value === "") return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw badRequest(10001, `${name} must be a positive integer`);
  return n;
}
