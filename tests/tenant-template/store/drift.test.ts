/**
 * The collection declarations, the migration file and the Kysely types must agree. The file is
 * compared byte for byte with what the declarations generate (fix: `npm run db:generate`); the
 * tables a real D1 builds from the migrations are compared with the declared columns and indexes;
 * and the Kysely table types are checked against the declarations at compile time (npm test
 * typechecks this file). The Confluent tables' migrations are hand-written (0004, 0006, 0008): the
 * tables D1 builds from them are compared with `CONFLUENT_COLUMNS`, and their Kysely types with it
 * at compile time.
 */
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import {
  DOCUMENTS_MIGRATION_NAME,
  documentsMigrationSql,
  incarnationDdl,
  uniqueIndexName,
} from "../../../tenant-template/src/store/collection-ddl.ts";
import { CONFLUENT_TABLES as EXPORTED_CONFLUENT_TABLES } from "../../../tenant-template/src/backup/export-format.ts";
import {
  COLLECTIONS,
  type CollectionTables,
  type StoreDatabase,
} from "../../../tenant-template/src/store/collections.ts";
import { CONFLUENT_COLUMNS, type ConfluentTables } from "../../../tenant-template/src/store/confluent-tables.ts";
import { collectionColumns, type ColumnName } from "../../../tenant-template/src/store/define-collection.ts";
import { TENANT_MIGRATIONS_DIR } from "../../../scripts/lib/worker-bundles.ts";
import { startStoreHarness, type StoreHarness } from "./harness/store-harness.ts";

// Compile-time: each Kysely table type has exactly the declared columns, no more, no fewer.
type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
type Collections = (typeof COLLECTIONS)[number];
type TypesMatchDeclarations = {
  [C in Collections as C["name"]]: Equal<keyof StoreDatabase[C["name"]], ColumnName<C>>;
} & {
  [T in keyof ConfluentTables]: Equal<keyof StoreDatabase[T], (typeof CONFLUENT_COLUMNS)[T][number]["name"]>;
};
const typesMatch: TypesMatchDeclarations = {
  products: true,
  domains: true,
  contexts: true,
  schemas: true,
  schema_versions: true,
  confluent_schema_ids: true,
  confluent_versions: true,
  confluent_settings: true,
  confluent_references: true,
  confluent_context_ids: true,
};
// And every declared collection has a table type (a collection missing above fails to compile),
// and the store's type has those and the Confluent tables, nothing else.
const everyCollectionTyped: Equal<keyof CollectionTables, Collections["name"]> = true;
const storeTables: Equal<keyof StoreDatabase, Collections["name"] | keyof ConfluentTables> = true;

test("the migration file is exactly what the declarations generate (fix: npm run db:generate)", async () => {
  const file = await readFile(join(TENANT_MIGRATIONS_DIR, DOCUMENTS_MIGRATION_NAME), "utf8");
  expect(file, "tenant-template/migrations/0002_documents.sql is out of date: run `npm run db:generate`").toBe(
    documentsMigrationSql(COLLECTIONS),
  );
  expect(Object.values(typesMatch).every(Boolean) && everyCollectionTyped && storeTables).toBe(true);
});

test("the backup exports the Confluent tables' declared columns, in order", () => {
  for (const [table, columns] of Object.entries(CONFLUENT_COLUMNS))
    expect(EXPORTED_CONFLUENT_TABLES[table as keyof ConfluentTables], table).toEqual(columns.map((c) => c.name));
  expect(Object.keys(EXPORTED_CONFLUENT_TABLES).sort()).toEqual(Object.keys(CONFLUENT_COLUMNS).sort());
});

describe("the tables D1 builds from the migrations", () => {
  let harness: StoreHarness;
  beforeAll(async () => {
    harness = await startStoreHarness(["drift"]);
  });
  afterAll(async () => {
    await harness?.dispose();
  });

  test("have the declared columns (the Kysely types' column names), generated columns where declared", async () => {
    const db = await harness.d1("drift");
    for (const collection of COLLECTIONS) {
      // table_xinfo lists generated columns too; hidden = 3 marks a STORED generated column.
      const { results } = await db
        .prepare(`SELECT name, type, hidden FROM pragma_table_xinfo('${collection.name}') ORDER BY cid`)
        .all<{ name: string; type: string; hidden: number }>();
      expect(
        results.map((column) => column.name),
        collection.name,
      ).toEqual(collectionColumns(collection));
      const generated = results
        .filter((column) => column.hidden === 3)
        .map((column) => ({ name: column.name, sqlType: column.type }));
      expect(generated, collection.name).toEqual(
        collection.indexes.map((field) => ({ name: field.name, sqlType: field.sqlType })),
      );
    }
  });

  test("have the Confluent tables as confluent-tables.ts declares them (the Kysely types' columns)", async () => {
    const db = await harness.d1("drift");
    for (const [table, columns] of Object.entries(CONFLUENT_COLUMNS)) {
      const { results } = await db
        .prepare(`SELECT name, type, "notnull" FROM pragma_table_info('${table}') ORDER BY cid`)
        .all<{ name: string; type: string; notnull: number }>();
      expect(
        results.map((column) => ({ name: column.name, type: column.type, notNull: column.notnull === 1 })),
        table,
      ).toEqual(columns);
    }
  });

  test("number every inserted row with a new incarnation: migration 0007's trigger, on every collection", async () => {
    const db = await harness.d1("drift");
    for (const collection of COLLECTIONS) {
      const { results } = await db
        .prepare("SELECT sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = ? ORDER BY name")
        .bind(collection.name)
        .all<{ sql: string }>();
      expect(
        results.map((trigger) => trigger.sql),
        collection.name,
      ).toEqual([incarnationDdl(collection)[1]]);
    }
  });

  test("have the declared unique indexes, and an index for every indexed field", async () => {
    const db = await harness.d1("drift");
    for (const collection of COLLECTIONS) {
      const { results: indexes } = await db
        .prepare(`SELECT name, "unique" FROM pragma_index_list('${collection.name}') WHERE origin = 'c'`)
        .all<{ name: string; unique: number }>();
      const unique = indexes
        .filter((index) => index.unique === 1)
        .map((index) => index.name)
        .sort();
      expect(unique, collection.name).toEqual(
        collection.unique.map((columns) => uniqueIndexName(collection.name, columns)).sort(),
      );
      // Every indexed field leads some index, so a filter on it never scans the table.
      const leading = new Set<string>();
      for (const index of indexes) {
        const first = await db
          .prepare(`SELECT name FROM pragma_index_info('${index.name}') WHERE seqno = 0`)
          .first<{ name: string }>();
        if (first) leading.add(first.name);
      }
      for (const field of collection.indexes)
        expect(leading.has(field.name), `${collection.name}.${field.name}`).toBe(true);
    }
  });
});
