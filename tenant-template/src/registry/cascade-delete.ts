import { sql, type RawBuilder } from "kysely";
import { storeDb, type StoreQueryable } from "../store/store-db.ts";
import type { RegistryLevel } from "./registry-levels.ts";

/** Documents removed per level, e.g. `{ domains: 1, contexts: 3, schemas: 0, versions: 0 }`. */
export type RemovedCounts = Record<string, number>;

export type CascadeResult =
  | { ok: true; removed: RemovedCounts }
  | { ok: false; kind: "not_found" }
  | { ok: false; kind: "version_conflict"; currentVersion: number };

/**
 * Deletes one document and everything below it in the hierarchy in ONE D1 batch (one
 * transaction), and counts what each level lost. Descendants are selected inside the batch with
 * subqueries on the parent columns rather than read first and listed, so a child inserted while
 * the delete is in flight is deleted too instead of being orphaned. The document itself is deleted
 * only at `expectedVersion`: a guard statement aborts the whole batch otherwise.
 *
 * @example
 *   const result = await cascadeDelete(session, REGISTRY_LEVELS, domainLevel, id, 3);
 *   if (result.ok) result.removed; // { domains: 1, contexts: 2, schemas: 5, versions: 9 }
 */
export async function cascadeDelete(
  queryable: StoreQueryable,
  levels: readonly RegistryLevel[],
  root: RegistryLevel,
  id: string,
  expectedVersion: number,
): Promise<CascadeResult> {
  // Compiles the batch's statements (Kysely cannot run a D1 batch) and reads after a failed one.
  const db = storeDb<Record<string, { id: string; _version: number }>>(queryable);
  const below = levels.slice(levels.indexOf(root) + 1);
  const table = (level: RegistryLevel) => sql.table(level.collection.name);

  // The condition selecting the rows of `below[i]` that descend from the root.
  const under = (i: number): RawBuilder<unknown> => {
    const level = below[i]!;
    const column = sql.ref(level.parent!.column);
    return i === 0
      ? sql`${column} = ${id}`
      : sql`${column} IN (SELECT id FROM ${table(below[i - 1]!)} WHERE ${under(i - 1)})`;
  };

  const statements: D1PreparedStatement[] = [];
  const add = (query: RawBuilder<unknown>) => {
    const compiled = query.compile(db);
    statements.push(queryable.prepare(compiled.sql).bind(...compiled.parameters));
  };
  // json('stale') raises "malformed JSON" and rolls the batch back (the store's guard idiom).
  const current = sql`EXISTS (SELECT 1 FROM ${table(root)} WHERE id = ${id} AND _version = ${expectedVersion})`;
  add(sql`SELECT json(CASE WHEN ${current} THEN '1' ELSE 'stale' END) AS guard`);
  // Deepest level first, so every subquery still finds the parents it walks through.
  for (let i = below.length - 1; i >= 0; i -= 1) add(sql`DELETE FROM ${table(below[i]!)} WHERE ${under(i)}`);
  add(sql`DELETE FROM ${table(root)} WHERE id = ${id} AND _version = ${expectedVersion}`);

  try {
    const results = await queryable.batch(statements);
    const removed: RemovedCounts = { [root.plural]: results.at(-1)?.meta.changes ?? 0 };
    below.forEach((level, i) => {
      removed[level.plural] = results[below.length - i]?.meta.changes ?? 0;
    });
    return { ok: true, removed };
  } catch (error) {
    const row = await db.selectFrom(root.collection.name).select("_version").where("id", "=", id).executeTakeFirst();
    if (row === undefined) return { ok: false, kind: "not_found" };
    if (row._version !== expectedVersion) return { ok: false, kind: "version_conflict", currentVersion: row._version };
    throw error;
  }
}
