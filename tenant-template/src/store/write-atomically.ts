import { sql, type CompiledQuery, type Kysely } from "kysely";
import type { z } from "zod";
import type { Collection } from "./define-collection.ts";
import { DOCUMENT_ID } from "../../../contracts/document-id.ts";
import { newDocumentId } from "./new-document-id.ts";
import { storeDb, type StoreQueryable } from "./store-db.ts";
import {
  uniqueViolationOf,
  type InvalidInput,
  type NotFound,
  type UniqueViolation,
  type VersionConflict,
} from "./store-result.ts";

/** One write of an atomic group, built by `insertWrite`, `updateWrite` or `deleteWrite`. */
export interface AtomicWrite {
  readonly collection: Collection;
  readonly id: string;
  /** Set for compare-and-set writes (update, delete). */
  readonly expectedVersion: number | null;
  /** The body as stored, or the reason it was refused; null for a delete. */
  readonly body: { ok: true; json: string } | InvalidInput | null;
  readonly kind: "insert" | "update" | "delete";
}

/** Which write of the group was refused, and why; nothing of the group was written. */
export type AtomicFailure = (NotFound | VersionConflict | UniqueViolation | InvalidInput) & { index: number };

export type AtomicResult = { ok: true; ids: string[] } | AtomicFailure;

// Only used to compile SQL; the statements run through D1's batch().
interface AnyDocumentRow {
  id: string;
  body: string;
  created_at: string;
  updated_at: string;
  _version: number;
}

function validated(collection: Collection, body: unknown): { ok: true; json: string } | InvalidInput {
  const parsed = collection.body.safeParse(body);
  return parsed.success
    ? { ok: true, json: JSON.stringify(parsed.data) }
    : { ok: false, kind: "invalid_input", issues: parsed.error.issues };
}

/**
 * An insert for `writeAtomically` (a new id unless one is given).
 *
 * @example
 *   const write = insertWrite(domains, { productId, name: "Payments" });
 */
export function insertWrite<C extends Collection>(
  collection: C,
  body: z.input<C["body"]>,
  options: { id?: string } = {},
): AtomicWrite {
  return {
    kind: "insert",
    collection,
    id: options.id ?? newDocumentId(),
    expectedVersion: null,
    body: validated(collection, body),
  };
}

/**
 * A compare-and-set update for `writeAtomically`.
 *
 * @example
 *   const write = updateWrite(products, id, { name: "Renamed" }, { expectedVersion: 3 });
 */
export function updateWrite<C extends Collection>(
  collection: C,
  id: string,
  body: z.input<C["body"]>,
  options: { expectedVersion: number },
): AtomicWrite {
  return {
    kind: "update",
    collection,
    id,
    expectedVersion: options.expectedVersion,
    body: validated(collection, body),
  };
}

/**
 * A compare-and-set delete for `writeAtomically`.
 *
 * @example
 *   const write = deleteWrite(domains, id, { expectedVersion: 1 });
 */
export function deleteWrite(collection: Collection, id: string, options: { expectedVersion: number }): AtomicWrite {
  return { kind: "delete", collection, id, expectedVersion: options.expectedVersion, body: null };
}

/**
 * Runs writes all-or-nothing in one D1 `batch()` (D1 runs a batch as one transaction and has no
 * interactive ones for Kysely, so the queries are compiled with Kysely and batched as prepared statements).
 * Compare-and-set writes are preceded by a guard statement that fails the whole batch when the
 * document is not at the expected version: a plain `UPDATE ... WHERE _version = ?` would just
 * change nothing and let the rest of the batch commit.
 *
 * @example
 *   const result = await writeAtomically(session, [
 *     insertWrite(domains, { productId: product.id, name: "Payments" }),
 *     updateWrite(products, product.id, { ...product.body, description: "now with payments" }, {
 *       expectedVersion: product.version,
 *     }),
 *   ]);
 *   if (!result.ok) console.log(result.index, result.kind); // e.g. 1 "version_conflict"
 */
