-- Migration 0006: what the Confluent-compatible API needs beyond migration 0004
-- (docs/confluent-api.md): modes and full configs, schema references, metadata and rule sets, and
-- ids that an IMPORT may set.

-- Config and mode per subject: subject '' is the global level, ':.ctx:' a context's level, other
-- rows qualified subject names. `config` is Confluent's config object as JSON (compatibilityLevel,
-- normalize, defaultMetadata, overrideMetadata, defaultRuleSet, overrideRuleSet, ...), NULL when
-- unset; `mode` READWRITE, READONLY, READONLY_OVERRIDE or IMPORT, NULL when unset.
CREATE TABLE confluent_settings (
  subject TEXT PRIMARY KEY,
  config TEXT,
  mode TEXT
);
INSERT INTO confluent_settings (subject, config) SELECT subject, json_object('compatibilityLevel', compatibility) FROM confluent_config;
DROP TABLE confluent_config;

-- A schema id's references ([{name, subject, version}] as registered, JSON, NULL when none): part
-- of what makes two registrations the same schema (`hash`).
ALTER TABLE confluent_schema_ids ADD COLUMN refs TEXT;
-- A version's metadata and rule set (JSON, NULL when none). Not part of the schema's identity: the
-- same schema with other metadata is a new version under the same id, as in Confluent.
ALTER TABLE confluent_versions ADD COLUMN metadata TEXT;
ALTER TABLE confluent_versions ADD COLUMN rule_set TEXT;
-- The guid Confluent also names a schema by (/schemas/guids/{guid}).
ALTER TABLE confluent_schema_ids ADD COLUMN guid TEXT;
UPDATE confluent_schema_ids SET guid = lower(hex(randomblob(4)) || '-' || hex(randomblob(2)) || '-4' || substr(hex(randomblob(2)), 2) || '-a' || substr(hex(randomblob(2)), 2) || '-' || hex(randomblob(6)));
CREATE INDEX confluent_schema_ids_guid_idx ON confluent_schema_ids (guid);
-- An IMPORT may give an already registered schema another id: the hash is no longer unique.
DROP INDEX confluent_schema_ids_hash_unique;
CREATE INDEX confluent_schema_ids_hash_idx ON confluent_schema_ids (hash);

-- Who references whom: schema id `global_id` references version `version` of `subject`
-- (qualified) under the name `name`. Read for referencedby and for refusing to delete a referenced
-- version (42206).
CREATE TABLE confluent_references (
  global_id INTEGER NOT NULL,
  name TEXT NOT NULL,
  subject TEXT NOT NULL,
  version INTEGER NOT NULL,
  PRIMARY KEY (global_id, name)
);
CREATE INDEX confluent_references_target_idx ON confluent_references (subject, version);
