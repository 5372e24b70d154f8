-- Migration 0004: what the Confluent-compatible API (tenant-template/src/confluent/) keeps beside
-- the document store (docs/confluent-api.md). Written by hand, not generated into 0002: these are
-- plain tables keyed by integers (Confluent's schema ids are integers a client caches forever),
-- not hierarchy documents, and keeping them out of COLLECTIONS leaves the export format, the
-- import and the stats of /api unchanged.

-- The tenant's global schema ids. One row per distinct (schemaType, schema text, references):
-- `hash` is the sha-256 of that triple, so registering the same schema again finds its id.
-- AUTOINCREMENT: an id is never handed out twice, even after its row is deleted.
CREATE TABLE confluent_schema_ids (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  schema_type TEXT NOT NULL,
  schema TEXT NOT NULL,
  hash TEXT NOT NULL,
  created_at TEXT NOT NULL
);
CREATE UNIQUE INDEX confluent_schema_ids_hash_unique ON confluent_schema_ids (hash);

-- A schema_versions document's Confluent identity: its subject's version number and global id.
-- A row whose version document is gone (deleted through /api) is ignored by every read.
CREATE TABLE confluent_versions (
  version_id TEXT PRIMARY KEY,
  schema_id TEXT NOT NULL,
  version INTEGER NOT NULL,
  global_id INTEGER NOT NULL
);
CREATE UNIQUE INDEX confluent_versions_schema_id_version_unique ON confluent_versions (schema_id, version);
CREATE INDEX confluent_versions_global_id_idx ON confluent_versions (global_id);

-- Compatibility levels: subject '' is the global level; others are qualified subject names.
CREATE TABLE confluent_config (
  subject TEXT PRIMARY KEY,
  compatibility TEXT NOT NULL
);
