import type { MiddlewareHandler } from "hono";
import { ApiError } from "../api-error.ts";
import { setAnswerHeader } from "../http/response-header.ts";
import { BOOKMARK_HEADER, InvalidBookmarkError, openD1Session, type SessionIntent } from "./open-d1-session.ts";

export interface D1SessionOptions {
  /** Which requests may write; default: every method but GET, HEAD and OPTIONS. */
  intentOf?: (method: string) => SessionIntent;
}

export interface D1SessionVariables {
  /** The request's D1 session: run every query of the request on it. */
  session: D1DatabaseSession;
}

const READ_METHODS = new Set(["GET", "HEAD", "OPTIONS"]);

/**
 * Runs each request in one D1 session (see `openD1Session`) exposed as `c.var.session`, and
 * answers with the session's latest bookmark in `x-d1-bookmark` (the client's own when the
 * request ran no query), so the client's next request reads at least what this one saw or wrote.
 * A malformed incoming bookmark is a 400 `bad_bookmark`.
 *
 * @example
 *   const api = new Hono<{ Bindings: TenantBindings; Variables: D1SessionVariables }>();
 *   api.use(d1Session());
 *   api.get("/products/:id", async (c) =>
 *     c.json(await documentRepository(c.var.session, products).get(c.req.param("id"))),
 *   );
 */
export function d1Session({
  intentOf = (method) => (READ_METHODS.has(method) ? "read" : "write"),
}: D1SessionOptions = {}): MiddlewareHandler<{
  Bindings: { DB: D1Database };
  Variables: D1SessionVariables;
}> {
  return async function d1Session(c, next) {
    const incoming = c.req.header(BOOKMARK_HEADER);
    let session: D1DatabaseSession;
    try {
      session = openD1Session(c.env.DB, incoming, intentOf(c.req.method));
    } catch (error) {
      if (error instanceof InvalidBookmarkError)
        throw new ApiError(400, "bad_bookmark", `The ${BOOKMARK_HEADER} header is not a D1 bookmark.`);
      throw error;
    }
    c.set("session", session);
    await next();
    const bookmark = session.getBookmark() ?? incoming;
    if (bookmark) setAnswerHeader(c, BOOKMARK_HEADER, bookmark);
  };
}
