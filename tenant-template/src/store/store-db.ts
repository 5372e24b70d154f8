import { Kysely } from "kysely";
import type { StoreDatabase } from "./collections.ts";
import { D1Dialect } from "./d1-dialect.ts";

/** What the store runs queries on: the D1 binding itself, or a session of it (bookmarks). */
export type StoreQueryable = D1Database | D1DatabaseSession;

/**
 * The one way the tenant Worker builds a Kysely: over our D1 dialect, on a D1 database or a session
 * of it (then every query carries the session's bookmark). Cheap: build one per request. `DB`
 * defaults to the registry's tables; code that is generic over collections, which Kysely's
 * table-name typing cannot follow, names its own row shape.
 *
 * @example
 *   const rows = await storeDb(env.DB.withSession("first-unconstrained"))
 *     .selectFrom("domains").select(["id", "name"]).where("product_id", "=", productId).execute();
 *   const anyTable = storeDb<Record<string, { id: string }>>(session);
 */
export function storeDb<DB = StoreDatabase>(queryable: StoreQueryable): Kysely<DB> {
  return new Kysely<DB>({ dialect: new D1Dialect({ database: queryable }) });
}
