import { type Context, Hono } from "hono";
import type { TenantEnv } from "./env.ts";
import { TEMPLATE_VERSION } from "../../contracts/template-version.ts";

/** What `GET /health` answers. */
export interface HealthBody {
  status: "ok" | "degraded";
  tenantId: string;
  templateVersion: string;
  residency: string;
  database: "ok" | "error";
  /** Applied migrations by name, oldest first, from `d1_migrations`; null when that table cannot be read. */
  migrations: string[] | null;
}

/** What the probes answer (MicroProfile Health's shape): UP or DOWN, and the checks that decided it. */
export interface ProbeBody {
  status: "UP" | "DOWN";
  checks: { name: "database" | "migrations"; status: "UP" | "DOWN" }[];
}

// Wrapped in async functions so that even a synchronous throw (a broken binding) is a result.
const pingDatabase = (db: D1Database) => (async () => db.prepare("SELECT 1 AS ok").first<{ ok: number }>())();
const readMigrations = (db: D1Database) =>
  (async () => db.prepare("SELECT name FROM d1_migrations ORDER BY id").all<{ name: string }>())();

/**
 * `GET /health`: who this Worker serves, which template build it runs, and whether its D1
 * database answers. 503 when the database does not, so a load balancer or canary sees it.
 * Failures are reported as "error" / null; their messages go to the log, never to the client.
 */
export const health = new Hono<TenantEnv>().get("/", async (c) => {
  const db = c.env.DB;
  // Two independent reads in parallel: a missing d1_migrations table must not hide a healthy database.
  const [ping, applied] = await Promise.allSettled([pingDatabase(db), readMigrations(db)]);
  const database = ping.status === "fulfilled" && ping.value?.ok === 1 ? "ok" : "error";
  if (ping.status === "rejected") logFailure("database_ping_failed", c.var.requestId, ping.reason);
  if (applied.status === "rejected") logFailure("migrations_read_failed", c.var.requestId, applied.reason);
  const body: HealthBody = {
    status: database === "ok" ? "ok" : "degraded",
    tenantId: c.env.TENANT_ID,
    // The binding is what the provisioner deployed (its build fingerprint); the constant covers a
    // Worker run without one, e.g. `wrangler dev` on the template.
    templateVersion: c.env.TEMPLATE_VERSION ?? TEMPLATE_VERSION,
    residency: c.env.RESIDENCY,
    database,
    migrations: applied.status === "fulfilled" ? applied.value.results.map((row) => row.name) : null,
  };
  return c.json(body, database === "ok" ? 200 : 503);
});

/**
 * The probes an orchestrator or load balancer polls (Kubernetes' three), public like `/health`:
 * - `GET /health/live`: the Worker answers; no I/O, always UP while the isolate runs;
 * - `GET /health/ready`: it can serve requests: its D1 database answers (else 503 DOWN);
 * - `GET /health/startup`: it has started as a registry: the database answers and has been
 *   migrated (`d1_migrations` lists at least one migration; which ones, `/health` says), else 503.
 * Each answers `{"status": "UP" | "DOWN", "checks": [{"name", "status"}]}`; failures are logged,
 * never described to the client.
 */
health.get("/live", (c) => c.json({ status: "UP", checks: [] } satisfies ProbeBody));

health.get("/ready", async (c) => {
  const [ping] = await Promise.allSettled([pingDatabase(c.env.DB)]);
  if (ping.status === "rejected") logFailure("database_ping_failed", c.var.requestId, ping.reason);
  return probeAnswer(c, [{ name: "database", up: ping.status === "fulfilled" && ping.value?.ok === 1 }]);
});

health.get("/startup", async (c) => {
  const [ping, applied] = await Promise.allSettled([pingDatabase(c.env.DB), readMigrations(c.env.DB)]);
  if (ping.status === "rejected") logFailure("database_ping_failed", c.var.requestId, ping.reason);
  if (applied.status === "rejected") logFailure("migrations_read_failed", c.var.requestId, applied.reason);
  return probeAnswer(c, [
    { name: "database", up: ping.status === "fulfilled" && ping.value?.ok === 1 },
    { name: "migrations", up: applied.status === "fulfilled" && applied.value.results.length > 0 },
  ]);
});

function probeAnswer(c: Context, checks: { name: ProbeBody["checks"][number]["name"]; up: boolean }[]): Response {
  const up = checks.every((check) => check.up);
  const body: ProbeBody = {
    status: up ? "UP" : "DOWN",
    checks: checks.map((check) => ({ name: check.name, status: check.up ? "UP" : "DOWN" })),
  };
  return c.json(body, up ? 200 : 503);
}

function logFailure(event: string, requestId: string, reason: unknown): void {
  console.error(JSON.stringify({ event, requestId, error: reason instanceof Error ? reason.message : String(reason) }));
}
