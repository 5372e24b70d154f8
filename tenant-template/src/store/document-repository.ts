import { sql } from "kysely";
import { DOCUMENT_ID } from "../../../contracts/document-id.ts";
import { MAX_PAGE_SIZE } from "../http/input-limits.ts";
import type { z } from "zod";
import type { BodyOf, Collection, IndexedName, IndexedValue } from "./define-collection.ts";
import { newDocumentId } from "./new-document-id.ts";
import { storeDb, type StoreQueryable } from "./store-db.ts";
import {
  uniqueViolationOf,
  type DeleteResult,
  type InsertResult,
  type InvalidInput,
  type NotFound,
  type StoredDocument,
  type UpdateResult,
  type VersionConflict,
} from "./store-result.ts";

/** Equality filters on indexed columns; `null` matches documents where the path is absent. */
export type DocumentFilter<C extends Collection> = {
  [N in IndexedName<C>]?: IndexedValue<C, N> | null;
};

export interface ListOptions<C extends Collection> {
  where?: DocumentFilter<C>;
  /** 1..500, default 50. */
  limit?: number;
  /** `nextCursor` of the previous page; omit for the first page. */
  cursor?: string | null;
}

export interface DocumentPage<Body> {
  items: StoredDocument<Body>[];
  /** Pass back as `cursor` for the next page; null on the last page. */
  nextCursor: string | null;
}

/** A cursor the store did not issue (tampered, truncated, or from another API). */
export class InvalidCursorError extends Error {
  constructor() {
    super("invalid cursor");
    this.name = "InvalidCursorError";
  }
}

export interface DocumentRepository<C extends Collection> {
  readonly collection: C;
  insert(body: z.input<C["body"]>, options?: { id?: string }): Promise<InsertResult<BodyOf<C>>>;
  get(id: string): Promise<StoredDocument<BodyOf<C>> | null>;
  update(id: string, body: z.input<C["body"]>, options: { expectedVersion: number }): Promise<UpdateResult<BodyOf<C>>>;
  delete(id: string, options: { expectedVersion: number }): Promise<DeleteResult>;
  list(options?: ListOptions<C>): Promise<DocumentPage<BodyOf<C>>>;
}

export const DEFAULT_PAGE_SIZE = 50;
export { MAX_PAGE_SIZE };

// The repository is generic over collections, which Kysely's table-name typing cannot follow, so
// inside it every collection is this shape. The exported signatures stay exact.
// Indexed columns are reached with `sql.ref` (only ever names from the declaration).
interface AnyDocumentRow {
  id: string;
  body: string;
  created_at: string;
  updated_at: string;
  _version: number;
}
type AnyStore = Record<string, AnyDocumentRow>;

const FIXED = ["id", "body", "created_at", "updated_at", "_version"] as const;

/**
 * Insert, get, update, delete and list the documents of one collection, on a D1 database or a
 * session of it (pass the request's session so the bookmark covers these queries).
 * Writes validate the body with the collection's zod schema and store what it outputs. Updates and
 * deletes are compare-and-set on `_version` (`... WHERE id = ? AND _version = ?`): a stale
 * version is a `version_conflict` result and writes nothing. Lists are ordered by id, with an
 * opaque cursor (keyset, so pages never skip or repeat a document under concurrent inserts).
 *
 * @example
 *   const repo = documentRepository(session, domains);
 *   const created = await repo.insert({ productId, name: "Payments" });
 *   if (!created.ok) return created; // unique_violation | invalid_input
 *   const updated = await repo.update(created.document.id, { productId, name: "Billing" }, {
 *     expectedVersion: created.document.version,
 *   });
 *   const page = await repo.list({ where: { product_id: productId }, limit: 20 });
 */
