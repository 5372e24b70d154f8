/**
 * The page size of every /api listing (`?limit=`): 1..MAX_PAGE_SIZE in plain decimal digits,
 * refused with 400 otherwise, never clamped (docs/security.md, input limits).
 */
import { z } from "@hono/zod-openapi";
import { ApiError } from "../api-error.ts";
import { MAX_PAGE_SIZE } from "./input-limits.ts";

/**
 * The `limit` query field, as validated and documented in the OpenAPI document.
 *
 * @example
 *   z.strictObject({ limit: pageSizeQuery(50), cursor: ... })
 */
export function pageSizeQuery(defaultSize: number) {
  return z.coerce
    .number()
    .int()
    .min(1)
    .max(MAX_PAGE_SIZE)
    .optional()
    .openapi({ description: `Page size, 1..${MAX_PAGE_SIZE}, default ${defaultSize}.` });
}

/**
 * The `cursor` query field of a listing paged by row id (keys, the audit log, a webhook's
 * deliveries): the previous page's `nextCursor`, decimal digits.
 *
 * @example
 *   z.strictObject({ limit: pageSizeQuery(50), cursor: rowCursorQuery() })
 */
export function rowCursorQuery() {
  return z
    .string()
    .regex(/^\d{1,18}$/)
    .optional()
    .openapi({ description: "`nextCursor` of the previous page." });
}

/**
 * Refuses a `limit` that is not plain decimal digits: zod's number coercion (pageSizeQuery) also
 * takes `0x10`, `1e2` and `" 5 "`. Call it with the raw query value before using the page size.
 *
 * @example
 *   requirePlainPageSize(c.req.query("limit")); // throws 400 for "0x10"
 */
export function requirePlainPageSize(raw: string | undefined): void {
  if (raw !== undefined && !/^[0-9]{1,4}$/.test(raw)) {
    throw new ApiError(
      400,
      "invalid_request",
      `Invalid query: query/limit must be a whole number from 1 to ${MAX_PAGE_SIZE}.`,
      {
        details: [{ path: "query/limit", message: "not a decimal integer" }],
      },
    );
  }
}
