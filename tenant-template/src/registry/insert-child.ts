import { sql } from "kysely";
import type { Collection } from "../store/define-collection.ts";
import { newDocumentId } from "../store/new-document-id.ts";
import type { StoredDocument, UniqueViolation } from "../store/store-result.ts";
import { uniqueViolationOf } from "../store/store-result.ts";
import { storeDb, type StoreQueryable } from "../store/store-db.ts";

export type InsertChildResult =
  | { ok: true; document: StoredDocument<Record<string, unknown>> }
  | UniqueViolation
  | { ok: false; kind: "parent_not_found" };

interface Row {
  id: string;
  body: string;
  created_at: string;
  updated_at: string;
  _version: number;
}

/**
 * Inserts a document whose parent must exist, in one D1 batch: a guard statement that fails when
 * the parent is gone, then the insert. Checking the parent with a read first would leave a window
 * in which a cascade delete of the parent commits and the insert then creates an orphan.
 * `body` must already be valid for the collection (the caller parsed it with `collection.body`).
 *
 * @example
 *   const parent = { table: "products", id: productId };
 *   const result = await insertChild(session, domains, parent, { productId, name: "Payments" });
 *   if (!result.ok && result.kind === "parent_not_found") throw new ApiError(404, "not_found", "No such product.");
 */
export async function insertChild(
  queryable: StoreQueryable,
  collection: Collection,
  parent: { table: string; id: string },
  body: Record<string, unknown>,
): Promise<InsertChildResult> {
  const db = storeDb<Record<string, Row>>(queryable);
  const id = newDocumentId();
  const now = new Date().toISOString();
  const parentExists = sql`EXISTS (SELECT 1 FROM ${sql.table(parent.table)} WHERE id = ${parent.id})`;
  const guard = sql`SELECT json(CASE WHEN ${parentExists} THEN '1' ELSE 'gone' END) AS guard`.compile(db);
  const insert = db
    .insertInto(collection.name)
    .values({ id, body: JSON.stringify(body), created_at: now, updated_at: now, _version: 1 })
    .compile();
  try {
    await queryable.batch([
      queryable.prepare(guard.sql).bind(...guard.parameters),
      queryable.prepare(insert.sql).bind(...insert.parameters),
    ]);
  } catch (error) {
    const violation = uniqueViolationOf(error, collection);
    if (violation) return violation;
    const exists = await db.selectFrom(parent.table).select("id").where("id", "=", parent.id).executeTakeFirst();
    if (exists === undefined) return { ok: false, kind: "parent_not_found" };
    throw error;
  }
  return { ok: true, document: { id, body, version: 1, createdAt: now, updatedAt: now } };
}
