/**
 * The tenant template in real workerd with a real D1 database and KV namespace, bound the way the
 * provisioner binds them. Each test runs against its own tenant Worker (own database), so the
 * "before migrations" and "after migrations" states never meet.
 */
import { Miniflare } from "miniflare";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { applyMigrationsLocally } from "../../scripts/lib/local-migrations.ts";
import { bundleTenantTemplate } from "../../scripts/lib/worker-bundles.ts";
import { tenantRequestHeaders, tenantSecretBindings } from "../support/tenant-credentials.ts";

let mf: Miniflare;

const tenantWorker = (
  id: string,
  code: string,
  db: { d1Databases: Record<string, string> } | { bindings: Record<string, string> },
) => {
  const dbBinding = "d1Databases" in db ? db : {};
  const broken = "bindings" in db ? db.bindings : {};
  return {
    name: `tenant-${id}`,
    modules: true,
    script: code,
    compatibilityDate: "2026-06-01",
    ...dbBinding,
    kvNamespaces: { CACHE: `wfp-tenant-${id}-cache` },
    bindings: {
      TENANT_ID: id,
      TEMPLATE_VERSION: `tpl-${id}`,
      RESIDENCY: "eu",
      CACHE_MODE: "off",
      ...tenantSecretBindings(),
      ...broken,
    },
  };
};

beforeAll(async () => {
  const code = await bundleTenantTemplate();
  mf = new Miniflare({
    workers: [
      tenantWorker("fresh", code, { d1Databases: { DB: "wfp-tenant-fresh" } }),
      tenantWorker("migrated", code, { d1Databases: { DB: "wfp-tenant-migrated" } }),
      // A DB binding that is not a database: what /health reports when D1 fails.
      tenantWorker("broken", code, { bindings: { DB: "not a database" } }),
    ],
  });
});

afterAll(async () => {
  await mf?.dispose();
});

const fetchFrom = async (tenant: string, path: string, headers: Record<string, string> = {}) =>
  (await mf.getWorker(`tenant-${tenant}`)).fetch(`http://registry.${tenant}.test${path}`, {
    headers: { ...tenantRequestHeaders(), ...headers },
  });

describe("GET /health", () => {
  test("reports the tenant, its template build, residency, a live database and the applied migrations", async () => {
    const applied = await applyMigrationsLocally(await mf.getD1Database("DB", "tenant-migrated"));
    expect(applied).toContain("0001_init.sql");

    const res = await fetchFrom("migrated", "/health", { "x-request-id": "from-dispatcher-1" });
    expect(res.status).toBe(200);
    expect(res.headers.get("x-request-id")).toBe("from-dispatcher-1");
    expect(await res.json()).toEqual({
      status: "ok",
      tenantId: "migrated",
      templateVersion: "tpl-migrated",
      residency: "eu",
      database: "ok",
      migrations: applied,
    });
    // The first migration's table is there and usable.
    const db = await mf.getD1Database("DB", "tenant-migrated");
    await db.prepare("INSERT INTO tenant_meta (key, value) VALUES ('created_by', 'test')").run();
    expect(await db.prepare("SELECT value FROM tenant_meta WHERE key = 'created_by'").first("value")).toBe("test");
  });

  test("applying the migrations twice records each once", async () => {
    const db = await mf.getD1Database("DB", "tenant-migrated");
    await applyMigrationsLocally(db);
    await applyMigrationsLocally(db);
    const rows = await db
      .prepare("SELECT name, COUNT(*) AS n FROM d1_migrations GROUP BY name")
      .all<{ name: string; n: number }>();
    expect(rows.results.every((row) => row.n === 1)).toBe(true);
  });

  test("a database with no migrations yet is healthy, with migrations unknown", async () => {
    const res = await fetchFrom("fresh", "/health");
    expect(res.status).toBe(200);
    const body = (await res.json()) as { database: string; migrations: unknown };
    expect(body).toMatchObject({ status: "ok", database: "ok", migrations: null });
  });

  test("a failing database is 503 degraded, with no internals in the body", async () => {
    const res = await fetchFrom("broken", "/health");
    expect(res.status).toBe(503);
    const text = await res.text();
    expect(JSON.parse(text)).toMatchObject({
      status: "degraded",
      tenantId: "broken",
      database: "error",
      migrations: null,
    });
    expect(text).not.toMatch(/prepare|TypeError|not a function/i);
  });
});

