import { type Compilable, type CompiledQuery, type InferResult, Kysely } from "kysely";
import type { StoreDatabase } from "./collections.ts";
import { D1Dialect } from "./d1-dialect.ts";

/** What the store runs queries on: the D1 binding itself, or a session of it (bookmarks). */
export type StoreQueryable = D1Database | D1DatabaseSession;

/**
 * The one way the tenant Worker builds a Kysely: over our D1 dialect, on a D1 database or a session
 * of it (then every query carries the session's bookmark). Cheap: build one per request. `DB`
 * defaults to the registry's tables (the collections and the Confluent tables); code that is
 * generic over collections, which Kysely's table-name typing cannot follow, names its own row shape.
 *
 * @example
 *   const rows = await storeDb(env.DB.withSession("first-unconstrained"))
 *     .selectFrom("domains").select(["id", "name"]).where("product_id", "=", productId).execute();
 *   const anyTable = storeDb<Record<string, { id: string }>>(session);
 */
export function storeDb<DB = StoreDatabase>(queryable: StoreQueryable): Kysely<DB> {
  return new Kysely<DB>({ dialect: new D1Dialect({ database: queryable }) });
}

/**
 * A Kysely query as a D1 statement, to run with others in one `batch()`: one round trip, and one
 * transaction (D1 has no other).
 *
 * @example
 *   const db = storeDb(session);
 *   const [settings, ids] = await session.batch([
 *     prepared(session, db.selectFrom("confluent_settings").selectAll()),
 *     prepared(session, db.selectFrom("confluent_schema_ids").select("id").where("hash", "=", hash)),
 *   ]);
 */
export function prepared(queryable: StoreQueryable, query: Compilable | CompiledQuery): D1PreparedStatement {
  const compiled = "compile" in query ? query.compile() : query;
  return queryable.prepare(compiled.sql).bind(...compiled.parameters);
}

/**
 * The rows one statement of a batch answered, typed as the Kysely query it was built from.
 *
 * @example
 *   const query = db.selectFrom("confluent_settings").selectAll();
 *   const [result] = await session.batch([prepared(session, query)]);
 *   const rows = rowsOf(query, result); // { subject: string; config: string | null; mode: string | null }[]
 */
export function rowsOf<Q extends Compilable>(_query: Q, result: D1Result | undefined): InferResult<Q> {
  return (result?.results ?? []) as InferResult<Q>;
}
