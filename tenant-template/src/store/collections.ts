/**
 * The tenant's collections: products > domains > contexts > schemas > schema versions (the
 * hierarchy of the registry). Bodies are what the API will show (camelCase); indexed columns are
 * snake_case. Parent ids are indexed so children are listed by parent, and names are unique among
 * siblings (per parent). Changing anything here: run `npm run db:generate`.
 */
import { z } from "zod";
import type { ConfluentTables } from "./confluent-tables.ts";
import { defineCollection, type DocumentTable } from "./define-collection.ts";

const description = z.string().max(4_000).optional();
// MAX_NAME_LENGTH of http/input-limits.ts (a literal here to keep the store free of HTTP imports):
// the APIs check a name's characters; the store only bounds it.
const name = z.string().min(1).max(255);
const id = z.string().min(1).max(64);

export const products = defineCollection({
  name: "products",
  body: z.object({ name, description }),
  indexes: [{ name: "name", jsonPath: "$.name", sqlType: "TEXT" }],
  unique: [["name"]],
});

export const domains = defineCollection({
  name: "domains",
  body: z.object({ productId: id, name, description }),
  indexes: [
    { name: "product_id", jsonPath: "$.productId", sqlType: "TEXT" },
    { name: "name", jsonPath: "$.name", sqlType: "TEXT" },
  ],
  unique: [["product_id", "name"]],
});

export const contexts = defineCollection({
  name: "contexts",
  body: z.object({ domainId: id, name, description }),
  indexes: [
    { name: "domain_id", jsonPath: "$.domainId", sqlType: "TEXT" },
    { name: "name", jsonPath: "$.name", sqlType: "TEXT" },
  ],
  unique: [["domain_id", "name"]],
});

export const SCHEMA_TYPE_CATEGORIES = ["Commands", "Data", "Documents", "Envelopes", "Events"] as const;
export const SCHEMA_SCOPES = ["Public", "Private"] as const;

// Schema type category is a level of the hierarchy (context > type > name), so a schema's
// siblings are the schemas of the same category in the same context.
export const schemas = defineCollection({
  name: "schemas",
  body: z.object({
    contextId: id,
    name,
    description,
    schemaTypeCategory: z.enum(SCHEMA_TYPE_CATEGORIES),
    scope: z.enum(SCHEMA_SCOPES),
  }),
  indexes: [
    { name: "context_id", jsonPath: "$.contextId", sqlType: "TEXT" },
    { name: "schema_type_category", jsonPath: "$.schemaTypeCategory", sqlType: "TEXT" },
    { name: "name", jsonPath: "$.name", sqlType: "TEXT" },
    { name: "scope", jsonPath: "$.scope", sqlType: "TEXT" },
  ],
  unique: [["context_id", "schema_type_category", "name"]],
});

export const SCHEMA_FORMATS = ["AVRO", "JSON", "PROTOBUF"] as const;
export const VERSION_STATUSES = ["Draft", "Published", "Deprecated", "Removed"] as const;

export const schemaVersions = defineCollection({
  name: "schema_versions",
  body: z.object({
    schemaId: id,
    semanticVersion: z.string().min(1).max(100),
    format: z.enum(SCHEMA_FORMATS),
    specification: z.string().min(1),
    description,
    status: z.enum(VERSION_STATUSES),
  }),
  indexes: [
    { name: "schema_id", jsonPath: "$.schemaId", sqlType: "TEXT" },
    { name: "semantic_version", jsonPath: "$.semanticVersion", sqlType: "TEXT" },
    { name: "status", jsonPath: "$.status", sqlType: "TEXT" },
  ],
  unique: [["schema_id", "semantic_version"]],
});

/** Every collection, in migration order (parents first). */
export const COLLECTIONS = [products, domains, contexts, schemas, schemaVersions] as const;

/** The collections' Kysely table types, derived from the declarations (table name -> table type). */
export type CollectionTables = {
  [C in (typeof COLLECTIONS)[number] as C["name"]]: DocumentTable<C>;
};

/** The Kysely database type of the store: the collections, and the Confluent API's tables (confluent-tables.ts). */
export type StoreDatabase = CollectionTables & ConfluentTables;
