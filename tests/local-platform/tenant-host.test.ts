/**
 * Tenant Workers on the local platform are loaded when first needed and dropped when others are
 * in use (infra/local-platform/worker-shims/tenant-host.ts): through the dispatcher, each runs its
 * unchanged code with exactly the bindings its upload declared, D1 and KV behave as D1's and KV's
 * (and reach only the tenant's own), and uploads, deletes and a hundred tenants cost no restart.
 */
import Cloudflare from "cloudflare";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { routeKey } from "../../contracts/route-record.ts";
import type { LocalPlatform } from "../../infra/local-platform/index.ts";
import { startInitialisedPlatform } from "../../scripts/lib/initialised-platform.ts";
import { requestTenant } from "../../scripts/lib/tenant-traffic.ts";

const MAX_LOADED = 3;
let platform: LocalPlatform;
let cf: Cloudflare;
let stateDir: string;
const unique = (prefix: string) => `${prefix}-${Math.random().toString(36).slice(2, 10)}`;

beforeAll(async () => {
  stateDir = mkdtempSync(join(tmpdir(), "wfp-host-"));
  platform = await startInitialisedPlatform({ port: 0, apiPort: 0, stateDir, maxLoadedTenants: MAX_LOADED });
  cf = new Cloudflare({ apiToken: "local", baseURL: platform.apiUrl, maxRetries: 0 });
});
afterAll(async () => {
  await platform?.close();
  rmSync(stateDir, { recursive: true, force: true });
});

/** Answers what its bindings do: /env, /d1, /kv; anything else says its VERSION. */
const PROBE = `export default {
  async fetch(request, env) {
    const path = new URL(request.url).pathname;
    if (path === "/env") return Response.json(Object.keys(env).sort());
    if (path === "/d1") {
      await env.DB.exec("CREATE TABLE IF NOT EXISTS t (id INTEGER PRIMARY KEY, v TEXT, b BLOB)");
      const insert = env.DB.prepare("INSERT INTO t (v, b) VALUES (?, ?)");
      const inserted = await insert.bind(env.TENANT, new Uint8Array([7, 9])).run();
      const first = await env.DB.prepare("SELECT v FROM t WHERE id = ?").bind(inserted.meta.last_row_id).first("v");
      const all = await env.DB.prepare("SELECT v, b FROM t").all();
      const raw = await env.DB.prepare("SELECT 1 AS one, 'two' AS two").raw({ columnNames: true });
      const batch = await env.DB.batch([env.DB.prepare("SELECT ? AS a").bind(1), env.DB.prepare("SELECT 2 AS b")]);
      const session = env.DB.withSession("first-primary");
      const before = session.getBookmark();
      await session.prepare("SELECT count(*) FROM t").all();
      let error = null;
      try { await env.DB.prepare("SELEC 1").all(); } catch (e) { error = String(e.message); }
      // D1's limits: 100 bound parameters per query, 100,000 bytes of SQL per statement.
      const refused = async (statement) => {
        try { await statement.all(); return null; } catch (e) { return String(e.message); }
      };
      const list = (n) => Array.from({ length: n }, () => "?").join(", ");
      const limits = {
        params100: await refused(env.DB.prepare("SELECT 1 WHERE 1 IN (" + list(100) + ")").bind(...Array(100).fill(1))),
        params101: await refused(env.DB.prepare("SELECT 1 WHERE 1 IN (" + list(101) + ")").bind(...Array(101).fill(1))),
        longSql: await refused(env.DB.prepare("SELECT 1 /* " + "x".repeat(100_000) + " */")),
        inBatch: await env.DB
          .batch([env.DB.prepare("SELECT 1"), env.DB.prepare("SELECT " + list(101)).bind(...Array(101).fill(1))])
          .then(() => null, (e) => String(e.message)),
      };
      return Response.json({
        changes: inserted.meta.changes, first, rows: all.results.map((r) => [r.v, [...new Uint8Array(r.b)]]),
        raw, batch: batch.map((r) => r.results), before, after: session.getBookmark(), error, limits,
      });
    }
    if (path === "/kv") {
      await env.CACHE.put("key:" + env.TENANT, JSON.stringify({ a: 1 }), { expirationTtl: 120, metadata: { m: 1 } });
      const json = await env.CACHE.get("key:" + env.TENANT, "json");
      const withMetadata = await env.CACHE.getWithMetadata("key:" + env.TENANT, { type: "text" });
      const listed = await env.CACHE.list({ prefix: "key:" });
      await env.CACHE.delete("key:" + env.TENANT);
      const gone = await env.CACHE.get("key:" + env.TENANT);
      let error = null;
      try { await env.CACHE.put("", "x"); } catch (e) { error = String(e.message); }
      return Response.json({
        json, value: withMetadata.value, metadata: withMetadata.metadata,
        listed: listed.keys.map((k) => [k.name, k.metadata, typeof k.expiration]), gone, error,
      });
    }
    return new Response("version " + env.VERSION);
  },
};`;

