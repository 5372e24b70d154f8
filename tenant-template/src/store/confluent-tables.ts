/**
 * The Confluent API's own tables (hand-written migrations 0004, 0006 and 0008, docs/confluent-api.md) as
 * Kysely table types, so their queries are typed like the collections' (`StoreDatabase` in
 * store-db.ts has both). The migrations stay hand-written (these are integer-keyed index tables, not
 * hierarchy documents); `CONFLUENT_COLUMNS` says what D1 must report for each table, and the drift
 * test (tests/tenant-template/store/drift.test.ts) compares it with the tables the migrations build
 * and, at compile time, with these types.
 */
import type { Generated } from "kysely";
import type { SCHEMA_FORMATS } from "./collections.ts";

/**
 * The tenant's schema rows: one per distinct (schemaType, canonical text, references). Since
 * migration 0008 `id` is the row's internal key (what confluent_versions.global_id and
 * confluent_references.global_id hold); the public id is per context, in confluent_context_ids.
 */
export interface ConfluentSchemaIdsTable {
  /** AUTOINCREMENT (never handed out twice). */
  id: Generated<number>;
  schema_type: (typeof SCHEMA_FORMATS)[number];
  /** The text as first registered. */
  schema: string;
  /** sha-256 of (schemaType, canonical form, references): the same schema finds its id. */
  hash: string;
  created_at: string;
  /** `[{name, subject, version}]` as registered (JSON), NULL when none. */
  refs: string | null;
  guid: string | null;
}

/**
 * Which public id each context gives a schema row (migration 0008): ids are numbered per context,
 * each from 1, never handed out twice in a context.
 */
export interface ConfluentContextIdsTable {
  /** The context's name, `.` the default one. */
  context: string;
  /** The public id in `context`. */
  id: number;
  /** confluent_schema_ids.id. */
  schema_row: number;
}

/** A schema_versions document's Confluent identity: its subject's version number and schema row. */
export interface ConfluentVersionsTable {
  version_id: string;
  /** The subject's schema document. */
  schema_id: string;
  version: number;
  /** The schema row (confluent_schema_ids.id), not a public id. */
  global_id: number;
  /** JSON, NULL when none. */
  metadata: string | null;
  rule_set: string | null;
}

/** Config (JSON) and mode per level: `''` the root, `:.ctx:` a context, else a qualified subject. */
export interface ConfluentSettingsTable {
  subject: string;
  config: string | null;
  mode: string | null;
}

/** Schema row `global_id` references version `version` of `subject` (qualified) under `name`. */
export interface ConfluentReferencesTable {
  /** The referring schema row (confluent_schema_ids.id). */
  global_id: number;
  name: string;
  subject: string;
  version: number;
}

/** The Confluent tables, by name (joins the collections' tables in `StoreDatabase`). */
export interface ConfluentTables {
  confluent_schema_ids: ConfluentSchemaIdsTable;
  confluent_versions: ConfluentVersionsTable;
  confluent_settings: ConfluentSettingsTable;
  confluent_references: ConfluentReferencesTable;
  confluent_context_ids: ConfluentContextIdsTable;
}

/** One column as `pragma_table_info` reports it. */
export interface ConfluentColumn {
  name: string;
  type: "TEXT" | "INTEGER";
  notNull: boolean;
}

/** What the migrations build, table by table in column order (SQLite reports a lone primary key as nullable). */
export const CONFLUENT_COLUMNS = {
  confluent_schema_ids: [
    { name: "id", type: "INTEGER", notNull: false },
    { name: "schema_type", type: "TEXT", notNull: true },
    { name: "schema", type: "TEXT", notNull: true },
    { name: "hash", type: "TEXT", notNull: true },
    { name: "created_at", type: "TEXT", notNull: true },
    { name: "refs", type: "TEXT", notNull: false },
    { name: "guid", type: "TEXT", notNull: false },
  ],
  confluent_versions: [
    { name: "version_id", type: "TEXT", notNull: false },
    { name: "schema_id", type: "TEXT", notNull: true },
    { name: "version", type: "INTEGER", notNull: true },
    { name: "global_id", type: "INTEGER", notNull: true },
    { name: "metadata", type: "TEXT", notNull: false },
    { name: "rule_set", type: "TEXT", notNull: false },
  ],
  confluent_settings: [
    { name: "subject", type: "TEXT", notNull: false },
    { name: "config", type: "TEXT", notNull: false },
    { name: "mode", type: "TEXT", notNull: false },
  ],
  confluent_references: [
    { name: "global_id", type: "INTEGER", notNull: true },
    { name: "name", type: "TEXT", notNull: true },
    { name: "subject", type: "TEXT", notNull: true },
    { name: "version", type: "INTEGER", notNull: true },
  ],
  confluent_context_ids: [
    { name: "context", type: "TEXT", notNull: true },
    { name: "id", type: "INTEGER", notNull: true },
    { name: "schema_row", type: "INTEGER", notNull: true },
  ],
} as const satisfies { readonly [T in keyof ConfluentTables]: readonly ConfluentColumn[] };