export function documentRepository<C extends Collection>(
  queryable: StoreQueryable,
  collection: C,
): DocumentRepository<C> {
  type Body = BodyOf<C>;
  const db = storeDb<AnyStore>(queryable);
  const table = collection.name;
  const indexedNames = new Set<string>(collection.indexes.map((field) => field.name));

  const toDocument = (row: AnyDocumentRow): StoredDocument<Body> => ({
    id: row.id,
    // Validated by the zod schema on the way in, so parsing is enough on the way out.
    body: JSON.parse(row.body) as Body,
    version: row._version,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  });

  const parseBody = (body: unknown): { ok: true; json: string } | InvalidInput => {
    const parsed = collection.body.safeParse(body);
    if (!parsed.success) return { ok: false, kind: "invalid_input", issues: parsed.error.issues };
    return { ok: true, json: JSON.stringify(parsed.data) };
  };

  // After a compare-and-set wrote nothing: was the document gone, or was the version stale?
  const refusal = async (id: string, expectedVersion: number): Promise<NotFound | VersionConflict> => {
    const row = await db.selectFrom(table).select("_version").where("id", "=", id).executeTakeFirst();
    if (row === undefined) return { ok: false, kind: "not_found", id };
    return { ok: false, kind: "version_conflict", id, expectedVersion, currentVersion: row._version };
  };

  return {
    collection,

    async insert(body, options = {}) {
      const id = options.id ?? newDocumentId();
      if (!DOCUMENT_ID.test(id)) {
        return {
          ok: false,
          kind: "invalid_input",
          issues: [{ code: "custom", path: ["id"], message: `id must match ${DOCUMENT_ID}`, input: id }],
        };
      }
      const parsed = parseBody(body);
      if (!parsed.ok) return parsed;
      const now = new Date().toISOString();
      try {
        const row = await db
          .insertInto(table)
          .values({ id, body: parsed.json, created_at: now, updated_at: now, _version: 1 })
          .returning(FIXED)
          .executeTakeFirstOrThrow();
        return { ok: true, document: toDocument(row) };
      } catch (error) {
        const violation = uniqueViolationOf(error, collection);
        if (violation) return violation;
        throw error;
      }
    },

    async get(id) {
      const row = await db.selectFrom(table).select(FIXED).where("id", "=", id).executeTakeFirst();
      return row === undefined ? null : toDocument(row);
    },

    async update(id, body, { expectedVersion }) {
      const parsed = parseBody(body);
      if (!parsed.ok) return parsed;
      try {
        // The version check and the write are one statement, so two writers holding the same
        // version cannot both succeed. RETURNING yields no row exactly when `changes` is 0.
        const row = await db
          .updateTable(table)
          .set({ body: parsed.json, updated_at: new Date().toISOString(), _version: sql<number>`_version + 1` })
          .where("id", "=", id)
          .where("_version", "=", expectedVersion)
          .returning(FIXED)
          .executeTakeFirst();
        if (row !== undefined) return { ok: true, document: toDocument(row) };
      } catch (error) {
        const violation = uniqueViolationOf(error, collection);
        if (violation) return violation;
        throw error;
      }
      return refusal(id, expectedVersion);
    },

    async delete(id, { expectedVersion }) {
      const result = await db
        .deleteFrom(table)
        .where("id", "=", id)
        .where("_version", "=", expectedVersion)
        .executeTakeFirst();
      if (result.numDeletedRows === 1n) return { ok: true, id };
      return refusal(id, expectedVersion);
    },

    async list(options = {}) {
      const limit = Math.min(Math.max(Math.trunc(options.limit ?? DEFAULT_PAGE_SIZE), 1), MAX_PAGE_SIZE);
      let query = db.selectFrom(table).select(FIXED);
      for (const [column, value] of Object.entries(options.where ?? {})) {
        // The filter's type already limits keys to indexed columns; this also holds for untyped callers.
        if (!indexedNames.has(column)) throw new Error(`${table}: "${column}" is not an indexed field`);
        if (value === undefined) continue;
        const ref = sql.ref<string | number | null>(column);
        query = value === null ? query.where(ref, "is", null) : query.where(ref, "=", value as string | number);
      }
      if (options.cursor) query = query.where("id", ">", decodeCursor(options.cursor));
      // One row more than the page tells whether there is a next page without a COUNT.
      const rows = await query
        .orderBy("id")
        .limit(limit + 1)
        .execute();
      const items = rows.slice(0, limit).map(toDocument);
      const last = items.at(-1);
      return { items, nextCursor: rows.length > limit && last ? encodeCursor(last.id) : null };
    },
  };
}

// Opaque to clients (they must not build or edit cursors), but not secret: it is the last id.
function encodeCursor(lastId: string): string {
  return btoa(JSON.stringify({ after: lastId }))
    .replaceAll("+", "-")
    .replaceAll("/", "_")
    .replace(/=+$/, "");
}

function decodeCursor(cursor: string): string {
  try {
    const decoded: unknown = JSON.parse(atob(cursor.replaceAll("-", "+").replaceAll("_", "/")));
    if (typeof decoded === "object" && decoded !== null && "after" in decoded && typeof decoded.after === "string")
      return decoded.after;
  } catch {
    // Falls through: bad base64 or bad JSON is the same client error as a wrong shape.
  }
  throw new InvalidCursorError();
}
