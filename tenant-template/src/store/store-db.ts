import { Kysely } from "kysely";
import { D1Dialect } from "kysely-d1";
import type { StoreDatabase } from "./collections.ts";

/** What the store runs queries on: the D1 binding itself, or a session of it (bookmarks). */
export type StoreQueryable = D1Database | D1DatabaseSession;

/**
 * A Kysely instance over kysely-d1 for a D1 database or session. kysely-d1 only ever calls
 * `prepare().bind().all()`, which a `D1DatabaseSession` has too, so a session can stand in for the
 * database and every query then carries the session's bookmark. Cheap: build one per request.
 *
 * @example
 *   const rows = await storeDb(env.DB.withSession("first-unconstrained"))
 *     .selectFrom("domains").select(["id", "name"]).where("product_id", "=", productId).execute();
 */
export function storeDb(queryable: StoreQueryable): Kysely<StoreDatabase> {
  // The cast is the one place the session is passed off as a database (see above).
  return new Kysely<StoreDatabase>({ dialect: new D1Dialect({ database: queryable as D1Database }) });
}
