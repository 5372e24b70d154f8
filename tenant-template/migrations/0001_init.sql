-- Migration 0001: the first table of every tenant database.
-- Applied by the provisioner through the D1 query API in file-name order and recorded in
-- `d1_migrations` (id, name, applied_at), the same table `wrangler d1 migrations apply` keeps,
-- so either tool sees the same history. Never edit an applied migration: add a new file.

-- Small facts about the tenant's own database (e.g. when it was created, by which template).
-- The registry's data layer arrives in a later migration.
CREATE TABLE IF NOT EXISTS tenant_meta (
  key TEXT PRIMARY KEY,
  value TEXT NOT NULL
);