describe("the probes: /health/live, /health/ready, /health/startup", () => {
  // No key: the probes are public, like /health.
  const probe = async (tenant: string, which: string) => {
    const res = await (await mf.getWorker(`tenant-${tenant}`)).fetch(`http://registry.${tenant}.test/health/${which}`, {
      headers: tenantRequestHeaders(null),
    });
    return { status: res.status, body: (await res.json()) as { status: string; checks: unknown[] } };
  };
  const UP = { status: "UP" };

  test("a migrated tenant is UP on all three, without a key", async () => {
    await applyMigrationsLocally(await mf.getD1Database("DB", "tenant-migrated"));
    expect(await probe("migrated", "live")).toEqual({ status: 200, body: { status: "UP", checks: [] } });
    expect(await probe("migrated", "ready")).toEqual({
      status: 200,
      body: { ...UP, checks: [{ name: "database", status: "UP" }] },
    });
    expect(await probe("migrated", "startup")).toEqual({
      status: 200,
      body: {
        ...UP,
        checks: [
          { name: "database", status: "UP" },
          { name: "migrations", status: "UP" },
        ],
      },
    });
  });

  test("a database with no migrations yet: live and ready, not started (503 DOWN)", async () => {
    expect((await probe("fresh", "live")).status).toBe(200);
    expect((await probe("fresh", "ready")).status).toBe(200);
    expect(await probe("fresh", "startup")).toEqual({
      status: 503,
      body: {
        status: "DOWN",
        checks: [
          { name: "database", status: "UP" },
          { name: "migrations", status: "DOWN" },
        ],
      },
    });
  });

  test("a failing database: still live, not ready nor started, with no internals in the body", async () => {
    expect(await probe("broken", "live")).toEqual({ status: 200, body: { status: "UP", checks: [] } });
    expect(await probe("broken", "ready")).toEqual({
      status: 503,
      body: { status: "DOWN", checks: [{ name: "database", status: "DOWN" }] },
    });
    const startup = await probe("broken", "startup");
    expect(startup.status).toBe(503);
    expect(startup.body.status).toBe("DOWN");
    expect(JSON.stringify(startup.body)).not.toMatch(/prepare|TypeError|not a function/i);
  });

  test("only GET: another method on a probe is not a probe", async () => {
    const res = await (await mf.getWorker("tenant-migrated")).fetch("http://registry.migrated.test/health/live", {
      method: "POST",
      headers: tenantRequestHeaders(),
    });
    expect(res.status).toBe(404);
    await res.arrayBuffer();
  });
});

describe("everything else", () => {
  test(`unknown paths outside /api are 404 in Confluent's shape; under /api in the API's own, \
with the request id; both with x-request-id`, async () => {
    for (const path of ["/no-such-endpoint", "/this/path/does/not/exist", "/apis", "/docs/no-such-file"]) {
      const res = await fetchFrom("fresh", path, { "x-request-id": "nf-root-1" });
      expect(res.status, path).toBe(404);
      expect(res.headers.get("content-type"), path).toBe("application/vnd.schemaregistry.v1+json");
      expect(res.headers.get("x-request-id"), path).toBe("nf-root-1");
      expect(await res.json(), path).toEqual({ error_code: 404, message: "HTTP 404 Not Found" });
    }
    for (const path of ["/api/no-such-endpoint", "/api"]) {
      const res = await fetchFrom("fresh", path);
      expect(res.status, path).toBe(404);
      const id = res.headers.get("x-request-id");
      expect(id).toMatch(/^[0-9a-f-]{36}$/);
      expect(await res.json(), path).toEqual({
        error: { code: "not_found", message: "No such endpoint.", requestId: id },
      });
    }
    // A POST with a body to an unknown path: the same 404, the body drained.
    const res = await (await mf.getWorker("tenant-fresh")).fetch("http://registry.fresh.test/nonexistent/endpoint", {
      method: "POST",
      headers: { ...tenantRequestHeaders(), "content-type": "application/json" },
      body: JSON.stringify({ foo: "bar" }),
    });
    expect(res.status).toBe(404);
    expect(await res.json()).toEqual({ error_code: 404, message: "HTTP 404 Not Found" });
  });

  test(`the dispatcher's rate-limit figures are echoed as X-RateLimit-* \
(so it need not copy the response); malformed ones are not`, async () => {
    for (const path of ["/health", "/no-such-endpoint"]) {
      const res = await fetchFrom("fresh", path, { "x-request-id": "rl-echo-1", "x-wfp-ratelimit": "6000,5987,42" });
      await res.arrayBuffer();
      expect(res.headers.get("x-request-id"), path).toBe("rl-echo-1");
      expect(
        [
          res.headers.get("x-ratelimit-limit"),
          res.headers.get("x-ratelimit-remaining"),
          res.headers.get("x-ratelimit-reset"),
        ],
        path,
      ).toEqual(["6000", "5987", "42"]);
    }
    for (const bad of ["6000,5987", "a,b,c", "1,2,3,4", "1,2,-3"]) {
      const res = await fetchFrom("fresh", "/health", { "x-wfp-ratelimit": bad });
      await res.arrayBuffer();
      expect(res.headers.get("x-ratelimit-limit"), bad).toBeNull();
    }
  });
});
