-- Migration 0011: rotating a webhook's signing secret (docs/webhooks.md, "Rotating the secret").
-- After a rotation, deliveries carry a signature with the previous secret beside the new one until
-- `previous_secret_expires_at` (epoch ms), so a receiver can switch secrets without refusing a
-- delivery (Standard Webhooks lists several signatures in one header). NULL: no previous secret.
ALTER TABLE webhooks ADD COLUMN previous_secret TEXT;
ALTER TABLE webhooks ADD COLUMN previous_secret_expires_at INTEGER;
