/**
 * A Kysely dialect for Cloudflare D1. D1 speaks SQLite, so the adapter, query compiler and
 * introspector are Kysely's own SQLite pieces; only the driver and its connection are D1's.
 * (kysely-d1 did the same but still reported the result field Kysely removed, and Kysely warned
 * about it on every query.)
 */
import {
  type CompiledQuery,
  type DatabaseConnection,
  type DatabaseIntrospector,
  type Dialect,
  type DialectAdapter,
  type Driver,
  InsertQueryNode,
  type Kysely,
  type QueryCompiler,
  type QueryResult,
  SqliteAdapter,
  SqliteIntrospector,
  SqliteQueryCompiler,
} from "kysely";

export interface D1DialectConfig {
  /** The D1 binding, or a session of it: then every query carries (and moves) the session's bookmark. */
  database: D1Database | D1DatabaseSession;
}

/**
 * Kysely over D1, on a database or on a session of it.
 *
 * @example
 *   const db = new Kysely<StoreDatabase>({ dialect: new D1Dialect({ database: env.DB.withSession() }) });
 *   const { numUpdatedRows } = await db.updateTable("products").set({ body }).where("id", "=", id).executeTakeFirst();
 */
export class D1Dialect implements Dialect {
  readonly #config: D1DialectConfig;

  constructor(config: D1DialectConfig) {
    this.#config = config;
  }

  createDriver(): Driver {
    return new D1Driver(new D1Connection(this.#config.database));
  }

  createQueryCompiler(): QueryCompiler {
    return new SqliteQueryCompiler();
  }

  createAdapter(): DialectAdapter {
    return new SqliteAdapter();
  }

  createIntrospector(db: Kysely<unknown>): DatabaseIntrospector {
    return new SqliteIntrospector(db);
  }
}

// Kysely's transaction() and startTransaction() would otherwise run their callbacks with no
// transaction at all: D1 only offers batch(), which takes every statement up front.
const NO_TRANSACTIONS =
  "D1 has no interactive transactions: compile the statements with Kysely and run them in one D1 batch() instead " +
  "(see write-atomically.ts)";

class D1Driver implements Driver {
  readonly #connection: D1Connection;

  constructor(connection: D1Connection) {
    this.#connection = connection;
  }

  async init(): Promise<void> {}

  // A D1 binding holds no per-connection state (no open transaction, no temp tables that this code
  // relies on), so one connection object serves every query; there is no pool to manage.
  async acquireConnection(): Promise<DatabaseConnection> {
    return this.#connection;
  }

  async beginTransaction(): Promise<void> {
    throw new Error(NO_TRANSACTIONS);
  }

  async commitTransaction(): Promise<void> {
    throw new Error(NO_TRANSACTIONS);
  }

  async rollbackTransaction(): Promise<void> {
    throw new Error(NO_TRANSACTIONS);
  }

  async releaseConnection(): Promise<void> {}

  async destroy(): Promise<void> {}
}

class D1Connection implements DatabaseConnection {
  readonly #database: D1Database | D1DatabaseSession;

  constructor(database: D1Database | D1DatabaseSession) {
    this.#database = database;
  }

  async executeQuery<R>(compiledQuery: CompiledQuery): Promise<QueryResult<R>> {
    const result = await this.#database
      .prepare(compiledQuery.sql)
      .bind(...compiledQuery.parameters)
      .all<R>();
    return {
      rows: result.results,
      // Kysely reads this for insert, update and delete results (numUpdatedRows, numDeletedRows...).
      numAffectedRows: BigInt(result.meta.changes),
      // last_row_id is SQLite's last_insert_rowid(): after anything but an INSERT it still names the
      // row of some earlier insert, so it is only reported for inserts.
      insertId: InsertQueryNode.is(compiledQuery.query) ? BigInt(result.meta.last_row_id) : undefined,
    };
  }

  // D1 returns a statement's rows all at once; there is no cursor to stream from.
  // biome-ignore lint/correctness/useYield: it throws before it could yield anything.
  async *streamQuery<R>(): AsyncIterableIterator<QueryResult<R>> {
    throw new Error("D1 does not support streaming query results: use execute() instead of stream()");
  }
}
