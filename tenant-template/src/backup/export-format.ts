/**
 * The registry export document (docs/backup.md): one JSON object, every collection in parent-first
 * order, every document with its id, version, timestamps and body.
 *
 *   {"format":"wfp-schema-registry-export","formatVersion":1,"collections":{
 *   "products":[
 *   {"id":"...","_version":2,"created_at":"...","updated_at":"...","body":{...}},
 *   ...],
 *   "domains":[...]}}
 *
 * Nothing in it depends on the tenant or the time of the export, so exporting, importing into an
 * empty tenant and exporting again gives the same bytes.
 */
export const EXPORT_FORMAT = "wfp-schema-registry-export";
export const EXPORT_FORMAT_VERSION = 1;

/** One exported document; field names are the table's columns. */
export interface ExportedDocument {
  id: string;
  _version: number;
  created_at: string;
  updated_at: string;
  body: unknown;
}

/**
 * Which field of a collection's body names its parent, and the parent's collection: the hierarchy
 * an import must keep intact (a child whose parent is not in the import is refused).
 */
export const PARENT_REFERENCES: Readonly<Record<string, { field: string; parent: string }>> = {
  domains: { field: "productId", parent: "products" },
  contexts: { field: "domainId", parent: "domains" },
  schemas: { field: "contextId", parent: "contexts" },
  schema_versions: { field: "schemaId", parent: "schemas" },
};

/**
 * The default hierarchy migration 0003 seeds into every new registry (fixed ids, version 1). A
 * tenant holding only these, untouched, counts as empty for an import, which replaces them.
 */
export const DEFAULT_HIERARCHY: Readonly<Record<string, string>> = {
  products: "00000000-0000-7000-8000-000000000001",
  domains: "00000000-0000-7000-8000-000000000002",
  contexts: "00000000-0000-7000-8000-000000000003",
};

/**
 * The Confluent API's own tables (docs/confluent-api.md), exported after the collections under
 * `"confluent"`, each as rows of these columns in rowid order, so a restore keeps global schema
 * ids, version numbers, references, metadata, rule sets, configs and modes exactly. An export
 * without the key (made before it existed) still imports; the ids are then given anew lazily.
 */
export const CONFLUENT_TABLES = {
  confluent_schema_ids: ["id", "schema_type", "schema", "hash", "created_at", "refs", "guid"],
  confluent_versions: ["version_id", "schema_id", "version", "global_id", "metadata", "rule_set"],
  confluent_references: ["global_id", "name", "subject", "version"],
  confluent_settings: ["subject", "config", "mode"],
  // Which id each context gives a schema row (migration 0008); derived on import when absent.
  confluent_context_ids: ["context", "id", "schema_row"],
} as const satisfies Record<string, readonly string[]>;

export type ConfluentTable = keyof typeof CONFLUENT_TABLES;