export async function writeAtomically(
  queryable: StoreQueryable,
  writes: readonly AtomicWrite[],
): Promise<AtomicResult> {
  for (const [index, write] of writes.entries()) {
    if (write.body !== null && !write.body.ok) return { ...write.body, index };
    if (!DOCUMENT_ID.test(write.id)) {
      return {
        ok: false,
        kind: "invalid_input",
        index,
        issues: [{ code: "custom", path: ["id"], message: `id must match ${DOCUMENT_ID}`, input: write.id }],
      };
    }
  }
  if (writes.length === 0) return { ok: true, ids: [] };
  const db = storeDb<Record<string, AnyDocumentRow>>(queryable);
  const now = new Date().toISOString();
  const statements: D1PreparedStatement[] = [];
  const add = (query: CompiledQuery) => statements.push(queryable.prepare(query.sql).bind(...query.parameters));

  for (const write of writes) {
    const table = write.collection.name;
    if (write.expectedVersion !== null) {
      // json('stale') raises "malformed JSON", which aborts and rolls back the batch. The argument
      // comes from a subquery, so SQLite cannot evaluate it once up front as a constant.
      const { id, expectedVersion } = write;
      const current = sql`SELECT 1 FROM ${sql.table(table)} WHERE id = ${id} AND _version = ${expectedVersion}`;
      add(sql`SELECT json(CASE WHEN EXISTS (${current}) THEN '1' ELSE 'stale' END) AS guard`.compile(db));
    }
    const json = write.body?.ok ? write.body.json : "";
    if (write.kind === "insert") {
      add(
        db
          .insertInto(table)
          .values({ id: write.id, body: json, created_at: now, updated_at: now, _version: 1 })
          .compile(),
      );
    } else if (write.kind === "update") {
      add(
        db
          .updateTable(table)
          .set({ body: json, updated_at: now, _version: sql<number>`_version + 1` })
          .where("id", "=", write.id)
          .where("_version", "=", write.expectedVersion ?? 0)
          .compile(),
      );
    } else {
      add(
        db
          .deleteFrom(table)
          .where("id", "=", write.id)
          .where("_version", "=", write.expectedVersion ?? 0)
          .compile(),
      );
    }
  }

  try {
    await queryable.batch(statements);
    return { ok: true, ids: writes.map((write) => write.id) };
  } catch (error) {
    // Nothing was written. Find out which write was refused from the data, not the message, except
    // for unique violations, which only the message names.
    let firstViolation: AtomicFailure | null = null;
    for (const [index, write] of writes.entries()) {
      const violation = uniqueViolationOf(error, write.collection);
      if (!violation || write.kind === "delete") continue;
      firstViolation ??= { ...violation, index };
      if (await violates(db, write, violation)) return { ...violation, index };
    }
    // Two writes of the group collided with each other: blame the first write to that table.
    if (firstViolation) return firstViolation;
    for (const [index, write] of writes.entries()) {
      if (write.expectedVersion === null) continue;
      const row = await db
        .selectFrom(write.collection.name)
        .select("_version")
        .where("id", "=", write.id)
        .executeTakeFirst();
      if (row === undefined) return { ok: false, kind: "not_found", id: write.id, index };
      if (row._version !== write.expectedVersion) {
        return {
          ok: false,
          kind: "version_conflict",
          id: write.id,
          expectedVersion: write.expectedVersion,
          currentVersion: row._version,
          index,
        };
      }
    }
    throw error;
  }
}

// With several writes to the same table, the message names the table and columns but not the
// write: the one whose values collide with another row (or an earlier write of the group) is it.
async function violates(
  db: Kysely<Record<string, AnyDocumentRow>>,
  write: AtomicWrite,
  violation: UniqueViolation,
): Promise<boolean> {
  if (violation.fields.length === 1 && violation.fields[0] === "id") {
    return (
      write.kind === "insert" &&
      (await db.selectFrom(write.collection.name).select("id").where("id", "=", write.id).executeTakeFirst()) !==
        undefined
    );
  }
  const body = write.body?.ok ? write.body.json : "{}";
  let query = db.selectFrom(write.collection.name).select("id").where("id", "!=", write.id);
  for (const column of violation.fields) {
    const field = write.collection.indexes.find((candidate) => candidate.name === column);
    if (!field) return false;
    query = query.where(sql.ref(column), "=", sql`json_extract(${body}, ${field.jsonPath})`);
  }
  return (await query.executeTakeFirst()) !== undefined;
}
