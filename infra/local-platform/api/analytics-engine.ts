/**
 * Workers Analytics Engine's SQL API: `POST /accounts/{a}/analytics_engine/sql` with the query as
 * the body, answering `{ meta: [{name, type}], data: [...], rows }` (the API reference's
 * SqlQueryResponse; not in the v4 envelope). The dialect's supported part is in
 * analytics-engine-sql.ts; a query outside it is refused with 400 in the API's error envelope.
 * The store is pruned to Cloudflare's three months (and a row cap) at most once an hour, on a query.
 */
import { Hono } from "hono";
import { badRequest } from "../cloudflare-envelope.ts";
import { requireAccount, type PlatformContext } from "../platform-context.ts";
import { ANALYTICS_STORE_DATABASE, DEFAULT_MAX_STORED_POINTS, pruneStatements } from "../analytics-engine-schema.ts";
import { presentRow, SqlApiError, translateQuery } from "../analytics-engine-sql.ts";

const PRUNE_EVERY_MS = 3_600_000;
/** The SQL API's own cap on a query's text (local choice, generous). */
const MAX_QUERY_BYTES = 64 * 1024;
/** Error code of a query the API refuses (the local platform's; the message says why). */
const BAD_QUERY = 1000;

export function analyticsEngineRoutes(ctx: PlatformContext): Hono {
  const app = new Hono();
  let prunedAt = 0;

  app.post("/accounts/:account_id/analytics_engine/sql", async (c) => {
    requireAccount(ctx, c);
    const text = await c.req.text();
    if (text.trim() === "") throw badRequest(BAD_QUERY, "the request body must be the SQL query");
    if (text.length > MAX_QUERY_BYTES) throw badRequest(BAD_QUERY, `the query is over ${MAX_QUERY_BYTES} bytes`);
    const now = ctx.now();
    let query: ReturnType<typeof translateQuery>;
    try {
      query = translateQuery(text, now);
    } catch (error) {
      if (error instanceof SqlApiError) throw badRequest(BAD_QUERY, `cannot run the query: ${error.message}`);
      throw error;
    }
    const prune = now - prunedAt >= PRUNE_EVERY_MS ? pruneStatements(now, DEFAULT_MAX_STORED_POINTS) : [];
    prunedAt = prune.length > 0 ? now : prunedAt;
    let results: Awaited<ReturnType<typeof ctx.runtime.queryD1>>;
    try {
      results = await ctx.runtime.queryD1(ANALYTICS_STORE_DATABASE, [
        ...prune,
        { sql: query.sql, params: query.params },
      ]);
    } catch (error) {
      throw badRequest(BAD_QUERY, `cannot run the query: ${(error as Error).message}`);
    }
    const rows = (results.at(-1)?.results ?? []).map((row) => presentRow(row, query.columns));
    return c.json({ meta: query.columns, data: rows, rows: rows.length });
  });

  return app;
}