function moduleUpload(metadata: Record<string, unknown>, code: string): FormData {
  const form = new FormData();
  form.append("metadata", new Blob([JSON.stringify(metadata)], { type: "application/json" }));
  form.append("index.js", new File([code], "index.js", { type: "application/javascript+module" }));
  return form;
}

interface Tenant {
  script: string;
  host: string;
  databaseId: string;
}

/** A database, a namespace, the probe uploaded with them, and a route record for its host. */
async function tenant(version = "1", code = PROBE): Promise<Tenant> {
  const script = unique("host-test");
  const account_id = platform.accountId;
  const [db, kv] = await Promise.all([
    cf.d1.database.create({ account_id, name: script }),
    cf.kv.namespaces.create({ account_id, title: script }),
  ]);
  await upload(script, code, [
    { type: "d1", name: "DB", id: db.uuid },
    { type: "kv_namespace", name: "CACHE", namespace_id: kv.id },
    { type: "plain_text", name: "TENANT", text: script },
    { type: "plain_text", name: "VERSION", text: version },
  ]);
  const host = `${script}.host.localhost`;
  await cf.kv.namespaces.values.update(routeKey(host), {
    account_id,
    namespace_id: platform.routesNamespaceId,
    value: JSON.stringify({
      tenantId: script,
      script,
      status: "active",
      proof: "tenant-host-test-proof-0123456789abcdef",
      rateLimit: { requestsPerMinute: 100_000, keyRequestsPerMinute: 100_000 },
      corsOrigins: [],
    }),
    metadata: JSON.stringify({ tenantId: script }),
  });
  return { script, host, databaseId: db.uuid! };
}

function upload(script: string, code: string, bindings: Record<string, unknown>[]) {
  return cf.put(
    `/accounts/${platform.accountId}/workers/dispatch/namespaces/${platform.dispatchNamespace}/scripts/${script}`,
    { body: moduleUpload({ main_module: "index.js", compatibility_date: "2026-06-01", bindings }, code) },
  );
}

const get = (t: Tenant, path: string) => requestTenant(platform.trafficUrl, t.host, "GET", path);

