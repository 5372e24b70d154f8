-- Migration 0005: the tenant's API keys, its audit log and its settings (docs/security.md).
-- Plain tables, not document collections: they are not part of the registry (no export, no
-- import, no /api/stats), and the key table must never be readable through the registry API.

-- API keys other than `admin` (whose hash is the ADMIN_KEY_HASH secret, set by the provisioner).
-- `key_hash` is the lower-case hex sha-256 of the whole key string `wfp_<id>_<secret>`; the key
-- itself is shown once, when it is created, and never stored. A key is refused once `expires_at`
-- has passed or `revoked_at` is set; rows are kept after revocation so the audit log's actors
-- stay explainable.
CREATE TABLE api_keys (
  id TEXT PRIMARY KEY,
  key_hash TEXT NOT NULL,
  role TEXT NOT NULL CHECK (role IN ('read', 'write', 'admin')),
  product_id TEXT,
  subject_prefix TEXT,
  description TEXT,
  created_at TEXT NOT NULL,
  created_by TEXT NOT NULL,
  expires_at TEXT,
  revoked_at TEXT,
  revoked_by TEXT
);

-- Every mutation through either registry API, every key change and every denied attempt by a
-- known key: who (key id, or `operator` for the CLI), what, on what, with what outcome.
-- Timestamps are ISO 8601 UTC with milliseconds (`2026-11-21T07:20:09.123Z`), so text order is
-- time order. `id` orders entries and is the audit API's cursor.
CREATE TABLE audit_log (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  at TEXT NOT NULL,
  actor TEXT NOT NULL,
  action TEXT NOT NULL,
  target TEXT NOT NULL,
  outcome TEXT NOT NULL CHECK (outcome IN ('ok', 'denied', 'error')),
  status INTEGER NOT NULL,
  request_id TEXT NOT NULL,
  before_hash TEXT,
  after_hash TEXT
);
CREATE INDEX audit_log_at_idx ON audit_log (at);
CREATE INDEX audit_log_actor_idx ON audit_log (actor, id);
CREATE INDEX audit_log_action_idx ON audit_log (action, id);

-- Tenant settings, one row per setting (values as JSON text).
CREATE TABLE tenant_settings (
  name TEXT PRIMARY KEY,
  value TEXT NOT NULL
);
INSERT INTO tenant_settings (name, value) VALUES ('auditRetentionDays', '90');
