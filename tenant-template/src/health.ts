import { Hono } from "hono";
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

/**
 * `GET /health`: who this Worker serves, which template build it runs, and whether its D1
 * database answers. 503 when the database does not, so a load balancer or canary sees it.
 * Failures are reported as "error" / null; their messages go to the log, never to the client.
 */
export const health = new Hono<TenantEnv>().get("/", async (c) => {
  const db = c.env.DB;
  // Two independent reads in parallel: a missing d1_migrations table must not hide a healthy database.
  // Wrapped in async functions so that even a synchronous throw (a broken binding) is a result.
  const [ping, applied] = await Promise.allSettled([
    (async () => db.prepare("SELECT 1 AS ok").first<{ ok: number }>())(),
    (async () => db.prepare("SELECT name FROM d1_migrations ORDER BY id").all<{ name: string }>())(),
  ]);
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

function logFailure(event: string, requestId: string, reason: unknown): void {
  console.error(JSON.stringify({ event, requestId, error: reason instanceof Error ? reason.message : String(reason) }));
}
