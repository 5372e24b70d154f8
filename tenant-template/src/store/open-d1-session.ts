/** The request/response header that carries a D1 session bookmark (docs/document-store.md). */
export const BOOKMARK_HEADER = "x-d1-bookmark";

/** Whether a request only reads, or may write. */
export type SessionIntent = "read" | "write";

// D1 bookmarks are printable tokens (hex groups and dashes today); anything else is refused
// before it reaches D1, and the bound keeps a header from being used to send megabytes.
const BOOKMARK = /^[A-Za-z0-9._:+/=-]{1,512}$/;

/** The client sent an `x-d1-bookmark` that cannot be a bookmark. */
export class InvalidBookmarkError extends Error {
  constructor() {
    super(`invalid ${BOOKMARK_HEADER}`);
    this.name = "InvalidBookmarkError";
  }
}

/**
 * Opens the D1 session a request runs in. With the client's bookmark, the session starts at least
 * that fresh (D1 waits for a replica that has caught up), which is what makes a client read its
 * own writes. Without one, reads may be served by any replica ("first-unconstrained") and writes
 * start at the primary ("first-primary"). After the request, `session.getBookmark()` is the
 * bookmark to send back.
 *
 * @example
 *   const session = openD1Session(env.DB, request.headers.get("x-d1-bookmark"), "read");
 *   const doc = await documentRepository(session, products).get(id);
 *   response.headers.set("x-d1-bookmark", session.getBookmark() ?? "");
 */
export function openD1Session(
  db: D1Database,
  bookmark: string | null | undefined,
  intent: SessionIntent,
): D1DatabaseSession {
  if (bookmark !== null && bookmark !== undefined && bookmark !== "") {
    if (!BOOKMARK.test(bookmark)) throw new InvalidBookmarkError();
    return db.withSession(bookmark);
  }
  return db.withSession(intent === "write" ? "first-primary" : "first-unconstrained");
}