describe("a tenant Worker loaded on demand", () => {
  it("has exactly its upload's bindings, and its D1 and KV behave as D1's and KV's, on its own data", async () => {
    const [a, b] = await Promise.all([tenant(), tenant()]);
    // The upload's bindings, and the one variable the local platform gives every tenant Worker
    // (webhooks may deliver to loopback here, docs/local-platform.md).
    expect((await get(a, "/env")).json()).toEqual(["CACHE", "DB", "TENANT", "VERSION", "WEBHOOK_ALLOW_LOOPBACK"]);

    const d1 = (await get(a, "/d1")).json();
    expect(d1).toMatchObject({
      changes: 1,
      first: a.script,
      rows: [[a.script, [7, 9]]],
      raw: [
        ["one", "two"],
        [1, "two"],
      ],
      batch: [[{ a: 1 }], [{ b: 2 }]],
      before: null,
    });
    expect(d1.after).toMatch(/^[0-9a-f]{8}-[0-9a-f]{8}-/);
    expect(d1.error).toMatch(/^D1_ERROR: near "SELEC": syntax error/);
    // D1's per-statement limits hold here as on Cloudflare (worker-shims/d1-limits.ts).
    expect(d1.limits).toEqual({
      params100: null,
      params101: expect.stringMatching(/^D1_ERROR: too many SQL variables: 101 bound parameters/),
      longSql: expect.stringMatching(/^D1_ERROR: statement too long: 100015 bytes/),
      inBatch: expect.stringMatching(/^D1_ERROR: too many SQL variables/),
    });
    // b's database has only b's row: each binding reaches its own database.
    expect((await get(b, "/d1")).json()).toMatchObject({ rows: [[b.script, [7, 9]]] });
    // The data is in the database the API sees (the same storage as Miniflare's own bindings).
    const page = await cf.d1.database.query(a.databaseId, { account_id: platform.accountId, sql: "SELECT v FROM t" });
    expect(page.result[0]?.results).toEqual([{ v: a.script }]);

    const [kvA, kvB] = [(await get(a, "/kv")).json(), (await get(b, "/kv")).json()];
    expect(kvA).toMatchObject({
      json: { a: 1 },
      value: '{"a":1}',
      metadata: { m: 1 },
      listed: [[`key:${a.script}`, { m: 1 }, "number"]],
      gone: null,
    });
    expect(kvA.error).toMatch(/^KV PUT failed: 400/);
    expect(kvB).toMatchObject({ listed: [[`key:${b.script}`, { m: 1 }, "number"]] });
  });

  it("loads a tenant at its first request, keeps the most recently used, reloads one dropped", async () => {
    const pid = platform.workerdPid();
    const tenants = await Promise.all(Array.from({ length: MAX_LOADED + 1 }, (_, i) => tenant(String(i))));
    const names = tenants.map((t) => t.script);
    // An upload starts the script once to check it, and keeps nothing loaded.
    expect((await platform.loadedTenants()).loaded.filter((name) => names.includes(name))).toEqual([]);
    for (const [i, t] of tenants.entries()) expect((await get(t, "/")).body).toBe(`version ${i}`);
    const after = await platform.loadedTenants();
    expect(after.loaded.length).toBeLessThanOrEqual(MAX_LOADED);
    expect(after.loaded.slice(-MAX_LOADED)).toEqual(names.slice(-MAX_LOADED));
    expect(after.loaded).not.toContain(names[0]);

    expect((await get(tenants[0]!, "/")).body).toBe("version 0");
    const reloaded = await platform.loadedTenants();
    expect(reloaded.loads).toBe(after.loads + 1);
    expect(reloaded.loaded.at(-1)).toBe(names[0]);
    // Served again from what is loaded: no new load.
    expect((await get(tenants[0]!, "/")).body).toBe("version 0");
    expect((await platform.loadedTenants()).loads).toBe(reloaded.loads);
    expect(platform.workerdPid()).toBe(pid);
  });

  it("serves a new upload at the next request, refuses code that does not start, fails closed deleted", async () => {
    const pid = platform.workerdPid();
    const t = await tenant("1");
    expect((await get(t, "/")).body).toBe("version 1");
    const bindings = (version: string) => [
      { type: "plain_text", name: "TENANT", text: t.script },
      { type: "plain_text", name: "VERSION", text: version },
    ];
    await upload(t.script, PROBE, bindings("2"));
    expect((await get(t, "/")).body).toBe("version 2");
    expect((await get(t, "/env")).json()).toEqual(["TENANT", "VERSION", "WEBHOOK_ALLOW_LOOPBACK"]);

    await expect(upload(t.script, "throw new Error('no start');", bindings("3"))).rejects.toThrow(/no start/);
    expect((await get(t, "/")).body).toBe("version 2");

    await cf.workersForPlatforms.dispatch.namespaces.scripts.delete(t.script, {
      account_id: platform.accountId,
      dispatch_namespace: platform.dispatchNamespace,
    });
    const gone = await get(t, "/");
    expect(gone.status).toBe(503);
    expect(gone.json()).toMatchObject({ error: { code: "tenant_unavailable" } });
    expect(platform.workerdPid()).toBe(pid);
  });

  it("holds a hundred tenants: each answers through the dispatcher, no more than the limit stay loaded", async () => {
    const pid = platform.workerdPid();
    const tenants: Tenant[] = [];
    // Four at a time, as an operator's script might.
    for (let i = 0; i < 100; i += 4) {
      tenants.push(...(await Promise.all([0, 1, 2, 3].map((j) => tenant(String(i + j), TINY)))));
    }
    const served = await Promise.all(tenants.slice(0, 10).map((t) => get(t, "/")));
    expect(served.map((reply) => reply.body)).toEqual(tenants.slice(0, 10).map((_, i) => `version ${i}`));
    for (const t of tenants.slice(-10)) expect((await get(t, "/")).status).toBe(200);
    expect((await platform.loadedTenants()).loaded.length).toBeLessThanOrEqual(MAX_LOADED);
    expect(platform.workerdPid()).toBe(pid);
  }, 240_000);
});

