import type { GeneratedAlways } from "kysely";
import type { z } from "zod";

/** The SQL types a generated column may have (SQLite affinities D1 keeps). */
export type SqlType = "TEXT" | "INTEGER" | "REAL";

/** One indexed field: a STORED generated column `name` = `json_extract(body, jsonPath)`. */
export interface IndexedField<Name extends string = string, Type extends SqlType = SqlType> {
  /** Column name, snake_case: `^[a-z][a-z0-9_]*$`, not one of the fixed columns. */
  readonly name: Name;
  /** Where the value lives in the body: `$.a.b` or `$.list[0]` (no quotes, no wildcards). */
  readonly jsonPath: string;
  readonly sqlType: Type;
}

/** What a collection is declared with: the single source of its table, indexes and types. */
export interface CollectionDeclaration<
  Name extends string,
  Body extends z.ZodType<Record<string, unknown>>,
  Fields extends readonly IndexedField[],
> {
  /** Table name, snake_case. */
  readonly name: Name;
  /** The document body; every write is parsed with it, and what it outputs is what is stored. */
  readonly body: Body;
  /** Each becomes a generated column with its own index (unless a unique index already leads with it). */
  readonly indexes: Fields;
  /** Each entry is a unique index over those indexed fields, e.g. `[["product_id", "name"]]`. */
  readonly unique?: readonly (readonly Fields[number]["name"][])[];
}

/** A declared collection (what `defineCollection` returns). */
export interface Collection<
  Name extends string = string,
  Body extends z.ZodType<Record<string, unknown>> = z.ZodType<Record<string, unknown>>,
  Fields extends readonly IndexedField[] = readonly IndexedField[],
> extends CollectionDeclaration<Name, Body, Fields> {
  readonly unique: readonly (readonly Fields[number]["name"][])[];
}

/**
 * The columns every collection table has, whatever its declaration. All but `_incarnation` come
 * from migration 0002 (generated from the declarations); `_incarnation` was added to every table
 * by migration 0007 and is set by a trigger on insert, never by code.
 */
export const FIXED_COLUMNS = ["id", "body", "created_at", "updated_at", "_version", "_incarnation"] as const;

interface SqlTypeToTs {
  TEXT: string;
  INTEGER: number;
  REAL: number;
}

/**
 * The Kysely table type of a collection. Generated columns are `GeneratedAlways` (Kysely refuses
 * them in inserts and updates, as SQLite does) and nullable: json_extract of a missing path is NULL.
 */
export type DocumentTable<C extends Collection> = {
  id: string;
  /** The JSON text of the body. */
  body: string;
  /** ISO 8601 UTC, set by the store. */
  created_at: string;
  updated_at: string;
  /** 1 on insert, +1 on every update. */
  _version: number;
  /**
   * Which row this is of all the rows the id has had: a number no earlier row of any collection
   * had, set by the table's insert trigger (migration 0007). What the read cache keys on.
   */
  _incarnation: GeneratedAlways<number>;
} & {
  [F in C["indexes"][number] as F["name"]]: GeneratedAlways<SqlTypeToTs[F["sqlType"]] | null>;
};

/** A collection's body type (the zod schema's output). */
export type BodyOf<C extends Collection> = z.output<C["body"]>;

/** The names of a collection's indexed (generated) columns. */
export type IndexedName<C extends Collection> = C["indexes"][number]["name"];

/** The value type of one indexed column. */
export type IndexedValue<C extends Collection, N extends IndexedName<C>> = SqlTypeToTs[Extract<
  C["indexes"][number],
  { name: N }
>["sqlType"]];

/** Every column name of a collection's table. */
export type ColumnName<C extends Collection> = (typeof FIXED_COLUMNS)[number] | IndexedName<C>;

const NAME = /^[a-z][a-z0-9_]*$/;
// Paths are inlined into the DDL as SQL string literals, so only a quote-free subset is allowed.
const JSON_PATH = /^\$(\.[A-Za-z_][A-Za-z0-9_]*|\[\d+\])+$/;

/**
 * Declares a collection: one table with a JSON `body`, a generated STORED column per indexed
 * field, indexes, unique indexes, timestamps and `_version`. The migration (`npm run db:generate`)
 * and the Kysely types (`DocumentTable`) are both derived from this, so they cannot disagree.
 * Throws on a declaration that would produce bad SQL, so a mistake fails at import time.
 *
 * @example
 *   const domains = defineCollection({
 *     name: "domains",
 *     body: z.object({ productId: z.string(), name: z.string() }),
 *     indexes: [
 *       { name: "product_id", jsonPath: "$.productId", sqlType: "TEXT" },
 *       { name: "name", jsonPath: "$.name", sqlType: "TEXT" },
 *     ],
 *     unique: [["product_id", "name"]],
 *   });
 */
export function defineCollection<
  const Name extends string,
  Body extends z.ZodType<Record<string, unknown>>,
  const Fields extends readonly IndexedField[],
>(declaration: CollectionDeclaration<Name, Body, Fields>): Collection<Name, Body, Fields> {
  const problems: string[] = [];
  if (!NAME.test(declaration.name)) problems.push(`name "${declaration.name}" must match ${NAME}`);
  const seen = new Set<string>(FIXED_COLUMNS);
  for (const field of declaration.indexes) {
    if (!NAME.test(field.name)) problems.push(`indexed field "${field.name}" must match ${NAME}`);
    if (seen.has(field.name)) problems.push(`indexed field "${field.name}" is a fixed column or declared twice`);
    seen.add(field.name);
    if (!JSON_PATH.test(field.jsonPath))
      problems.push(`indexed field "${field.name}": jsonPath "${field.jsonPath}" must match ${JSON_PATH}`);
    if (!["TEXT", "INTEGER", "REAL"].includes(field.sqlType))
      problems.push(`indexed field "${field.name}": bad sqlType "${field.sqlType}"`);
  }
  const unique = declaration.unique ?? [];
  for (const columns of unique) {
    if (columns.length === 0) problems.push("a unique constraint needs at least one field");
    for (const column of columns) {
      if (!declaration.indexes.some((field) => field.name === column))
        problems.push(`unique field "${column}" is not an indexed field`);
    }
  }
  // Collect every problem before failing (one fix-up round instead of many).
  if (problems.length > 0) throw new Error(`collection "${declaration.name}": ${problems.join("; ")}`);
  return Object.freeze({ ...declaration, unique });
}

/**
 * Every column of a collection's table, in table order: what D1 must report for it.
 *
 * @example
 *   collectionColumns(domains);
 *   // ["id", "body", "product_id", "name", "created_at", "updated_at", "_version", "_incarnation"]
 */
export function collectionColumns<C extends Collection>(collection: C): ColumnName<C>[] {
  const indexed = collection.indexes.map((field) => field.name as IndexedName<C>);
  // `_incarnation` last: migration 0007 appended it to tables 0002 had made.
  return ["id", "body", ...indexed, "created_at", "updated_at", "_version", "_incarnation"];
}
