-- Migration 0010: webhooks (docs/webhooks.md). Plain tables, like the keys and the audit log:
-- not part of the registry's documents (no export, no /api/stats).

-- The endpoints an admin registered. `secret` signs every delivery (HMAC-SHA256, Standard
-- Webhooks' `whsec_` form); it is shown once, when the webhook is created, and never answered
-- again, but it is kept as it is, since signing needs it. `events`: a JSON array of event types,
-- NULL for every event.
CREATE TABLE webhooks (
  id TEXT PRIMARY KEY,
  url TEXT NOT NULL,
  events TEXT,
  description TEXT NOT NULL DEFAULT '',
  secret TEXT NOT NULL,
  created_at TEXT NOT NULL,
  created_by TEXT NOT NULL
);

-- One row per change a webhook was subscribed to, written in the same batch as the change's
-- audit entry, and only when some webhook wants it. `body` is the delivery's JSON exactly as it
-- is sent and signed; `lane` is what deliveries are ordered by (the subject, or the level).
CREATE TABLE webhook_events (
  id TEXT PRIMARY KEY,
  type TEXT NOT NULL,
  lane TEXT NOT NULL,
  body TEXT NOT NULL,
  created_at INTEGER NOT NULL
);

-- The outbox and the delivery log: one row per event per webhook. A pending row is attempted when
-- it is the oldest pending row of its webhook and lane and `next_attempt_at` (epoch ms) has come;
-- it ends `delivered` (a 2xx answer) or `failed` (no 2xx within 24 hours of the event).
CREATE TABLE webhook_deliveries (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  webhook_id TEXT NOT NULL,
  event_id TEXT NOT NULL,
  lane TEXT NOT NULL,
  status TEXT NOT NULL CHECK (status IN ('pending', 'delivered', 'failed')),
  attempts INTEGER NOT NULL DEFAULT 0,
  created_at INTEGER NOT NULL,
  next_attempt_at INTEGER NOT NULL,
  last_attempt_at INTEGER,
  last_status INTEGER,
  last_error TEXT
);
CREATE INDEX webhook_deliveries_lane_idx ON webhook_deliveries (webhook_id, lane, id) WHERE status = 'pending';
CREATE INDEX webhook_deliveries_due_idx ON webhook_deliveries (next_attempt_at) WHERE status = 'pending';
CREATE INDEX webhook_deliveries_log_idx ON webhook_deliveries (webhook_id, id);