/** Small and quick to load: the hundred-tenant check is about the platform, not the template. */
const TINY = `export default { fetch: (request, env) => new Response("version " + env.VERSION) };`;

describe("an idle tenant Worker", () => {
  it("is unloaded with no request to prompt it, and loads again at the next one", async () => {
    const idleDir = mkdtempSync(join(tmpdir(), "wfp-host-idle-"));
    const idle = await startInitialisedPlatform({ port: 0, apiPort: 0, stateDir: idleDir, idleUnloadMs: 300 });
    try {
      const idleCf = new Cloudflare({ apiToken: "local", baseURL: idle.apiUrl, maxRetries: 0 });
      await idleCf.put(
        `/accounts/${idle.accountId}/workers/dispatch/namespaces/${idle.dispatchNamespace}/scripts/idle-one`,
        {
          body: moduleUpload(
            {
              main_module: "index.js",
              compatibility_date: "2026-06-01",
              bindings: [{ type: "plain_text", name: "VERSION", text: "1" }],
            },
            TINY,
          ),
        },
      );
      await idleCf.kv.namespaces.values.update(routeKey("idle.host.localhost"), {
        account_id: idle.accountId,
        namespace_id: idle.routesNamespaceId,
        value: JSON.stringify({
          tenantId: "idle-one",
          script: "idle-one",
          status: "active",
          proof: "tenant-host-test-proof-0123456789abcdef",
          rateLimit: { requestsPerMinute: 100_000, keyRequestsPerMinute: 100_000 },
          corsOrigins: [],
        }),
        metadata: JSON.stringify({ tenantId: "idle-one" }),
      });
      const once = () => requestTenant(idle.trafficUrl, "idle.host.localhost", "GET", "/");
      expect((await once()).body).toBe("version 1");
      expect((await idle.loadedTenants()).loaded).toEqual(["idle-one"]);
      const deadline = Date.now() + 20_000;
      while ((await idle.loadedTenants()).loaded.length > 0 && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
      const unloaded = await idle.loadedTenants();
      expect(unloaded.loaded).toEqual([]);
      expect((await once()).body).toBe("version 1");
      expect((await idle.loadedTenants()).loads).toBe(unloaded.loads + 1);
    } finally {
      await idle.close();
      rmSync(idleDir, { recursive: true, force: true });
    }
  });
});
