-- Migration 0009: the tenant's usage as the platform publishes it (docs/usage.md). The platform
-- counts every request in Workers Analytics Engine, which only an account token can read; a tenant
-- Worker holds no such token (it would read every tenant's figures). So `npm run fleet -- usage
-- --publish` writes each tenant's figures for the month into that tenant's own database, here, and
-- GET /api/usage (admin) reads them: one row, replaced at each publication.
CREATE TABLE platform_usage (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  -- JSON: { since, until, requests, clientErrors, serverErrors, p50Ms, p99Ms, routes: [...] }
  body TEXT NOT NULL,
  published_at TEXT NOT NULL
);
